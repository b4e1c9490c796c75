//! The timeline as a [`ChildList`] of customers, for batch loading.

use entity::activity;
use sea_orm::Condition;

use super::repo::{self, ActivityFilter};
use crate::graphql::children::ChildList;
use crate::graphql::pagination::{Keyset, Page};

pub struct Timeline;

impl ChildList for Timeline {
    type Entity = activity::Entity;
    type Filter = ActivityFilter;

    fn parent_column() -> activity::Column {
        activity::Column::CustomerId
    }

    fn id_column() -> activity::Column {
        activity::Column::Id
    }

    fn key(row: &activity::Model) -> &str {
        &row.id
    }

    fn parent(row: &activity::Model) -> &str {
        &row.customer_id
    }

    fn keyset(page: &Page) -> Keyset<'_, activity::Entity> {
        repo::keyset(page)
    }

    fn condition(filter: &ActivityFilter) -> Condition {
        filter.condition()
    }
}
