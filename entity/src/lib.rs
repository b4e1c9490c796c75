//! sea-orm entities of crm-graphql: the table shapes and nothing else.
//!
//! Every table is keyed by `tenant_id` first, so that a tenant's rows sit
//! together in every index and the data can be sharded by tenant. Behaviour
//! (queries, validation, tenant scoping) lives in the application crate.

pub mod prelude;

pub mod activity;
pub mod api_key;
pub mod bulk_export_chunk;
pub mod bulk_operation;
pub mod common_match_key;
pub mod company;
pub mod custom_field;
pub mod customer;
pub mod customer_address;
pub mod customer_contact;
pub mod customer_count;
pub mod customer_field_change;
pub mod customer_location;
pub mod customer_match_key;
pub mod customer_merge;
pub mod customer_tag;
pub mod data_request;
pub mod dismissed_duplicate;
pub mod duplicate_pair;
pub mod duplicate_refresh;
pub mod erasure_audit;
pub mod export;
pub mod job;
pub mod location;
pub mod note;
pub mod order;
pub mod rfm_breakpoints;
pub mod segment;
pub mod segment_member;
pub mod segment_membership;
pub mod segment_recheck;
pub mod tenant_setting;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event;
