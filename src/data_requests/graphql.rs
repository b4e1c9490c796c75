//! The data request part of the schema: `RemovalRequest`,
//! `createRemovalRequest`, `removalRequest` and `removalRequests`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::data_request::{self, RequestKind, RequestStatus};
use futures_util::FutureExt as _;

use super::loader::{AuditLoader, DataRequestLoader, ExportLinkLoader};
use super::{NewRequest, Removed, download, repo};
use crate::auth::Scope;
use crate::error::AppError;
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, Settings, input};
use crate::ids::{self, Kind};
use crate::ids::{CustomerId, DataRequestId, Key};
use crate::profiles::Customer;
use crate::profiles::loader;

/// Most characters of a request's reason.
const MAX_REASON: usize = 2_000;

/// What a data request asks for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RemovalRequestType {
    /// Remove the customer's personal data everywhere.
    Erasure,
    /// Build an archive of everything held about the customer.
    Export,
}

impl From<RemovalRequestType> for RequestKind {
    fn from(kind: RemovalRequestType) -> Self {
        match kind {
            RemovalRequestType::Erasure => RequestKind::Erasure,
            RemovalRequestType::Export => RequestKind::Export,
        }
    }
}

/// Where a data request stands: `PENDING`, then `PROCESSING`, then
/// `COMPLETED` or `FAILED`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RemovalRequestStatus {
    /// Recorded and queued; the background worker has not started it.
    Pending,
    /// The background worker is carrying it out.
    Processing,
    /// Carried out: the data is erased (see `audit`), or the export's
    /// archive is ready (see `downloadUrl`).
    Completed,
    /// Given up; `error` says why.
    Failed,
}

impl From<RemovalRequestStatus> for RequestStatus {
    fn from(status: RemovalRequestStatus) -> Self {
        match status {
            RemovalRequestStatus::Pending => RequestStatus::Pending,
            RemovalRequestStatus::Processing => RequestStatus::Processing,
            RemovalRequestStatus::Completed => RequestStatus::Completed,
            RemovalRequestStatus::Failed => RequestStatus::Failed,
        }
    }
}

impl From<RequestStatus> for RemovalRequestStatus {
    fn from(status: RequestStatus) -> Self {
        match status {
            RequestStatus::Pending => RemovalRequestStatus::Pending,
            RequestStatus::Processing => RemovalRequestStatus::Processing,
            RequestStatus::Completed => RemovalRequestStatus::Completed,
            RequestStatus::Failed => RemovalRequestStatus::Failed,
        }
    }
}

/// The format of an export archive.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One JSON document (the default).
    #[default]
    Json,
}

/// A data request for `createRemovalRequest`.
#[derive(InputObject)]
pub struct RemovalRequestInput {
    /// Erasure or export.
    #[graphql(name = "type")]
    pub kind: RemovalRequestType,
    /// Why the request was made (at most 2,000 characters). An erasure of
    /// the customer clears it, with every other trace of them.
    pub reason: Option<String>,
    /// Whether the customer asked to be told when it is done (recorded for
    /// your own notification flow, and sent in the webhook).
    #[graphql(default)]
    pub notify_customer: bool,
    /// The archive's format (exports).
    #[graphql(default)]
    pub format: ExportFormat,
}

/// A customer's erasure or export request.
pub struct RemovalRequest(pub data_request::Model);

/// What an erasure removed: counts only.
#[derive(SimpleObject)]
pub struct ErasureCounts {
    /// The profile: 1, or 0 when it was already deleted.
    pub customers: u64,
    /// Tags removed.
    pub tags: u64,
    /// Notes removed.
    pub notes: u64,
    /// Timeline entries removed, with their titles and data.
    pub activities: u64,
    /// Static segment memberships removed.
    pub segment_memberships: u64,
    /// Orders kept, with their amounts, for revenue statistics, and no
    /// longer linked to anyone.
    pub orders_anonymized: u64,
    /// Webhook events about the customer removed, queued or sent, with
    /// their deliveries.
    pub webhook_events: u64,
    /// Export archives of the customer removed.
    pub exports: u64,
    /// Addresses removed, the default one included.
    pub addresses: u64,
    /// Field history entries whose values were removed; the entries stay,
    /// saying who changed which field when.
    pub field_history: u64,
}

