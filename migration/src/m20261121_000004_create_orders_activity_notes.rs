//! Orders, the activity timeline, notes, and the per-tenant RFM breakpoints.
//!
//! Every child row points at its customer by `(tenant_id, customer_id)`.
//! Activity and notes go with their customer (`ON DELETE CASCADE`); orders
//! outlive it with `customer_id` set to NULL by the application, so revenue
//! statistics stay right after a customer is deleted or erased.
//!
//! Each list a customer shows is a keyset scan of one index:
//! `(tenant_id, customer_id, time, id)`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    FirstOrderAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    TenantId,
    Id,
    CustomerId,
    ExternalId,
    AmountCents,
    Currency,
    Status,
    PlacedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    TenantId,
    Id,
    CustomerId,
    Kind,
    Title,
    Data,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    TenantId,
    Id,
    CustomerId,
    Body,
    Author,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RfmBreakpoints {
    Table,
    TenantId,
    PayingCustomers,
    Recency1,
    Recency2,
    Recency3,
    Recency4,
    Frequency1,
    Frequency2,
    Frequency3,
    Frequency4,
    Monetary1,
    Monetary2,
    Monetary3,
    Monetary4,
    OrdersChangedAt,
    ComputedAt,
}

fn customer_fk(
    table: impl IntoIden,
    tenant: impl IntoIden,
    customer: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, (tenant, customer))
        .to(Customers::Table, (Customers::TenantId, Customers::Id))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(timestamp_with_time_zone_null(Customers::FirstOrderAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(string_len(Orders::TenantId, 64))
                    .col(string_len(Orders::Id, 32))
                    .col(string_len_null(Orders::CustomerId, 32))
                    .col(string_len(Orders::ExternalId, 255))
                    .col(big_integer(Orders::AmountCents))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len(Orders::Status, 16))
                    .col(timestamp_with_time_zone(Orders::PlacedAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .primary_key(Index::create().col(Orders::TenantId).col(Orders::Id))
                    // Deleting a customer detaches its orders first; the key
                    // keeps any other path from leaving one dangling.
                    .foreign_key(&mut customer_fk(
                        Orders::Table,
                        Orders::TenantId,
                        Orders::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("orders_external_id", vec![Orders::ExternalId]),
            (
                "orders_by_customer",
                vec![Orders::CustomerId, Orders::PlacedAt, Orders::Id],
            ),
            ("orders_by_placed_at", vec![Orders::PlacedAt]),
            ("orders_by_updated_at", vec![Orders::UpdatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Orders::Table).col(Orders::TenantId);
            for column in columns {
                index.col(column);
            }
            if name == "orders_external_id" {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(string_len(Activities::TenantId, 64))
                    .col(string_len(Activities::Id, 32))
                    .col(string_len(Activities::CustomerId, 32))
                    .col(string_len(Activities::Kind, 16))
                    .col(text_null(Activities::Title))
                    .col(json_binary_null(Activities::Data))
                    .col(timestamp_with_time_zone(Activities::OccurredAt))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Activities::TenantId)
                            .col(Activities::Id),
                    )
                    .foreign_key(
                        customer_fk(
                            Activities::Table,
                            Activities::TenantId,
                            Activities::CustomerId,
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("activities_by_customer")
                    .table(Activities::Table)
                    .col(Activities::TenantId)
                    .col(Activities::CustomerId)
                    .col(Activities::OccurredAt)
                    .col(Activities::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notes::Table)
                    .col(string_len(Notes::TenantId, 64))
                    .col(string_len(Notes::Id, 32))
                    .col(string_len(Notes::CustomerId, 32))
                    .col(text(Notes::Body))
                    .col(text(Notes::Author))
                    .col(timestamp_with_time_zone(Notes::CreatedAt))
                    .col(timestamp_with_time_zone(Notes::UpdatedAt))
                    .primary_key(Index::create().col(Notes::TenantId).col(Notes::Id))
                    .foreign_key(
                        customer_fk(Notes::Table, Notes::TenantId, Notes::CustomerId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notes_by_customer")
                    .table(Notes::Table)
                    .col(Notes::TenantId)
                    .col(Notes::CustomerId)
                    .col(Notes::CreatedAt)
                    .col(Notes::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RfmBreakpoints::Table)
                    .col(string_len(RfmBreakpoints::TenantId, 64).primary_key())
                    .col(big_integer(RfmBreakpoints::PayingCustomers))
                    .col(timestamp_with_time_zone_null(RfmBreakpoints::Recency1))
                    .col(timestamp_with_time_zone_null(RfmBreakpoints::Recency2))
                    .col(timestamp_with_time_zone_null(RfmBreakpoints::Recency3))
                    .col(timestamp_with_time_zone_null(RfmBreakpoints::Recency4))
                    .col(big_integer_null(RfmBreakpoints::Frequency1))
                    .col(big_integer_null(RfmBreakpoints::Frequency2))
                    .col(big_integer_null(RfmBreakpoints::Frequency3))
                    .col(big_integer_null(RfmBreakpoints::Frequency4))
                    .col(big_integer_null(RfmBreakpoints::Monetary1))
                    .col(big_integer_null(RfmBreakpoints::Monetary2))
                    .col(big_integer_null(RfmBreakpoints::Monetary3))
                    .col(big_integer_null(RfmBreakpoints::Monetary4))
                    .col(timestamp_with_time_zone_null(
                        RfmBreakpoints::OrdersChangedAt,
                    ))
                    .col(timestamp_with_time_zone(RfmBreakpoints::ComputedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RfmBreakpoints::Table.into_iden(),
            Notes::Table.into_iden(),
            Activities::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::FirstOrderAt)
                    .to_owned(),
            )
            .await
    }
}
