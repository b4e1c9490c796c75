//! API.md §5: creating, upserting, patching, merging and deleting
//! customers, with validation naming the field; finding them again.

mod conditions;
mod count_precision;
mod create;
mod delete_rules;
mod filter_tree;
mod history;
mod merge;
mod merge_undo;
mod numbered;
mod queries;
mod query_language;
mod update;
