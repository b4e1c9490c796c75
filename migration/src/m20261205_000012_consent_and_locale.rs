//! Marketing consent (email and SMS: state, opt-in level, when and from
//! where it last changed), the language to write to and the preferred
//! currency, on the customer row. Existing customers have not subscribed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    EmailConsent,
    EmailConsentLevel,
    EmailConsentAt,
    EmailConsentSource,
    SmsConsent,
    SmsConsentLevel,
    SmsConsentAt,
    SmsConsentSource,
    Locale,
    Currency,
}

/// One column each: SQLite's `ALTER TABLE` adds one at a time.
fn columns() -> Vec<ColumnDef> {
    let state = |c: Customers| {
        ColumnDef::new(c)
            .text()
            .not_null()
            .default("NOT_SUBSCRIBED")
            .to_owned()
    };
    let text = |c: Customers| ColumnDef::new(c).text().null().to_owned();
    let time = |c: Customers| {
        ColumnDef::new(c)
            .timestamp_with_time_zone()
            .null()
            .to_owned()
    };
    vec![
        state(Customers::EmailConsent),
        text(Customers::EmailConsentLevel),
        time(Customers::EmailConsentAt),
        text(Customers::EmailConsentSource),
        state(Customers::SmsConsent),
        text(Customers::SmsConsentLevel),
        time(Customers::SmsConsentAt),
        text(Customers::SmsConsentSource),
        text(Customers::Locale),
        text(Customers::Currency),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Customers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Customers::EmailConsent,
            Customers::EmailConsentLevel,
            Customers::EmailConsentAt,
            Customers::EmailConsentSource,
            Customers::SmsConsent,
            Customers::SmsConsentLevel,
            Customers::SmsConsentAt,
            Customers::SmsConsentSource,
            Customers::Locale,
            Customers::Currency,
        ] {
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
