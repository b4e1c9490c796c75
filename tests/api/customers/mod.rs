//! API.md §5: creating, upserting, patching and deleting customers, with
//! validation naming the field; finding them again.

mod create;
mod delete_rules;
mod numbered;
mod queries;
mod update;
