//! Segments and the members of static segments.
//!
//! A dynamic segment keeps its rules (a JSON array of `{field, operator,
//! value}`, validated by the application) and has no member rows: its
//! membership is the rules evaluated by the database when read. A static
//! segment lists its members in `segment_members`, which go with the
//! segment and with the customer (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden)]
enum Segments {
    Table,
    TenantId,
    Id,
    Name,
    Description,
    Kind,
    MatchMode,
    Rules,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SegmentMembers {
    Table,
    TenantId,
    SegmentId,
    CustomerId,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(string_len(Segments::TenantId, 64))
                    .col(string_len(Segments::Id, 32))
                    .col(string_len(Segments::Name, 255))
                    .col(text_null(Segments::Description))
                    .col(string_len(Segments::Kind, 16))
                    .col(string_len(Segments::MatchMode, 8))
                    .col(json_binary(Segments::Rules))
                    .col(timestamp_with_time_zone(Segments::CreatedAt))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .primary_key(Index::create().col(Segments::TenantId).col(Segments::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segments_name")
                    .table(Segments::Table)
                    .col(Segments::TenantId)
                    .col(Segments::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segments_by_created_at")
                    .table(Segments::Table)
                    .col(Segments::TenantId)
                    .col(Segments::CreatedAt)
                    .col(Segments::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SegmentMembers::Table)
                    .col(string_len(SegmentMembers::TenantId, 64))
                    .col(string_len(SegmentMembers::SegmentId, 32))
                    .col(string_len(SegmentMembers::CustomerId, 32))
                    .col(timestamp_with_time_zone(SegmentMembers::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(SegmentMembers::TenantId)
                            .col(SegmentMembers::SegmentId)
                            .col(SegmentMembers::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SegmentMembers::Table,
                                (SegmentMembers::TenantId, SegmentMembers::SegmentId),
                            )
                            .to(Segments::Table, (Segments::TenantId, Segments::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SegmentMembers::Table,
                                (SegmentMembers::TenantId, SegmentMembers::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // `Customer.segments`, merge and the customer side of the cascade.
        manager
            .create_index(
                Index::create()
                    .name("segment_members_by_customer")
                    .table(SegmentMembers::Table)
                    .col(SegmentMembers::TenantId)
                    .col(SegmentMembers::CustomerId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SegmentMembers::Table.into_iden(),
            Segments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
