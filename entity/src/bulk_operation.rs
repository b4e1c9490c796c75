use sea_orm::entity::prelude::*;

/// A change or export applied to many customers at once, in batches, by
/// the job worker.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_operations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub action: BulkAction,
    pub status: BulkStatus,
    /// Which customers: `{ filter, query, segmentId, ids }` as given.
    #[sea_orm(column_type = "JsonBinary")]
    pub selection: Json,
    /// What the action takes: `{ tags, status, segmentId, format, columns }`.
    #[sea_orm(column_type = "JsonBinary")]
    pub params: Json,
    /// How many customers the selection held when the run began.
    pub total: i64,
    pub processed: i64,
    pub failed: i64,
    /// The first failures: `[{ customerId, message }]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub errors: Json,
    /// The key of the last customer done: the run goes on after it.
    pub cursor: Option<String>,
    /// The random key an export's download links are signed with.
    pub link_key: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

/// What a bulk operation does to each customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum BulkAction {
    #[sea_orm(string_value = "TAG")]
    Tag,
    #[sea_orm(string_value = "UNTAG")]
    Untag,
    #[sea_orm(string_value = "SET_STATUS")]
    SetStatus,
    #[sea_orm(string_value = "DELETE")]
    Delete,
    #[sea_orm(string_value = "ADD_TO_SEGMENT")]
    AddToSegment,
    #[sea_orm(string_value = "REMOVE_FROM_SEGMENT")]
    RemoveFromSegment,
    #[sea_orm(string_value = "EXPORT")]
    Export,
}

/// Where a bulk operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum BulkStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl BulkStatus {
    /// Whether the operation has ended (it never moves on again).
    pub fn ended(self) -> bool {
        matches!(
            self,
            BulkStatus::Completed | BulkStatus::Failed | BulkStatus::Cancelled
        )
    }
}
