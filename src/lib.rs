//! crm-graphql: a multi-tenant customer CRM served as one GraphQL API.

pub mod activity;
pub mod analytics;
pub mod api_keys;
pub mod app;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod commands;
pub mod companies;
pub mod config;
pub mod customers;
pub mod data_requests;
pub mod db;
pub mod duplicates;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod limits;
pub mod locations;

pub mod notes;
pub mod orders;
pub mod profiles;
pub mod schema;
pub mod seed;
pub mod segments;
pub mod telemetry;
pub mod tenancy;
pub mod webhooks;
