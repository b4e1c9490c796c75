//! Customers and their tags.
//!
//! Every list the API serves is a keyset scan on `(tenant_id, sort key, id)`,
//! so each sort key gets such an index. Nullable sort keys order NULL as the
//! smallest value (first ascending, last descending): SQLite does that by
//! itself; PostgreSQL needs `NULLS FIRST` in the index for the scan to match.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    Name,
    FirstName,
    LastName,
    SortName,
    Email,
    Phone,
    CompanyName,
    AvatarUrl,
    Status,
    Source,
    AddressLine1,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    Metadata,
    SearchText,
    TotalOrders,
    TotalSpentCents,
    LastOrderAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerTags {
    Table,
    TenantId,
    CustomerId,
    Tag,
}

/// `(name, sort column, nullable)` of every customer sort index.
const SORT_INDEXES: &[(&str, &str, bool)] = &[
    ("customers_created_at", "created_at", false),
    ("customers_updated_at", "updated_at", false),
    ("customers_sort_name", "sort_name", true),
    ("customers_email", "email", true),
    ("customers_last_order_at", "last_order_at", true),
    ("customers_total_spent", "total_spent_cents", false),
    ("customers_total_orders", "total_orders", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(string_len(Customers::TenantId, 64))
                    .col(string_len(Customers::Id, 32))
                    .col(text_null(Customers::Name))
                    .col(text_null(Customers::FirstName))
                    .col(text_null(Customers::LastName))
                    .col(text_null(Customers::SortName))
                    .col(text_null(Customers::Email))
                    .col(string_len_null(Customers::Phone, 20))
                    .col(text_null(Customers::CompanyName))
                    .col(text_null(Customers::AvatarUrl))
                    .col(string_len(Customers::Status, 16))
                    .col(text_null(Customers::Source))
                    .col(text_null(Customers::AddressLine1))
                    .col(text_null(Customers::AddressLine2))
                    .col(text_null(Customers::City))
                    .col(text_null(Customers::State))
                    .col(text_null(Customers::PostalCode))
                    .col(string_len_null(Customers::Country, 2))
                    .col(json_binary(Customers::Metadata))
                    .col(text(Customers::SearchText))
                    .col(big_integer(Customers::TotalOrders).default(0))
                    .col(big_integer(Customers::TotalSpentCents).default(0))
                    .col(timestamp_with_time_zone_null(Customers::LastOrderAt))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .primary_key(Index::create().col(Customers::TenantId).col(Customers::Id))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerTags::Table)
                    .col(string_len(CustomerTags::TenantId, 64))
                    .col(string_len(CustomerTags::CustomerId, 32))
                    .col(string_len(CustomerTags::Tag, 64))
                    .primary_key(
                        Index::create()
                            .col(CustomerTags::TenantId)
                            .col(CustomerTags::CustomerId)
                            .col(CustomerTags::Tag),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerTags::Table,
                                (CustomerTags::TenantId, CustomerTags::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let db = manager.get_connection();
        for (name, column, nullable) in SORT_INDEXES {
            let nulls = if *nullable && postgres {
                " NULLS FIRST"
            } else {
                ""
            };
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON customers (tenant_id, {column}{nulls}, id)"
            ))
            .await?;
        }
        // Case-insensitive uniqueness holds even for a row written around the
        // application's own lower-casing.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX customers_email_unique ON customers (tenant_id, lower(email))",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX customers_phone_unique ON customers (tenant_id, phone)",
        )
        .await?;
        // "Has tag" filters probe (tenant_id, tag, customer_id).
        db.execute_unprepared(
            "CREATE INDEX customer_tags_by_tag ON customer_tags (tenant_id, tag, customer_id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerTags::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await
    }
}
