//! crm-graphql's API tests: one binary, each test against a real server on
//! its own port and its own database, on SQLite and (with
//! `CRM_TEST_DATABASE_URL`) on PostgreSQL.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

#[macro_use]
mod helpers;

mod activity;
mod addresses;
mod auth;
mod built_ahead;
mod bulk;
mod bulk_operations;
mod cli;
mod companies;
mod confined;
mod consent;
mod contacts;
mod crash;
mod custom_fields;
mod customers;
mod data_requests;
mod docs;
mod duplicates;
mod fairness;
mod house;
mod http;
mod limits;
mod loaders;
mod locations;
mod metrics;
mod orders;
mod pagination;
mod segment_rules;
mod segments;
mod subscriptions;
mod tenancy;
mod webhooks;
