//! A dynamic segment may be defined by a customer filter tree or a text
//! query instead of flat rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Filter,
    Query,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column a statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .add_column(json_binary_null(Segments::Filter))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Segments::Table)
                    .add_column(text_null(Segments::Query))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Segments::Filter, Segments::Query] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Segments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
