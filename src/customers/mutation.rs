//! The customer mutations: create, upsert, update, import, tag, merge and
//! delete. Resolvers are thin: validation is in `profiles::input`, writes
//! in `upsert`, `import`, `tagging` and `merge`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::import::{self, ImportMode, ImportPayload};
use super::merge_overrides::{MergeOverrides, MergeOverridesInput};
use super::upsert::{self, Written};
use super::{merge, merge_undo, tagging};
use crate::auth::Scope;
use crate::error::bad_input;
use crate::graphql::{ContextExt, DeletePayload, ScopeGuard, Settings};
use crate::ids::CustomerId;
use crate::ids::MAX_IDS;
use crate::profiles::Customer;
use crate::profiles::checks;
use crate::profiles::history::{Actor, ChangeSource};
use crate::profiles::input::{CustomerField, CustomerInput, CustomerUpdateInput};
use crate::profiles::patch::Patch;

/// The result of `createCustomer` and `upsertCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    /// The customer created, found or updated.
    pub customer: Customer,
    /// False when an existing customer was returned (or updated).
    pub created: bool,
}

impl From<Written> for CreateCustomerPayload {
    fn from(written: Written) -> Self {
        match written {
            Written::Created(row) => CreateCustomerPayload {
                customer: Customer::from(row),
                created: true,
            },
            Written::Existing(row) => CreateCustomerPayload {
                customer: Customer::from(row),
                created: false,
            },
        }
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer. When the email (or phone) already belongs to a
    /// customer, returns that one with `created: false` and changes nothing.
    /// Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The profile: at least one of `name`, `firstName`, `lastName`, `email` or `phone`."
        )]
        input: CustomerInput,
    ) -> Result<CreateCustomerPayload> {
        let session = ctx.session()?;
        let patch = Patch::from_input(input, "input", false)?;
        if patch.identifies_nobody() {
            return Err(bad_input(
                "input",
                "a customer needs at least one of name, firstName, lastName, email or phone",
            )
            .into());
        }
        Ok(upsert::create(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            patch,
        )
        .await?
        .into())
    }

    /// Finds a customer by email, then phone, and updates it, or creates
    /// one. `doNotUpdate` lists fields an existing customer keeps;
    /// `input.addTags` adds tags; `input.metadata` merges into the existing
    /// custom fields. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn upsert_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile; its `email`, then `phone`, finds an existing customer.")]
        input: CustomerInput,
        #[graphql(
            desc = "Fields an existing customer keeps as they are; a new customer takes every field given."
        )]
        do_not_update: Option<Vec<CustomerField>>,
    ) -> Result<CreateCustomerPayload> {
        let session = ctx.session()?;
        let patch = Patch::from_input(input, "input", true)?;
        let skip = do_not_update.unwrap_or_default();
        Ok(upsert::upsert(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            patch,
            &skip,
        )
        .await?
        .into())
    }

    /// Changes a customer: an absent field is unchanged, an explicit `null`
    /// clears it. An email or phone another customer has is `CONFLICT`.
    /// Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] id: ID,
        #[graphql(desc = "The fields to change.")] input: CustomerUpdateInput,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let key = CustomerId::require(&id)?;
        let patch = Patch::from_update(input, "input")?;
        Ok(upsert::update(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &key,
            patch,
        )
        .await?
        .into())
    }

    /// Imports up to 1,000 customers in one transaction. `UPSERT` (the
    /// default) updates the customers their email, then phone, names;
    /// `CREATE_ONLY` skips them. A bad row fails alone, with its index and
    /// field, and the others go in; a row that changes nothing is skipped.
    /// Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn import_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rows, applied in order; at most 1,000.")] customers: Vec<
            CustomerInput,
        >,
        #[graphql(
            default_with = "Some(ImportMode::Upsert)",
            desc = "What a row naming an existing customer does."
        )]
        mode: Option<ImportMode>,
    ) -> Result<ImportPayload> {
        let session = ctx.session()?;
        let mode = mode.unwrap_or(ImportMode::Upsert);
        Ok(import::import(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Import),
            customers,
            mode,
        )
        .await?)
    }

    /// Adds and removes tags on up to 250 customers at once, keeping their
    /// other tags. An unknown ID is `NOT_FOUND` and changes nothing. Needs
    /// `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn tag_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customers' IDs (`cus_…`); at most 250.")] ids: Vec<ID>,
        #[graphql(desc = "Tags to add (1–64 characters each).")] add: Option<Vec<String>>,
        #[graphql(desc = "Tags to remove; those a customer lacks are ignored.")] remove: Option<
            Vec<String>,
        >,
    ) -> Result<Vec<Customer>> {
        let session = ctx.session()?;
        if ids.len() > MAX_IDS {
            return Err(bad_input("ids", format!("at most {MAX_IDS} IDs")).into());
        }
        let keys = ids
            .iter()
            .map(|id| CustomerId::require(id))
            .collect::<Result<Vec<_>, _>>()?;
        let add = checks::tags("add", add.unwrap_or_default())?;
        let remove = checks::tags("remove", remove.unwrap_or_default())?;
        let rows = tagging::tag(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &keys,
            &add,
            &remove,
        )
        .await?;
        Ok(rows.into_iter().map(Customer::from).collect())
    }

    /// Merges `mergeId` into `keepId`, in one transaction: the kept customer
    /// takes the other's tags, orders, timeline, notes, addresses and
    /// static segment memberships, fills its empty fields and custom-field
    /// keys from it (or takes the other's values where `overrides` says
    /// so), and its order totals are recomputed; then the other is
    /// deleted. `mergePreview` shows the result first; `undoMerge` takes it
    /// back within `CRM_MERGE_UNDO_WINDOW`. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn merge_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer that stays (`cus_…`).")] keep_id: ID,
        #[graphql(desc = "The duplicate, deleted once merged (`cus_…`); not `keepId`.")]
        merge_id: ID,
        #[graphql(
            desc = "Fields and custom-field keys that take the duplicate's value; without them the kept customer's values win and its empty fields are filled from the duplicate's."
        )]
        overrides: Option<MergeOverridesInput>,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let keep = CustomerId::require(&keep_id)?;
        let merged = CustomerId::require(&merge_id)?;
        let overrides = MergeOverrides::parse(overrides)?;
        Ok(merge::merge(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Merge),
            &keep,
            &merged,
            &overrides,
            ctx.data::<Settings>()?.merge_undo_window,
        )
        .await?
        .into())
    }

    /// Undoes a merge within `CRM_MERGE_UNDO_WINDOW` (30 days by default):
    /// the duplicate comes back as it was, with its ID, tags, static
    /// segments and locations, and everything that moved moves back
    /// (orders, timeline, notes, addresses, field history); the kept
    /// customer's fields the merge filled or changed are put back unless
    /// changed since, and what was added to it since the merge stays with
    /// it. Both customers, the kept one first. `NOT_FOUND` once the window
    /// has ended, after an undo, or once the kept customer was deleted,
    /// erased or merged into another; `CONFLICT` when another customer has
    /// since taken the duplicate's email or phone. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn undo_merge(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The duplicate that was merged (its `cus_…` ID, `mergeId` of the merge)."
        )]
        merged_id: ID,
    ) -> Result<Vec<Customer>> {
        let session = ctx.session()?;
        let merged = CustomerId::require(&merged_id)?;
        let both = merge_undo::undo(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::UndoMerge),
            &merged,
        )
        .await?;
        Ok(both.into_iter().map(Customer::from).collect())
    }

    /// Deletes a customer with its tags, notes, timeline, segment
    /// memberships, webhook events and export archives. Its orders stay,
    /// unlinked (`customer: null`), so revenue statistics do not move.
    /// Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = CustomerId::require(&id)?;
        upsert::delete(&session.db, session.tenant(), &key).await?;
        Ok(DeletePayload { deleted_id: id })
    }
}
