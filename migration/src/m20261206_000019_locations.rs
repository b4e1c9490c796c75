//! Locations: a tenant's places of business, and which customers belong to
//! which (`customer_locations`, read by location to narrow a list and by
//! customer for its locations). Memberships go with their customer and
//! with their location.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Locations {
    Table,
    TenantId,
    Id,
    Name,
    AddressLine1,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    Timezone,
    Metadata,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerLocations {
    Table,
    TenantId,
    LocationId,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Locations::Table)
                    .col(string_len(Locations::TenantId, 64))
                    .col(string_len(Locations::Id, 32))
                    .col(text(Locations::Name))
                    .col(text_null(Locations::AddressLine1))
                    .col(text_null(Locations::AddressLine2))
                    .col(text_null(Locations::City))
                    .col(text_null(Locations::State))
                    .col(text_null(Locations::PostalCode))
                    .col(string_len_null(Locations::Country, 2))
                    .col(text(Locations::Timezone))
                    .col(json_binary(Locations::Metadata))
                    .col(timestamp_with_time_zone(Locations::CreatedAt))
                    .col(timestamp_with_time_zone(Locations::UpdatedAt))
                    .primary_key(Index::create().col(Locations::TenantId).col(Locations::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerLocations::Table)
                    .col(string_len(CustomerLocations::TenantId, 64))
                    .col(string_len(CustomerLocations::LocationId, 32))
                    .col(string_len(CustomerLocations::CustomerId, 32))
                    .col(timestamp_with_time_zone(CustomerLocations::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomerLocations::TenantId)
                            .col(CustomerLocations::LocationId)
                            .col(CustomerLocations::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerLocations::Table,
                                (CustomerLocations::TenantId, CustomerLocations::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerLocations::Table,
                                (CustomerLocations::TenantId, CustomerLocations::LocationId),
                            )
                            .to(Locations::Table, (Locations::TenantId, Locations::Id))
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
                    "ALTER TABLE locations \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE customer_locations \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN location_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("customer_locations_by_customer")
                    .table(CustomerLocations::Table)
                    .col(CustomerLocations::TenantId)
                    .col(CustomerLocations::CustomerId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerLocations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Locations::Table).to_owned())
            .await
    }
}
