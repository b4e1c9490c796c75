//! A customer's orders as a [`ChildList`], for batch loading.

use entity::order;

use super::repo;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::{Keyset, Page};

pub struct Orders;

impl ChildList for Orders {
    type Entity = order::Entity;
    type Filter = ();

    fn parent_column() -> order::Column {
        order::Column::CustomerId
    }

    fn id_column() -> order::Column {
        order::Column::Id
    }

    fn key(row: &order::Model) -> &str {
        &row.id
    }

    fn parent(row: &order::Model) -> &str {
        row.customer_id.as_deref().unwrap_or_default()
    }

    fn keyset(page: &Page) -> Keyset<'_, order::Entity> {
        repo::keyset(page)
    }
}
