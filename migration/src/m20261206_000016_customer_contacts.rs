//! Several emails and phones per customer. The primary ones stay in
//! `customers.email` / `phone`; the additional ones are listed on the row
//! (`additional_emails`, `additional_phones`: JSON arrays, read with it)
//! and each has a row in `customer_contacts`, whose key makes it unique
//! in the tenant and finds its customer. They go with their customer.

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
    AdditionalEmails,
    AdditionalPhones,
}

#[derive(DeriveIden)]
enum CustomerContacts {
    Table,
    TenantId,
    Kind,
    Value,
    CustomerId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Customers::AdditionalEmails, Customers::AdditionalPhones] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Customers::Table)
                        .add_column(
                            ColumnDef::new(column)
                                .json_binary()
                                .not_null()
                                .default(Expr::cust("'[]'")),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomerContacts::Table)
                    .col(string_len(CustomerContacts::TenantId, 64))
                    .col(string_len(CustomerContacts::Kind, 8))
                    .col(text(CustomerContacts::Value))
                    .col(string_len(CustomerContacts::CustomerId, 32))
                    .primary_key(
                        Index::create()
                            .col(CustomerContacts::TenantId)
                            .col(CustomerContacts::Kind)
                            .col(CustomerContacts::Value),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerContacts::Table,
                                (CustomerContacts::TenantId, CustomerContacts::CustomerId),
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
                    .name("customer_contacts_by_customer")
                    .table(CustomerContacts::Table)
                    .col(CustomerContacts::TenantId)
                    .col(CustomerContacts::CustomerId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE customer_contacts \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN kind TYPE varchar(8) COLLATE \"C\", \
                     ALTER COLUMN value TYPE text COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerContacts::Table).to_owned())
            .await?;
        for column in [Customers::AdditionalEmails, Customers::AdditionalPhones] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Customers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
