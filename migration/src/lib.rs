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

pub struct Migrator;

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
        ]
    }
}
