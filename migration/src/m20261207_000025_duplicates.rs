//! The duplicate finder: each customer's blocking keys, the keys too
//! common to compare by, the pairs found likely to be one person, and the
//! pairs a user dismissed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerMatchKeys {
    Table,
    TenantId,
    MatchKey,
    CustomerId,
    Name,
}

#[derive(DeriveIden)]
enum CommonMatchKeys {
    Table,
    TenantId,
    MatchKey,
}

#[derive(DeriveIden)]
enum DuplicatePairs {
    Table,
    TenantId,
    Id,
    CustomerId,
    OtherId,
    Score,
    Reasons,
    FoundAt,
}

#[derive(DeriveIden)]
enum DismissedDuplicates {
    Table,
    TenantId,
    CustomerId,
    OtherId,
    DismissedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

/// A foreign key from `(tenant_id, column)` to a customer, going with it.
fn to_customer(
    table: impl IntoIden,
    tenant: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, (tenant, column))
        .to(Customers::Table, (Customers::TenantId, Customers::Id))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerMatchKeys::Table)
                    .col(string_len(CustomerMatchKeys::TenantId, 64))
                    .col(string_len(CustomerMatchKeys::MatchKey, 255))
                    .col(string_len(CustomerMatchKeys::CustomerId, 32))
                    // The compared name, beside a sound-alike (`s:`) key.
                    .col(text_null(CustomerMatchKeys::Name))
                    .primary_key(
                        Index::create()
                            .col(CustomerMatchKeys::TenantId)
                            .col(CustomerMatchKeys::MatchKey)
                            .col(CustomerMatchKeys::CustomerId),
                    )
                    .foreign_key(&mut to_customer(
                        CustomerMatchKeys::Table,
                        CustomerMatchKeys::TenantId,
                        CustomerMatchKeys::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        // A customer's keys are replaced when it changes.
        manager
            .create_index(
                Index::create()
                    .name("customer_match_keys_by_customer")
                    .table(CustomerMatchKeys::Table)
                    .col(CustomerMatchKeys::TenantId)
                    .col(CustomerMatchKeys::CustomerId)
                    .to_owned(),
            )
            .await?;
        // Keys found shared by too many customers: never read again.
        manager
            .create_table(
                Table::create()
                    .table(CommonMatchKeys::Table)
                    .col(string_len(CommonMatchKeys::TenantId, 64))
                    .col(string_len(CommonMatchKeys::MatchKey, 255))
                    .primary_key(
                        Index::create()
                            .col(CommonMatchKeys::TenantId)
                            .col(CommonMatchKeys::MatchKey),
                    )
                    .to_owned(),
            )
            .await?;
        // `customer_id` is the smaller key of the two; `id` is both keys
        // together, the pair's key in cursors.
        manager
            .create_table(
                Table::create()
                    .table(DuplicatePairs::Table)
                    .col(string_len(DuplicatePairs::TenantId, 64))
                    .col(string_len(DuplicatePairs::Id, 64))
                    .col(string_len(DuplicatePairs::CustomerId, 32))
                    .col(string_len(DuplicatePairs::OtherId, 32))
                    .col(double(DuplicatePairs::Score))
                    .col(json_binary(DuplicatePairs::Reasons))
                    .col(timestamp_with_time_zone(DuplicatePairs::FoundAt))
                    .primary_key(
                        Index::create()
                            .col(DuplicatePairs::TenantId)
                            .col(DuplicatePairs::Id),
                    )
                    .foreign_key(&mut to_customer(
                        DuplicatePairs::Table,
                        DuplicatePairs::TenantId,
                        DuplicatePairs::CustomerId,
                    ))
                    .foreign_key(&mut to_customer(
                        DuplicatePairs::Table,
                        DuplicatePairs::TenantId,
                        DuplicatePairs::OtherId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The list's order, best first; and the pairs of a customer that
        // changed, from either side.
        for (name, columns) in [
            (
                "duplicate_pairs_by_score",
                [DuplicatePairs::Score, DuplicatePairs::Id],
            ),
            (
                "duplicate_pairs_by_customer",
                [DuplicatePairs::CustomerId, DuplicatePairs::Id],
            ),
            (
                "duplicate_pairs_by_other",
                [DuplicatePairs::OtherId, DuplicatePairs::Id],
            ),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(DuplicatePairs::Table)
                .col(DuplicatePairs::TenantId);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DismissedDuplicates::Table)
                    .col(string_len(DismissedDuplicates::TenantId, 64))
                    .col(string_len(DismissedDuplicates::CustomerId, 32))
                    .col(string_len(DismissedDuplicates::OtherId, 32))
                    .col(timestamp_with_time_zone(DismissedDuplicates::DismissedAt))
                    .primary_key(
                        Index::create()
                            .col(DismissedDuplicates::TenantId)
                            .col(DismissedDuplicates::CustomerId)
                            .col(DismissedDuplicates::OtherId),
                    )
                    .foreign_key(&mut to_customer(
                        DismissedDuplicates::Table,
                        DismissedDuplicates::TenantId,
                        DismissedDuplicates::CustomerId,
                    ))
                    .foreign_key(&mut to_customer(
                        DismissedDuplicates::Table,
                        DismissedDuplicates::TenantId,
                        DismissedDuplicates::OtherId,
                    ))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE customer_match_keys \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN match_key TYPE varchar(255) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE common_match_keys \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN match_key TYPE varchar(255) COLLATE \"C\"; \
                     ALTER TABLE duplicate_pairs \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN other_id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE dismissed_duplicates \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN other_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DismissedDuplicates::Table.into_iden(),
            DuplicatePairs::Table.into_iden(),
            CommonMatchKeys::Table.into_iden(),
            CustomerMatchKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
