//! The note part of the schema: `Note`, `Customer.notes`, `addNote`,
//! `updateNote` and `deleteNote`.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result};
use entity::note;
use serde_json::json;

use super::loader::Notes;
use super::repo;
use crate::activity::{self, NewActivity};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{AppResult, bad_input, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::children;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, DeletePayload, input};
use crate::ids::{self, Kind};
use crate::ids::{CustomerId, NoteId};
use crate::profiles::loader;
use crate::profiles::{Customer, repo as customers};

/// Most characters of a note.
const MAX_BODY: usize = 10_000;

/// A note about a customer.
pub struct Note(pub note::Model);

/// A free-text note about a customer.
#[Object]
impl Note {
    /// `note_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Note, &self.0.id)
    }

    /// The text: 1 to 10,000 characters, possibly several lines.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The `sub` of the token that wrote the note.
    async fn author(&self) -> &str {
        &self.0.author
    }

    /// When the note was written.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the note's text last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// The customer the note is about.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        loader::customer(ctx, &self.0.customer_id).await
    }
}

pub type NoteConnection = ListConnection<Note>;

/// `Customer.notes`: one page of the customer's notes, newest first, loaded
/// together with the pages of the other customers of the response.
pub async fn customer_notes(
    ctx: &Context<'_>,
    customer_key: &str,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<NoteConnection> {
    let page = Page::from_params(first, after, last, before)?;
    children::connection::<Notes, _>(ctx, customer_key, page, (), Note).await
}

/// `Customer.notes` of many customers at once, by customer key: the pages
/// a customer value built ahead is made of.
pub async fn notes_of_customers(
    ctx: &Context<'_>,
    customer_keys: &[&str],
    page: &Page,
) -> Result<HashMap<String, NoteConnection>> {
    children::connections::<Notes, _>(ctx, customer_keys, page, (), Note).await
}

fn body(value: String) -> AppResult<String> {
    input::multiline("body", value, MAX_BODY)?.ok_or_else(|| bad_input("body", "must not be empty"))
}

#[derive(Default)]
pub struct NoteMutation;

#[Object]
impl NoteMutation {
    /// Adds a note to a customer, written by the token's `sub`; a `NOTE`
    /// entry joins the timeline. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "The text: 1 to 10,000 characters, possibly several lines.")] body: String,
    ) -> Result<Note> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let body = self::body(body)?;
        let tenant = session.tenant();
        let txn = begin_write(&session.db).await?;
        customers::find(&txn, tenant, &key)
            .await?
            .ok_or(not_found("customer"))?;
        let now = crate::db::now();
        let row = repo::insert(
            &txn,
            note::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: ids::new_key(),
                customer_id: key.as_str().to_owned(),
                body,
                author: session.viewer.sub.clone(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        let entry = NewActivity {
            customer_id: key.into_string(),
            kind: activity::ActivityType::Note,
            title: Some("Note added".to_owned()),
            data: Some(json!({ "noteId": ids::encode(Kind::Note, &row.id).0 })),
            occurred_at: now,
        };
        activity::repo::insert(&txn, tenant, entry).await?;
        txn.commit().await?;
        Ok(Note(row))
    }

    /// Replaces a note's text; its author stays. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn update_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The note's ID (`note_…`).")] id: ID,
        #[graphql(desc = "The new text: 1 to 10,000 characters.")] body: String,
    ) -> Result<Note> {
        let session = ctx.session()?;
        let key = NoteId::require(&id)?;
        let body = self::body(body)?;
        let txn = begin_write(&session.db).await?;
        let mut row = repo::find_for_update(&txn, session.tenant(), &key)
            .await?
            .ok_or(not_found("note"))?;
        if row.body != body {
            row.body = body;
            row.updated_at = crate::db::now();
            row = repo::save(&txn, row).await?;
        }
        txn.commit().await?;
        Ok(Note(row))
    }

    /// Deletes a note. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn delete_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The note's ID (`note_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = NoteId::require(&id)?;
        if !repo::delete(&session.db, session.tenant(), &key).await? {
            return Err(not_found("note").into());
        }
        Ok(DeletePayload { deleted_id: id })
    }
}
