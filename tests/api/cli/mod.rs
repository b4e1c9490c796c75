//! The `crm` binary's commands: `schema` matches `schema.graphql`, `token`
//! mints a token the server accepts, `import` reads a CSV file and
//! `seed-demo` writes a demo tenant.

mod export;
mod import;
mod schema_and_token;
mod seed_demo;
