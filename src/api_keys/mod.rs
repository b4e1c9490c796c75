//! API keys: long-lived, revocable credentials a tenant gives its
//! server-side integrations, accepted beside signed tokens
//! (`Authorization: Bearer crm_live_…` or `X-API-Key: crm_live_…`).
//!
//! - [`secret`]: the secret's shape, and the hash that is all that is kept;
//! - [`issue`]: checking a new key's input and storing it;
//! - [`verifier`]: a request's key to its viewer, through a bounded cache
//!   that revocation empties on every instance;
//! - `repo`, `object`, `graphql`: rows, the `ApiKey` object, the operations.

mod graphql;
mod issue;
mod object;
mod repo;
pub mod secret;
mod verifier;

pub use graphql::{ApiKeyMutation, ApiKeyQuery};
pub use issue::NewKey;
pub use object::ApiKey;
pub use verifier::ApiKeys;
