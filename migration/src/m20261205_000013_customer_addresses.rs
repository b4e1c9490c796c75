//! A customer's addresses. The default one stays on the customer row (as
//! the single address was), so filters, rules and sorts on country and
//! city keep reading one row; `default_address_id` names it. The others
//! live in `customer_addresses` and go with their customer. An existing
//! address becomes the default, keyed by its customer's key (unique in
//! the tenant, as a new address's time-ordered key is).

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
    DefaultAddressId,
}

#[derive(DeriveIden)]
enum CustomerAddresses {
    Table,
    TenantId,
    Id,
    CustomerId,
    Line1,
    Line2,
    City,
    State,
    PostalCode,
    Country,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerAddresses::Table)
                    .col(string_len(CustomerAddresses::TenantId, 64))
                    .col(string_len(CustomerAddresses::Id, 32))
                    .col(string_len(CustomerAddresses::CustomerId, 32))
                    .col(text_null(CustomerAddresses::Line1))
                    .col(text_null(CustomerAddresses::Line2))
                    .col(text_null(CustomerAddresses::City))
                    .col(text_null(CustomerAddresses::State))
                    .col(text_null(CustomerAddresses::PostalCode))
                    .col(string_len_null(CustomerAddresses::Country, 2))
                    .col(timestamp_with_time_zone(CustomerAddresses::CreatedAt))
                    .col(timestamp_with_time_zone(CustomerAddresses::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomerAddresses::TenantId)
                            .col(CustomerAddresses::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerAddresses::Table,
                                (CustomerAddresses::TenantId, CustomerAddresses::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customer_addresses_by_customer")
                    .table(CustomerAddresses::Table)
                    .col(CustomerAddresses::TenantId)
                    .col(CustomerAddresses::CustomerId)
                    .col(CustomerAddresses::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(string_len_null(Customers::DefaultAddressId, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_default_address")
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(Customers::DefaultAddressId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE customer_addresses \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE customers \
                     ALTER COLUMN default_address_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE customers SET default_address_id = id \
                 WHERE address_line1 IS NOT NULL OR address_line2 IS NOT NULL \
                 OR city IS NOT NULL OR state IS NOT NULL \
                 OR postal_code IS NOT NULL OR country IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("customers_default_address")
                    .table(Customers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::DefaultAddressId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CustomerAddresses::Table).to_owned())
            .await?;
        Ok(())
    }
}
