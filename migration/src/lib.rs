//! Schema migrations, applied in order by `crm migrate` and at `crm serve`
//! start. Every primary key, unique constraint and index starts with
//! `tenant_id`.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_customers;
mod m20261121_000002_customer_search;
mod m20261121_000003_customer_filter_indexes;
mod m20261121_000004_create_orders_activity_notes;
mod m20261121_000005_create_segments;
mod m20261121_000006_customer_fact_indexes;
mod m20261121_000007_data_protection;
mod m20261121_000008_rate_buckets;
mod m20261121_000009_customer_counts;
mod m20261122_000010_byte_order_keys;
mod m20261202_000011_segment_members_by_customer;
mod m20261205_000012_consent_and_locale;
mod m20261205_000013_customer_addresses;
mod m20261206_000014_custom_field_definitions;
mod m20261206_000015_companies;
mod m20261206_000016_customer_contacts;
mod m20261206_000017_api_keys;
mod m20261206_000018_tenant_settings;
mod m20261206_000019_locations;
mod m20261206_000020_api_key_locations;
mod m20261206_000021_segment_filters;
mod m20261206_000022_bulk_operations;
mod m20261206_000023_segment_memberships;
mod m20261207_000024_customer_field_changes;
mod m20261207_000025_duplicates;
mod m20261207_000026_customer_merges;
mod m20261208_000027_duplicate_refreshes;
mod m20261209_000028_phone_key;
mod m20261210_000029_last_order_facts;
mod m20261211_000030_email_index_covers_lookups;

pub struct Migrator;

/// Runs the statements written for the connection's backend, in order.
async fn run_sql(
    manager: &SchemaManager<'_>,
    postgres: &[&str],
    sqlite: &[&str],
) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_customers::Migration),
            Box::new(m20261121_000002_customer_search::Migration),
            Box::new(m20261121_000003_customer_filter_indexes::Migration),
            Box::new(m20261121_000004_create_orders_activity_notes::Migration),
            Box::new(m20261121_000005_create_segments::Migration),
            Box::new(m20261121_000006_customer_fact_indexes::Migration),
            Box::new(m20261121_000007_data_protection::Migration),
            Box::new(m20261121_000008_rate_buckets::Migration),
            Box::new(m20261121_000009_customer_counts::Migration),
            Box::new(m20261122_000010_byte_order_keys::Migration),
            Box::new(m20261202_000011_segment_members_by_customer::Migration),
            Box::new(m20261205_000012_consent_and_locale::Migration),
            Box::new(m20261205_000013_customer_addresses::Migration),
            Box::new(m20261206_000014_custom_field_definitions::Migration),
            Box::new(m20261206_000015_companies::Migration),
            Box::new(m20261206_000016_customer_contacts::Migration),
            Box::new(m20261206_000017_api_keys::Migration),
            Box::new(m20261206_000018_tenant_settings::Migration),
            Box::new(m20261206_000019_locations::Migration),
            Box::new(m20261206_000020_api_key_locations::Migration),
            Box::new(m20261206_000021_segment_filters::Migration),
            Box::new(m20261206_000022_bulk_operations::Migration),
            Box::new(m20261206_000023_segment_memberships::Migration),
            Box::new(m20261207_000024_customer_field_changes::Migration),
            Box::new(m20261207_000025_duplicates::Migration),
            Box::new(m20261207_000026_customer_merges::Migration),
            Box::new(m20261208_000027_duplicate_refreshes::Migration),
            Box::new(m20261209_000028_phone_key::Migration),
            Box::new(m20261210_000029_last_order_facts::Migration),
            Box::new(m20261211_000030_email_index_covers_lookups::Migration),
        ]
    }
}
