//! A customer's notes as a [`ChildList`], for batch loading.

use entity::note;

use super::repo;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::{Keyset, Page};

pub struct Notes;

impl ChildList for Notes {
    type Entity = note::Entity;
    type Filter = ();

    fn parent_column() -> note::Column {
        note::Column::CustomerId
    }

    fn id_column() -> note::Column {
        note::Column::Id
    }

    fn key(row: &note::Model) -> &str {
        &row.id
    }

    fn parent(row: &note::Model) -> &str {
        &row.customer_id
    }

    fn keyset(page: &Page) -> Keyset<'_, note::Entity> {
        repo::keyset(page)
    }
}
