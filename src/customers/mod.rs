//! Customers in the API: the `Customer` object with its edges to every
//! feature, the customer queries, and the writes that reach across
//! features (create, upsert and update with their timeline entries and
//! webhooks, import, tagging, merge with its preview and undo, delete,
//! the address book). The record itself, its validation and its reads are in
//! `profiles`.

mod addresses;
pub mod csv;
mod delete_rules;
mod events;
pub mod import;
mod merge;
mod merge_overrides;
mod merge_undo;
mod mutation;
mod object;
mod query;
mod ready;
pub mod status;
mod subscription;
pub mod tagging;
pub mod upsert;

pub use addresses::AddressMutation;
pub use delete_rules::graphql::{DeleteRuleMutation, DeleteRuleQuery};
pub use mutation::CustomerMutation;
pub use query::CustomerQuery;
pub use subscription::CustomerSubscription;
