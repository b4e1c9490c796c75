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

mod compile;
mod distribution;
mod explain;
mod graphql;
mod input;
pub mod loader;
mod members;
mod mutation;
mod object;
mod preview;
pub mod repo;
pub mod rule;
mod terms;
mod typed;

use entity::segment;
use sea_orm::{Condition, DbBackend};

pub use compile::{Env, Match};
pub use graphql::SegmentQuery;
pub use members::filter_scope;
pub use mutation::SegmentMutation;
pub use object::{Segment, customer_segments};
pub use preview::SegmentPreviewQuery;

use entity::segment::SegmentKind;

use crate::analytics::rfm::Breakpoints;
use crate::error::{AppError, AppResult};
use crate::tenancy::TenantId;
use rule::{RawRule, Rule};

/// A stored segment, its rules parsed.
pub struct Definition {
    pub key: String,
    pub dynamic: bool,
    pub mode: Match,
    pub rules: Vec<Rule>,
}

impl Definition {
    pub fn of(row: &segment::Model) -> AppResult<Self> {
        let raw: Vec<RawRule> = serde_json::from_value(row.rules.clone())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored rules of {}: {e}", row.id)))?;
        let rules = rule::parse_all(&raw, "rules").map_err(|e| {
            AppError::Internal(anyhow::anyhow!("stored rules of {}: {e:?}", row.id))
        })?;
        Ok(Definition {
            key: row.id.clone(),
            dynamic: row.kind == SegmentKind::Dynamic,
            mode: row.match_mode,
            rules,
        })
    }

    /// The condition a member meets.
    pub fn condition(&self, env: &Env) -> Condition {
        if self.dynamic {
            compile::rules(&self.rules, self.mode, env)
        } else {
            compile::listed(&env.tenant, &self.key)
        }
    }

    pub fn needs_breakpoints(&self) -> bool {
        compile::needs_breakpoints(&self.rules)
    }
}

impl Env {
    pub fn new(backend: DbBackend, tenant: &TenantId, breakpoints: Option<Breakpoints>) -> Self {
        Env {
            backend,
            tenant: tenant.clone(),
            now: crate::db::now(),
            breakpoints: breakpoints.unwrap_or_default(),
        }
    }
}