/// The audit record of an erasure: when, by whom, and how much was
/// removed; no personal data.
#[derive(SimpleObject)]
pub struct ErasureAudit {
    /// When the erasure was carried out.
    pub erased_at: DateTime,
    /// The `sub` of the token that requested the erasure.
    pub requested_by: String,
    /// What was removed, counted.
    pub removed: ErasureCounts,
}

/// A request to erase a customer's personal data or to export it (GDPR /
/// CCPA), carried out by the background worker.
#[Object]
impl RemovalRequest {
    /// `drr_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::DataRequest, &self.0.id)
    }

    /// The customer's ID (which no longer resolves after an erasure).
    async fn customer_id(&self) -> ID {
        ids::encode(Kind::Customer, &self.0.customer_id)
    }

    /// The customer; null once erased or deleted. Needs `read:customers`.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let session = ctx.session()?;
        if !session.viewer.scopes.contains(Scope::ReadCustomers) {
            return Err(AppError::Forbidden {
                scope: Scope::ReadCustomers.as_str(),
            }
            .into());
        }
        loader::customer(ctx, &self.0.customer_id).await
    }

    /// Erasure or export.
    #[graphql(name = "type")]
    async fn kind(&self) -> RemovalRequestType {
        if self.0.kind == RequestKind::Erasure {
            RemovalRequestType::Erasure
        } else {
            RemovalRequestType::Export
        }
    }

    /// Where the request stands.
    async fn status(&self) -> RemovalRequestStatus {
        self.0.status.into()
    }

    /// Why the request was made, as given; null when none was, and once an
    /// erasure of the customer cleared it.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Whether the customer asked to be told when it is done: recorded for
    /// your own notification flow, and sent in the webhook.
    async fn notify_customer(&self) -> bool {
        self.0.notify_customer
    }

    /// The archive's format (exports).
    async fn format(&self) -> ExportFormat {
        ExportFormat::Json
    }

    /// The `sub` of the token that made the request.
    async fn requested_by(&self) -> &str {
        &self.0.actor
    }

    /// When the request will have been carried out at the latest: the
    /// one-month deadline of GDPR Art. 12(3).
    async fn estimated_completion(&self) -> DateTime {
        DateTime(self.0.estimated_completion)
    }

    /// When the request was made.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the request last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// When the request was carried out; null until it is `COMPLETED`.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }

    /// Why a `FAILED` request failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// A completed export's archive: a signed link that needs no token,
    /// valid for `CRM_EXPORT_LINK_TTL` from this read (and no longer than
    /// the archive is kept). Null otherwise.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if self.0.kind != RequestKind::Export || self.0.status != RequestStatus::Completed {
            return Ok(None);
        }
        let session = ctx.session()?;
        let Some((link_key, archive_expires)) = session
            .loaders
            .get::<ExportLinkLoader>()
            .load_one(self.0.id.clone())
            .await?
        else {
            return Ok(None);
        };
        let settings = ctx.data::<Settings>()?;
        let ttl = chrono::Duration::from_std(settings.export_link_ttl).unwrap_or_default();
        let expires = (chrono::Utc::now() + ttl).min(archive_expires).timestamp();
        Ok(Some(download::link(
            settings.public_url.as_deref().unwrap_or_default(),
            crate::ids::Kind::DataRequest,
            session.tenant(),
            &self.0.id,
            &link_key,
            expires,
        )))
    }

    /// A completed erasure's audit record.
    async fn audit(&self, ctx: &Context<'_>) -> Result<Option<ErasureAudit>> {
        if self.0.kind != RequestKind::Erasure || self.0.status != RequestStatus::Completed {
            return Ok(None);
        }
        let session = ctx.session()?;
        let Some(row) = session
            .loaders
            .get::<AuditLoader>()
            .load_one(self.0.id.clone())
            .await?
        else {
            return Ok(None);
        };
        let removed: Removed = serde_json::from_value(row.removed).unwrap_or_default();
        Ok(Some(ErasureAudit {
            erased_at: DateTime(row.erased_at),
            requested_by: row.actor,
            removed: ErasureCounts {
                customers: removed.customers,
                tags: removed.tags,
                notes: removed.notes,
                activities: removed.activities,
                segment_memberships: removed.segment_memberships,
                orders_anonymized: removed.orders_anonymized,
                webhook_events: removed.webhook_events,
                exports: removed.exports,
                addresses: removed.addresses,
                field_history: removed.field_history,
            },
        }))
    }
}

