//! Companies: a tenant's organisations, each with its customers
//! (`customers.company_id`, at most one company a customer). A domain is
//! unique in the tenant; the list reads companies by folded name.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    TenantId,
    Id,
    Name,
    SortName,
    Domain,
    Industry,
    Size,
    AddressLine1,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    Metadata,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    CompanyId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Companies::Table)
                    .col(string_len(Companies::TenantId, 64))
                    .col(string_len(Companies::Id, 32))
                    .col(text(Companies::Name))
                    .col(text(Companies::SortName))
                    .col(text_null(Companies::Domain))
                    .col(text_null(Companies::Industry))
                    .col(integer_null(Companies::Size))
                    .col(text_null(Companies::AddressLine1))
                    .col(text_null(Companies::AddressLine2))
                    .col(text_null(Companies::City))
                    .col(text_null(Companies::State))
                    .col(text_null(Companies::PostalCode))
                    .col(string_len_null(Companies::Country, 2))
                    .col(json_binary(Companies::Metadata))
                    .col(text(Companies::SearchText))
                    .col(timestamp_with_time_zone(Companies::CreatedAt))
                    .col(timestamp_with_time_zone(Companies::UpdatedAt))
                    .primary_key(Index::create().col(Companies::TenantId).col(Companies::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(string_len_null(Customers::CompanyId, 32))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys and the list's order compare byte by byte, as every other
            // key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE companies \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN sort_name TYPE text COLLATE \"C\", \
                     ALTER COLUMN domain TYPE text COLLATE \"C\"; \
                     ALTER TABLE customers \
                     ALTER COLUMN company_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("companies_domain")
                    .table(Companies::Table)
                    .col(Companies::TenantId)
                    .col(Companies::Domain)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("companies_by_name")
                    .table(Companies::Table)
                    .col(Companies::TenantId)
                    .col(Companies::SortName)
                    .col(Companies::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_by_company")
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(Customers::CompanyId)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("customers_by_company")
                    .table(Customers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::CompanyId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Companies::Table).to_owned())
            .await
    }
}
