//! The queries an export runs, on this schema: a data request's archive is
//! built from exactly what the API returns.

use async_graphql::{Request, Variables};
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::AppSchema;
use crate::auth::Viewer;
use crate::data_requests::Queries;
use crate::error::{AppError, AppResult};
use crate::graphql::Session;

/// [`Queries`] on the assembled schema.
pub struct SchemaQueries {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
}

impl Queries for SchemaQueries {
    fn run<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: &'a str,
        variables: Value,
    ) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(async move {
            let session = Session::outside_request(self.db.clone(), viewer.clone());
            let dispatch = session.loaders.dispatch().clone();
            let request = Request::new(query)
                .variables(Variables::from_json(variables))
                .data(session);
            let response = dispatch.run(self.schema.execute(request)).await;
            if let Some(error) = response.errors.first() {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the export query failed: {}",
                    error.message
                )));
            }
            response
                .data
                .into_json()
                .map_err(|err| AppError::Internal(err.into()))
        })
    }
}