pub type RemovalRequestConnection = ListConnection<RemovalRequest>;

#[derive(Default)]
pub struct DataRequestQuery;

#[Object]
impl DataRequestQuery {
    /// A data request by ID; null when there is none in your tenant. Needs
    /// `read:data_requests`.
    #[graphql(guard = "ScopeGuard(Scope::ReadDataRequests)")]
    async fn removal_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's ID (`drr_…`).")] id: ID,
    ) -> Result<Option<RemovalRequest>> {
        let loaders = &ctx.session()?.loaders;
        let key = DataRequestId::decode(&id);
        let row = loaders.load_key::<DataRequestLoader, _>(key).await?;
        Ok(row.map(RemovalRequest))
    }

    /// The tenant's data requests, newest first; `status` and `customerId`
    /// narrow the list. Needs `read:data_requests`.
    #[graphql(guard = "ScopeGuard(Scope::ReadDataRequests)")]
    #[expect(clippy::too_many_arguments, reason = "the GraphQL signature")]
    async fn removal_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only requests with this status.")] status: Option<RemovalRequestStatus>,
        #[graphql(desc = "Only requests about this customer (`cus_…`).")] customer_id: Option<ID>,
    ) -> Result<RemovalRequestConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        // An ID of no customer of yours lists nothing.
        let customer = customer_id.map(|id| {
            CustomerId::decode(&id)
                .map(Key::into_string)
                .unwrap_or_default()
        });
        let filter = repo::Filter {
            status: status.map(RequestStatus::from),
            customer,
        };
        let rows = repo::list(&session.db, session.tenant(), &keyset, &filter).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant, filter) = (db.clone(), tenant.clone(), filter.clone());
            async move { Ok(repo::count(&db, &tenant, &filter).await?) }.boxed()
        });
        Ok(keyset.connection(rows, RemovalRequest, total))
    }
}

#[derive(Default)]
pub struct DataRequestMutation;

#[Object]
impl DataRequestMutation {
    /// Asks for a customer's erasure or export, carried out by the
    /// background worker: follow it with `removalRequest`, the
    /// `removalRequestUpdated` subscription or the `data_request.completed`
    /// webhook. Needs `write:data_requests`.
    #[graphql(guard = "ScopeGuard(Scope::WriteDataRequests)")]
    async fn create_removal_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "What to do, and why.")] input: RemovalRequestInput,
    ) -> Result<RemovalRequest> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let reason = match input.reason {
            Some(reason) => input::multiline("input.reason", reason, MAX_REASON)?,
            None => None,
        };
        let row = super::create(
            &session.db,
            session.tenant(),
            &session.viewer.sub,
            &key,
            NewRequest {
                kind: input.kind.into(),
                reason,
                notify_customer: input.notify_customer,
                format: "JSON",
            },
        )
        .await?;
        Ok(RemovalRequest(row))
    }
}
