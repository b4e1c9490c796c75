//! What a request may ask for (API.md §12): depth, aliases, fields and cost
//! measured on the parsed query before anything runs, and the per-tenant
//! cost budget each admitted request draws on. Every response carries
//! `extensions.cost`.

pub mod analysis;
mod bucket;
mod documents;
mod shape;
mod slots;

use std::time::Duration;

use async_graphql::Request;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub use analysis::Analysis;
use bucket::Buckets;
pub use bucket::{Budget, Throttle};
use documents::Documents;
pub use shape::Shape;
pub use slots::{Slot, Slots};

use crate::error::code;
use crate::telemetry::OperationLabels;
use crate::tenancy::TenantId;

/// Most field selections one query may make, fragments expanded
/// (introspection aside): enough for any screen, and a cap on documents
/// that repeat a field hundreds of times.
pub const MAX_FIELDS: u64 = 300;

/// The per-query limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_cost: u64,
    pub max_aliases: u64,
}

/// `extensions.cost` of a response.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    pub requested: u64,
    pub available: f64,
    pub budget: Budget,
    /// The request evaluates segments or aggregates a tenant
    /// ([`analysis::HEAVY_FIELD`]).
    pub heavy: bool,
}

impl Cost {
    pub fn to_json(self) -> Value {
        json!({
            "requestedQueryCost": self.requested,
            "throttleStatus": {
                "maximumAvailable": self.budget.bucket,
                "currentlyAvailable": self.available.floor() as u64,
                "restoreRate": self.budget.restore,
            }
        })
    }
}

/// Why a request is not run.
#[derive(Debug)]
pub enum Refusal {
    /// Deeper, larger or costlier than one query may be: a validation
    /// error (200 under `application/json`, 400 under
    /// `application/graphql-response+json`).
    Limit {
        code: &'static str,
        message: String,
        /// For `BAD_USER_INPUT`: the variable or argument.
        field: Option<String>,
        cost: Cost,
    },
    /// The tenant's budget lacks the cost: 429 with `Retry-After`.
    Throttled { retry_after: u64, cost: Cost },
    /// The tenant's slots stayed taken by its other requests: 429.
    Busy { slots: usize, cost: Cost },
}

impl Refusal {
    pub fn cost(&self) -> Cost {
        match self {
            Refusal::Limit { cost, .. }
            | Refusal::Throttled { cost, .. }
            | Refusal::Busy { cost, .. } => *cost,
        }
    }

    /// The `errors` entry.
    pub fn error(&self) -> Value {
        match self {
            Refusal::Limit {
                code,
                message,
                field: Some(field),
                ..
            } => json!({ "message": message, "extensions": { "code": code, "field": field } }),
            Refusal::Limit { code, message, .. } => {
                json!({ "message": message, "extensions": { "code": code } })
            }
            Refusal::Throttled { retry_after, cost } => json!({
                "message": format!(
                    "Throttled: this query costs {} and the budget holds {}; retry in {retry_after} s",
                    cost.requested,
                    cost.available.floor()
                ),
                "extensions": { "code": code::RATE_LIMITED, "retryAfter": retry_after }
            }),
            Refusal::Busy { slots, .. } => json!({
                "message": format!(
                    "{slots} of this tenant's requests are running on this server; retry when one has finished"
                ),
                "extensions": { "code": code::RATE_LIMITED, "retryAfter": 1 }
            }),
        }
    }
}

/// The operation a request runs: the one named, or the only one; `None`
/// when the document names no single operation (execution reports why).
pub fn chosen_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match &document.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.get(name).map(|op| &op.node),
            None if ops.len() == 1 => ops.values().next().map(|op| &op.node),
            None => None,
        },
    }
}

/// Measures requests and keeps the tenants' budgets.
pub struct Gate {
    limits: Limits,
    budget: Budget,
    shape: Shape,
    buckets: Buckets,
    documents: Documents,
    slots: Slots,
}

impl Gate {
    /// With `bucket_db`, the budgets are kept in the database and leased
    /// from it (shared by every instance); without it, they are kept in
    /// this process.
    pub fn new(
        limits: Limits,
        budget: Budget,
        shape: Shape,
        bucket_db: Option<DatabaseConnection>,
        slots: Slots,
    ) -> Self {
        Gate {
            limits,
            budget,
            shape,
            buckets: bucket_db.map_or_else(Buckets::memory, Buckets::leased),
            documents: Documents::default(),
            slots,
        }
    }

