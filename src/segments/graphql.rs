//! The segment queries: `segment` and `segments`.

use async_graphql::{Context, ID, Object, Result};
use futures_util::FutureExt as _;

use super::loader::SegmentLoader;
use super::object::Segment;
use super::repo;
use crate::auth::Scope;
use crate::graphql::ContextExt;
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::{Page, TotalCount};
use crate::ids::SegmentId;

pub type SegmentConnection = ListConnection<Segment>;

#[derive(Default)]
pub struct SegmentQuery;

#[Object]
impl SegmentQuery {
    /// A segment by ID; null when there is none in your tenant. Needs
    /// `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's ID (`seg_…`).")] id: ID,
    ) -> Result<Option<Segment>> {
        let loaders = &ctx.session()?.loaders;
        let key = SegmentId::decode(&id);
        Ok(loaders
            .load_key::<SegmentLoader, _>(key)
            .await?
            .map(Segment))
    }

    /// The tenant's segments, newest first. Needs `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<SegmentConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        let rows = repo::list(&session.db, session.tenant(), &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(repo::count(&db, &tenant).await?) }.boxed()
        });
        Ok(keyset.connection(rows, Segment, total))
    }
}
