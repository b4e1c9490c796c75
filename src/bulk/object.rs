//! The `BulkOperation` object.

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use entity::bulk_operation::{self, BulkAction, BulkStatus};
use serde_json::Value;

use super::input::BulkOperationAction;
use crate::data_requests::download;
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, Settings};
use crate::ids::{self, Kind};

/// Where a bulk operation stands.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::bulk_operation::BulkStatus")]
pub enum BulkOperationStatus {
    /// Waiting for the worker.
    Queued,
    /// Going through the selection, batch by batch.
    Running,
    /// Every selected customer was processed (some may have failed).
    Completed,
    /// Stopped by an error that concerns the whole operation (its segment
    /// was deleted, say): `errors` says which.
    Failed,
    /// Stopped by `cancelBulkOperation`; what was done stays done.
    Cancelled,
}

/// A customer a bulk operation could not process, or why it stopped.
#[derive(SimpleObject)]
pub struct BulkOperationError {
    /// The customer (`cus_…`); null for an error of the whole operation.
    pub customer_id: Option<ID>,
    /// What went wrong.
    pub message: String,
}

pub struct BulkOperation(pub bulk_operation::Model);

/// One action on many customers, run in batches by the worker
/// (`startBulkOperation`).
#[Object]
impl BulkOperation {
    /// `bop_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::BulkOperation, &self.0.id)
    }

    /// What it does to each customer.
    async fn action(&self) -> BulkOperationAction {
        self.0.action.into()
    }

    /// Where it stands.
    async fn status(&self) -> BulkOperationStatus {
        self.0.status.into()
    }

    /// Customers done so far (failed ones included).
    async fn processed(&self) -> i64 {
        self.0.processed
    }

    /// How many customers the selection held when the run began (0 while
    /// `QUEUED`); customers joining the selection while it runs are done
    /// too, so `processed` may pass it.
    async fn total(&self) -> i64 {
        self.0.total
    }

    /// Customers it could not process.
    async fn failed(&self) -> i64 {
        self.0.failed
    }

    /// The first 50 failures, with why.
    async fn errors(&self) -> Vec<BulkOperationError> {
        let list = self.0.errors.as_array().cloned().unwrap_or_default();
        list.iter()
            .map(|e| BulkOperationError {
                customer_id: e["customerId"].as_str().map(|s| ID(s.to_owned())),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// A completed export's file: a signed link that needs no token, valid
    /// for `CRM_EXPORT_LINK_TTL` from this read. Null otherwise.
    async fn result_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (BulkAction::Export, BulkStatus::Completed, Some(link_key)) =
            (self.0.action, self.0.status, &self.0.link_key)
        else {
            return Ok(None);
        };
        let session = ctx.session()?;
        let settings = ctx.data::<Settings>()?;
        let ttl = chrono::Duration::from_std(settings.export_link_ttl).unwrap_or_default();
        let expires = (chrono::Utc::now() + ttl).timestamp();
        Ok(Some(download::link(
            settings.public_url.as_deref().unwrap_or_default(),
            Kind::BulkOperation,
            session.tenant(),
            &self.0.id,
            link_key,
            expires,
        )))
    }

    /// The `sub` of the credential that started it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// The selection as given: `filter`, `query`, `segmentId` or `ids`
    /// (`cus_…`), as the input took them.
    async fn selection(&self) -> Json<Value> {
        Json(as_given(&self.0.selection))
    }

    /// When it was started.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it ended (completed, failed or cancelled); null while it runs.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }
}

/// A stored selection in the input's terms: its row keys as IDs.
fn as_given(stored: &Value) -> Value {
    let mut given = stored.clone();
    let Some(fields) = given.as_object_mut() else {
        return given;
    };
    if let Some(segment) = fields.remove("segment") {
        let id = segment.as_str().map_or(Value::Null, |key| {
            Value::String(ids::encode(Kind::Segment, key).0)
        });
        fields.insert("segmentId".to_owned(), id);
    }
    if let Some(Value::Array(keys)) = fields.get_mut("ids") {
        for key in keys.iter_mut() {
            if let Some(row) = key.as_str() {
                *key = Value::String(ids::encode(Kind::Customer, row).0);
            }
        }
    }
    given
}