    /// Measures the request against the limits and takes its cost from
    /// the tenant's budget. A document that does not parse costs nothing
    /// (execution reports the syntax error).
    pub async fn admit(&self, tenant: &str, request: &mut Request) -> Result<Cost, Refusal> {
        let name = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let (analysis, nul) = match request.parsed_query() {
            Ok(document) => (
                analysis::analyze(document, name.as_deref(), &variables, &self.shape),
                analysis::nul_input(document, &variables),
            ),
            Err(_) => (Analysis::default(), None),
        };
        request.variables = variables;
        let requested = analysis.cost;
        let refused = match nul {
            Some(field) => Some((
                code::BAD_USER_INPUT,
                "text may not contain the NUL character (U+0000)".to_owned(),
                Some(field),
            )),
            None => self
                .check(&analysis)
                .map(|(code, message)| (code, message, None)),
        };
        if let Some((code, message, field)) = refused {
            let cost = Cost {
                requested,
                available: self.peek(tenant),
                budget: self.budget,
                heavy: analysis.heavy,
            };
            return Err(Refusal::Limit {
                code,
                message,
                field,
                cost,
            });
        }
        let throttle = match self.buckets.take(self.budget, tenant, requested).await {
            Ok(throttle) => throttle,
            Err(err) => {
                // The budget is a safeguard: when its store fails, the
                // request runs (and meets the same database on its own).
                tracing::warn!(error = ?err, "the cost budget could not be read");
                Throttle {
                    granted: true,
                    available: self.peek(tenant),
                }
            }
        };
        let cost = Cost {
            requested,
            available: throttle.available,
            budget: self.budget,
            heavy: analysis.heavy,
        };
        if throttle.granted {
            Ok(cost)
        } else {
            crate::telemetry::metrics().rate_limited.inc();
            Err(Refusal::Throttled {
                retry_after: throttle.retry_after(requested, self.budget),
                cost,
            })
        }
    }

    /// Parses the request's document (once per distinct text, see
    /// [`Documents`]), before [`Gate::labels`] and [`Gate::admit`] read it.
    pub fn parse(&self, request: &mut Request) {
        self.documents.parse(request);
    }

    /// One of the tenant's slots ([`Slots`]), waiting up to `wait` for it.
    pub async fn slot(
        &self,
        tenant: &TenantId,
        wait: Duration,
        cost: Cost,
    ) -> Result<Slot, Refusal> {
        self.slots
            .take(tenant, wait, cost.heavy)
            .await
            .ok_or(Refusal::Busy {
                slots: self.slots.per_tenant(),
                cost,
            })
    }

    /// The operation's kind and first root field, for metrics and logs:
    /// names from the schema only (never a client's operation name).
    pub fn labels(&self, request: &mut Request) -> OperationLabels {
        let name = request.operation_name.clone();
        let unknown = || OperationLabels {
            kind: "unknown".into(),
            operation: "unknown".into(),
        };
        let Ok(document) = request.parsed_query() else {
            return unknown();
        };
        let Some(operation) = chosen_operation(document, name.as_deref()) else {
            return unknown();
        };
        let (kind, root) = match operation.ty {
            OperationType::Query => ("query", &self.shape.query),
            OperationType::Mutation => ("mutation", &self.shape.mutation),
            OperationType::Subscription => ("subscription", &self.shape.subscription),
        };
        let field = operation
            .selection_set
            .node
            .items
            .iter()
            .find_map(|item| match &item.node {
                Selection::Field(f) if f.node.name.node != "__typename" => {
                    Some(f.node.name.node.as_str())
                }
                _ => None,
            });
        let operation = match field {
            Some("__schema" | "__type") => "introspection",
            Some(field) if self.shape.field(root, field).is_some() => field,
            _ => "unknown",
        };
        OperationLabels {
            kind: kind.into(),
            operation: operation.into(),
        }
    }

    /// The first limit the query exceeds.
    fn check(&self, analysis: &Analysis) -> Option<(&'static str, String)> {
        let limits = self.limits;
        if analysis.depth > limits.max_depth {
            return Some((
                code::QUERY_TOO_DEEP,
                format!(
                    "Query depth limit of {} exceeded, found {}.",
                    limits.max_depth, analysis.depth
                ),
            ));
        }
        if analysis.runaway_introspection {
            return Some((
                code::QUERY_TOO_COMPLEX,
                "Introspection may not nest a type-system list within itself.".to_owned(),
            ));
        }
        if analysis.aliases > limits.max_aliases {
            return Some((
                code::QUERY_TOO_COMPLEX,
                format!(
                    "Query uses {} aliases; at most {} are allowed.",
                    analysis.aliases, limits.max_aliases
                ),
            ));
        }
        if analysis.fields > MAX_FIELDS {
            return Some((
                code::QUERY_TOO_COMPLEX,
                format!(
                    "Query selects {} fields; at most {MAX_FIELDS} are allowed.",
                    analysis.fields
                ),
            ));
        }
        if analysis.cost > limits.max_cost {
            return Some((
                code::QUERY_TOO_COMPLEX,
                format!(
                    "Query cost is {}, which exceeds the single query max cost limit ({}).",
                    analysis.cost, limits.max_cost
                ),
            ));
        }
        None
    }

    /// What the tenant's bucket holds now, as this instance last saw it
    /// (no statement runs).
    fn peek(&self, tenant: &str) -> f64 {
        self.buckets.peek(self.budget, tenant)
    }
}
