//! Segment membership changes: the memberships of dynamic segments as
//! last computed, and the customers changed since, to recheck.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SegmentMemberships {
    Table,
    TenantId,
    SegmentId,
    CustomerId,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden)]
enum SegmentRechecks {
    Table,
    TenantId,
    CustomerId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SegmentMemberships::Table)
                    .col(string_len(SegmentMemberships::TenantId, 64))
                    .col(string_len(SegmentMemberships::SegmentId, 32))
                    .col(string_len(SegmentMemberships::CustomerId, 32))
                    .primary_key(
                        Index::create()
                            .col(SegmentMemberships::TenantId)
                            .col(SegmentMemberships::SegmentId)
                            .col(SegmentMemberships::CustomerId),
                    )
                    // Memberships go with their segment and their customer.
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SegmentMemberships::Table,
                                (SegmentMemberships::TenantId, SegmentMemberships::SegmentId),
                            )
                            .to(Segments::Table, (Segments::TenantId, Segments::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SegmentMemberships::Table,
                                (SegmentMemberships::TenantId, SegmentMemberships::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A recheck reads a customer's memberships across segments.
        manager
            .create_index(
                Index::create()
                    .name("segment_memberships_by_customer")
                    .table(SegmentMemberships::Table)
                    .col(SegmentMemberships::TenantId)
                    .col(SegmentMemberships::CustomerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentRechecks::Table)
                    .col(string_len(SegmentRechecks::TenantId, 64))
                    .col(string_len(SegmentRechecks::CustomerId, 32))
                    .primary_key(
                        Index::create()
                            .col(SegmentRechecks::TenantId)
                            .col(SegmentRechecks::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SegmentRechecks::Table,
                                (SegmentRechecks::TenantId, SegmentRechecks::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE segment_memberships \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN segment_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE segment_rechecks \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SegmentRechecks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SegmentMemberships::Table).to_owned())
            .await
    }
}
