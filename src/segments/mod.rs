//! Segments: named groups of customers.
//!
//! Invariants:
//! - a dynamic segment has 1 to 50 rules and no member rows; its
//!   membership is its rules compiled to one SQL condition ([`compile`])
//!   and evaluated by the database whenever it is read, so it is always
//!   current and never loads customers into memory;
//! - a static segment has no rules; its members are rows of
//!   `segment_members`, which go with the segment or the customer;
//! - stored rules are the rules as given (relative dates stay relative),
//!   type-checked before they are stored ([`rule`]);
//! - names are unique per tenant.

mod changes;
mod compile;
mod distribution;
mod explain;
mod explain_filter;
mod graphql;
mod input;
pub mod loader;
mod members;
mod mutation;
mod object;
mod preview;
pub mod repo;
pub mod rule;
mod rule_filter;
mod subscription;
mod terms;
mod typed;

use entity::segment;
use sea_orm::{Condition, DbBackend};

pub use changes::MembershipRechecks;
pub use compile::{Env, Match};
pub use graphql::SegmentQuery;
pub use members::{filter_condition, filter_scope, segment_condition};
pub use mutation::SegmentMutation;
pub use object::{Segment, customer_segments};
pub use preview::SegmentPreviewQuery;
pub use subscription::SegmentSubscription;

use entity::segment::SegmentKind;

use async_graphql::InputType;

use crate::analytics::rfm::Breakpoints;
use crate::error::{AppError, AppResult};
use crate::profiles::fields::Fields;
use crate::profiles::query;
use crate::profiles::{CustomerFilter, FilterEnv};
use crate::tenancy::TenantId;
use rule::{RawRule, Rule};

/// A stored segment, its definition read.
pub struct Definition {
    pub key: String,
    pub dynamic: bool,
    pub mode: Match,
    /// The rules of a segment defined by rules; empty otherwise.
    pub rules: Vec<Rule>,
    /// The filter of a segment defined by a filter or a query.
    pub filter: Option<StoredFilter>,
}

/// A segment's filter and query, as stored.
pub struct StoredFilter {
    pub filter: Option<CustomerFilter>,
    pub query: Option<String>,
}

impl StoredFilter {
    /// The one filter the two mean (`Env::fields` types the query).
    pub(super) fn combined(&self, fields: &Fields) -> AppResult<CustomerFilter> {
        match &self.query {
            Some(text) => {
                let queried = query::read(text, fields, "query")?;
                query::combine(self.filter.clone(), queried, text, "query")
            }
            None => Ok(self.filter.clone().unwrap_or_default()),
        }
    }

    /// Whether the filter or the query names an RFM segment.
    pub fn needs_breakpoints(&self) -> bool {
        self.filter
            .as_ref()
            .is_some_and(CustomerFilter::needs_breakpoints)
            || self.query.as_deref().is_some_and(query::names_rfm)
    }

    /// Whether the filter or the query names a custom field.
    pub fn needs_fields(&self) -> bool {
        self.filter
            .as_ref()
            .is_some_and(CustomerFilter::needs_fields)
            || self.query.as_deref().is_some_and(query::names_fields)
    }
}

impl Definition {
    pub fn of(row: &segment::Model) -> AppResult<Self> {
        let stored = |what: &str, e: String| {
            AppError::Internal(anyhow::anyhow!("stored {what} of {}: {e}", row.id))
        };
        let raw: Vec<RawRule> = serde_json::from_value(row.rules.clone())
            .map_err(|e| stored("rules", e.to_string()))?;
        let rules =
            rule::parse_all(&raw, "rules").map_err(|e| stored("rules", format!("{e:?}")))?;
        let filter = match &row.filter {
            Some(json) => Some(
                <CustomerFilter as InputType>::parse(Some(
                    async_graphql::Value::from_json(json.clone())
                        .map_err(|e| stored("filter", e.to_string()))?,
                ))
                .map_err(|e| stored("filter", e.into_server_error(Default::default()).message))?,
            ),
            None => None,
        };
        let defined = filter.is_some() || row.query.is_some();
        Ok(Definition {
            key: row.id.clone(),
            dynamic: row.kind == SegmentKind::Dynamic,
            mode: row.match_mode,
            rules,
            filter: defined.then(|| StoredFilter {
                filter,
                query: row.query.clone(),
            }),
        })
    }

    /// The condition a member meets.
    pub fn condition(&self, env: &Env) -> AppResult<Condition> {
        if !self.dynamic {
            return Ok(compile::listed(&env.tenant, &self.key));
        }
        match &self.filter {
            Some(stored) => stored.combined(&env.fields)?.compile(&env.filter_env()),
            None => rule_filter::condition(&self.rules, self.mode, env),
        }
    }

    pub fn needs_breakpoints(&self) -> bool {
        compile::needs_breakpoints(&self.rules)
            || self
                .filter
                .as_ref()
                .is_some_and(StoredFilter::needs_breakpoints)
    }

    /// Whether the condition needs the tenant's custom field definitions.
    pub fn needs_fields(&self) -> bool {
        self.filter.as_ref().is_some_and(StoredFilter::needs_fields)
    }
}

impl Env {
    /// What a filter compiles against here.
    pub fn filter_env(&self) -> FilterEnv<'_> {
        FilterEnv {
            backend: self.backend,
            tenant: &self.tenant,
            fields: &self.fields,
            metrics: Some(self),
            limits: crate::profiles::TreeLimits::GIVEN,
            prefix_range: false,
        }
    }

    pub fn new(
        backend: DbBackend,
        tenant: &TenantId,
        breakpoints: Option<Breakpoints>,
        fields: Fields,
    ) -> Self {
        Env {
            backend,
            tenant: tenant.clone(),
            now: crate::db::now(),
            breakpoints: breakpoints.unwrap_or_default(),
            fields,
        }
    }
}
