//! The field history as a [`ChildList`] of customers, for batch loading.

use entity::customer_field_change as change;
use sea_orm::Condition;

use super::repo;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::{Keyset, Page};

pub struct History;

impl ChildList for History {
    type Entity = change::Entity;
    /// The field (and the fields under it) to keep; every field when none.
    type Filter = Option<String>;

    fn parent_column() -> change::Column {
        change::Column::CustomerId
    }

    fn id_column() -> change::Column {
        change::Column::Id
    }

    fn key(row: &change::Model) -> &str {
        &row.id
    }

    fn parent(row: &change::Model) -> &str {
        &row.customer_id
    }

    fn keyset(page: &Page) -> Keyset<'_, change::Entity> {
        repo::keyset(page)
    }

    fn condition(field: &Option<String>) -> Condition {
        field
            .as_deref()
            .map_or_else(Condition::all, repo::field_condition)
    }
}
