//! Data requests (erasure and export), their audit records and archives,
//! webhook endpoints with their outbox of events, deliveries and attempts,
//! and the job queue the background worker takes work from.
//!
//! - `jobs` is the durable queue: a job is due when `run_at` has passed. A
//!   worker that takes one moves `run_at` to the end of its lease, so a job
//!   whose worker died is simply due again when the lease runs out (one
//!   index serves both). It is the one table read across tenants, by the
//!   worker only.
//! - `webhook_events` is the outbox: written in the transaction of the
//!   change, with the exact body that will be signed and sent.
//! - `erasure_audits` hold counts, the request id and the actor: no
//!   personal data.
//! - SQLite: the search index physically removes deleted text
//!   (FTS5 `secure-delete`), as the tables do (`secure_delete` pragma).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    TenantId,
    Id,
    CustomerId,
    Kind,
    Status,
    Reason,
    NotifyCustomer,
    Format,
    Actor,
    Error,
    CreatedAt,
    UpdatedAt,
    EstimatedCompletion,
    CompletedAt,
}

#[derive(DeriveIden)]
enum ErasureAudits {
    Table,
    TenantId,
    RequestId,
    Actor,
    ErasedAt,
    Removed,
}

#[derive(DeriveIden)]
enum Exports {
    Table,
    TenantId,
    RequestId,
    CustomerId,
    Archive,
    LinkKey,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    TenantId,
    Id,
    Kind,
    SubjectId,
    RunAt,
    Attempts,
    LeaseOwner,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    TenantId,
    Id,
    Url,
    Events,
    Secret,
    Description,
    DisabledAt,
    DisabledReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    TenantId,
    Id,
    Event,
    CustomerId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    TenantId,
    Id,
    EndpointId,
    EventId,
    Status,
    Attempts,
    LastStatusCode,
    NextAttemptAt,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    TenantId,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    LatencyMs,
    Error,
}

fn key(name: impl IntoIden) -> ColumnDef {
    string_len(name, 32)
}

fn tenant(name: impl IntoIden) -> ColumnDef {
    string_len(name, 64)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataRequests::Table)
                    .col(tenant(DataRequests::TenantId))
                    .col(key(DataRequests::Id))
                    .col(key(DataRequests::CustomerId))
                    .col(string_len(DataRequests::Kind, 16))
                    .col(string_len(DataRequests::Status, 16))
                    .col(text_null(DataRequests::Reason))
                    .col(boolean(DataRequests::NotifyCustomer))
                    .col(string_len(DataRequests::Format, 16))
                    .col(string_len(DataRequests::Actor, 255))
                    .col(text_null(DataRequests::Error))
                    .col(timestamp_with_time_zone(DataRequests::CreatedAt))
                    .col(timestamp_with_time_zone(DataRequests::UpdatedAt))
                    .col(timestamp_with_time_zone(DataRequests::EstimatedCompletion))
                    .col(timestamp_with_time_zone_null(DataRequests::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(DataRequests::TenantId)
                            .col(DataRequests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("data_requests_by_created_at")
                    .table(DataRequests::Table)
                    .col(DataRequests::TenantId)
                    .col(DataRequests::CreatedAt)
                    .col(DataRequests::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ErasureAudits::Table)
                    .col(tenant(ErasureAudits::TenantId))
                    .col(key(ErasureAudits::RequestId))
                    .col(string_len(ErasureAudits::Actor, 255))
                    .col(timestamp_with_time_zone(ErasureAudits::ErasedAt))
                    .col(json_binary(ErasureAudits::Removed))
                    .primary_key(
                        Index::create()
                            .col(ErasureAudits::TenantId)
                            .col(ErasureAudits::RequestId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Exports::Table)
                    .col(tenant(Exports::TenantId))
                    .col(key(Exports::RequestId))
                    .col(key(Exports::CustomerId))
                    .col(text(Exports::Archive))
                    .col(string_len(Exports::LinkKey, 64))
                    .col(timestamp_with_time_zone(Exports::CreatedAt))
                    .col(timestamp_with_time_zone(Exports::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(Exports::TenantId)
                            .col(Exports::RequestId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("exports_by_customer")
                    .table(Exports::Table)
                    .col(Exports::TenantId)
                    .col(Exports::CustomerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("exports_by_expiry")
                    .table(Exports::Table)
                    .col(Exports::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(tenant(Jobs::TenantId))
                    .col(key(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(key(Jobs::SubjectId))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts))
                    .col(string_len_null(Jobs::LeaseOwner, 64))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .primary_key(Index::create().col(Jobs::TenantId).col(Jobs::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_due")
                    .table(Jobs::Table)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(tenant(WebhookEndpoints::TenantId))
                    .col(key(WebhookEndpoints::Id))
                    .col(text(WebhookEndpoints::Url))
                    .col(json_binary(WebhookEndpoints::Events))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(text_null(WebhookEndpoints::Description))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookEndpoints::TenantId)
                            .col(WebhookEndpoints::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(tenant(WebhookEvents::TenantId))
                    .col(key(WebhookEvents::Id))
                    .col(string_len(WebhookEvents::Event, 64))
                    .col(string_len_null(WebhookEvents::CustomerId, 32))
                    .col(text(WebhookEvents::Body))
                    .col(timestamp_with_time_zone(WebhookEvents::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookEvents::TenantId)
                            .col(WebhookEvents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_events_by_customer")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::TenantId)
                    .col(WebhookEvents::CustomerId)
                    .to_owned(),
            )
            .await?;
        // The retention sweep, across tenants.
        manager
            .create_index(
                Index::create()
                    .name("webhook_events_by_age")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(tenant(WebhookDeliveries::TenantId))
                    .col(key(WebhookDeliveries::Id))
                    .col(key(WebhookDeliveries::EndpointId))
                    .col(key(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookDeliveries::TenantId)
                            .col(WebhookDeliveries::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookDeliveries::Table,
                                (WebhookDeliveries::TenantId, WebhookDeliveries::EndpointId),
                            )
                            .to(
                                WebhookEndpoints::Table,
                                (WebhookEndpoints::TenantId, WebhookEndpoints::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookDeliveries::Table,
                                (WebhookDeliveries::TenantId, WebhookDeliveries::EventId),
                            )
                            .to(
                                WebhookEvents::Table,
                                (WebhookEvents::TenantId, WebhookEvents::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_by_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::TenantId)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::CreatedAt)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_by_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::TenantId)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(tenant(WebhookAttempts::TenantId))
                    .col(key(WebhookAttempts::Id))
                    .col(key(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(big_integer(WebhookAttempts::LatencyMs))
                    .col(text_null(WebhookAttempts::Error))
                    .primary_key(
                        Index::create()
                            .col(WebhookAttempts::TenantId)
                            .col(WebhookAttempts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookAttempts::Table,
                                (WebhookAttempts::TenantId, WebhookAttempts::DeliveryId),
                            )
                            .to(
                                WebhookDeliveries::Table,
                                (WebhookDeliveries::TenantId, WebhookDeliveries::Id),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempts_by_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::TenantId)
                    .col(WebhookAttempts::DeliveryId)
                    .col(WebhookAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() == DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(
                    "INSERT INTO customer_search (customer_search, rank) VALUES ('secure-delete', 1)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            Jobs::Table.into_iden(),
            Exports::Table.into_iden(),
            ErasureAudits::Table.into_iden(),
            DataRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
