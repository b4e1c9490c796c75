//! `CustomerStats.segmentDistribution`: the tenant's figures, by segment.
//! Resolved here because segments stand above the metrics they select on.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::loader::MemberCountLoader;
use super::object::Segment;
use super::repo;
use crate::analytics::CustomerStats;
use crate::auth::Scope;
use crate::graphql::{ContextExt, ScopeGuard};

/// How many customers a segment holds.
#[derive(SimpleObject)]
pub struct SegmentCount {
    /// The segment.
    pub segment: Segment,
    /// How many customers are members now.
    pub count: i64,
}

#[ComplexObject]
impl CustomerStats {
    /// Today's members of each of the tenant's segments, by segment name.
    /// Needs `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segment_distribution(&self, ctx: &Context<'_>) -> Result<Vec<SegmentCount>> {
        let session = ctx.session()?;
        let rows = repo::all(&session.db, session.tenant()).await?;
        let counts = session
            .loaders
            .get::<MemberCountLoader>()
            .load_many(rows.iter().map(|r| r.id.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| SegmentCount {
                count: counts.get(&row.id).copied().unwrap_or(0),
                segment: Segment(row),
            })
            .collect())
    }
}
