//! `Customer.history`: the `FieldChange` object and its connection.

use async_graphql::{Context, Enum, Object, Result};
use entity::customer_field_change as change;

use super::loader::History;
use crate::graphql::children;
use crate::graphql::input;
use crate::graphql::pagination::{ListConnection, Page};
use crate::graphql::scalars::DateTime;

/// Longest field name a filter takes (`metadata.` and a key).
const MAX_FIELD: usize = 200;

/// Through what a change was made.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSource {
    /// A mutation: create, update, upsert, tags, addresses.
    Api,
    /// A CSV or JSON import.
    Import,
    /// `mergeCustomers`: the kept customer took the duplicate's values.
    Merge,
    /// `undoMerge`: the values the merge changed came back.
    UndoMerge,
    /// A bulk operation (tags, status).
    BulkOperation,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Api => "API",
            ChangeSource::Import => "IMPORT",
            ChangeSource::Merge => "MERGE",
            ChangeSource::UndoMerge => "UNDO_MERGE",
            ChangeSource::BulkOperation => "BULK_OPERATION",
        }
    }

    fn from_db(value: &str) -> Self {
        match value {
            "IMPORT" => ChangeSource::Import,
            "MERGE" => ChangeSource::Merge,
            "UNDO_MERGE" => ChangeSource::UndoMerge,
            "BULK_OPERATION" => ChangeSource::BulkOperation,
            _ => ChangeSource::Api,
        }
    }
}

/// One field's change on a customer.
pub struct FieldChange(pub change::Model);

/// One field's change on a customer: its values before and after, who
/// made it and through what.
#[Object]
impl FieldChange {
    /// The field as the API names it: `email`, `address.city`,
    /// `metadata.<key>` (a custom field), `emailConsent.state`, `tags`, …
    async fn field(&self) -> &str {
        &self.0.field
    }

    /// The value before; null when the field was empty (or the customer
    /// was erased). Text as it was; lists, numbers and objects as JSON.
    async fn old_value(&self) -> Option<&str> {
        self.0.old_value.as_deref()
    }

    /// The value after; null when the field was emptied (or the customer
    /// was erased).
    async fn new_value(&self) -> Option<&str> {
        self.0.new_value.as_deref()
    }

    /// Who made the change: the token's `sub` (for an API key, its ID);
    /// null for the command line and the server's own jobs.
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }

    /// Through what the change was made.
    async fn source(&self) -> ChangeSource {
        ChangeSource::from_db(&self.0.source)
    }

    /// When the change was made.
    async fn changed_at(&self) -> DateTime {
        DateTime(self.0.changed_at)
    }
}

pub type FieldChangeConnection = ListConnection<FieldChange>;

/// `Customer.history`: one page of the customer's field changes, newest
/// first, loaded together with the pages of the other customers of the
/// response.
pub async fn customer_history(
    ctx: &Context<'_>,
    customer_key: &str,
    first: Option<i32>,
    after: Option<String>,
    field: Option<String>,
) -> Result<FieldChangeConnection> {
    let page = Page::from_params(first, after, None, None)?;
    let field = field
        .map(|f| input::text("field", f, MAX_FIELD))
        .transpose()?
        .flatten();
    children::connection::<History, _>(ctx, customer_key, page, field, FieldChange).await
}
