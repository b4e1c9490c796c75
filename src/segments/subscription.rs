//! `segmentMembershipChanged`: customers entering and leaving dynamic
//! segments, as their rechecks find them ([`super::changes`]).

use async_graphql::{Context, Enum, ID, Result, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt as _, future};

use crate::auth::Scope;
use crate::events::Change;
use crate::graphql::ScopeGuard;
use crate::graphql::events::tenant_events;
use crate::ids::{self, Kind, SegmentId};

/// Which way a customer moved.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MembershipChangeType {
    /// The customer now meets the segment's definition.
    Entered,
    /// The customer no longer does.
    Exited,
}

/// A customer entering or leaving a dynamic segment.
#[derive(SimpleObject)]
pub struct SegmentMembershipChange {
    /// Entered or exited.
    #[graphql(name = "type")]
    pub kind: MembershipChangeType,
    /// The segment (`seg_…`).
    pub segment_id: ID,
    /// The customer (`cus_…`).
    pub customer_id: ID,
}

#[derive(Default)]
pub struct SegmentSubscription;

#[Subscription]
impl SegmentSubscription {
    /// Customers entering and leaving dynamic segments as they change (or
    /// their orders do): one segment's (`segmentId`) or every segment's.
    /// Told shortly after the change, once its recheck has run. Needs
    /// `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segment_membership_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this segment's changes.")] segment_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<SegmentMembershipChange>> + use<>> {
        let only = match segment_id {
            Some(id) => Some(SegmentId::require(&id)?),
            None => None,
        };
        let (_, _, events) = tenant_events(ctx)?;
        Ok(events.filter_map(move |heard| {
            let change = match heard {
                Err(notice) => Some(Err(notice)),
                Ok(heard) => match &heard.event.change {
                    // Published once the recheck's transaction committed:
                    // nothing to read back.
                    Change::SegmentMembership { segment, entered }
                        if only.as_ref().is_none_or(|only| only.as_str() == segment) =>
                    {
                        Some(Ok(SegmentMembershipChange {
                            kind: if *entered {
                                MembershipChangeType::Entered
                            } else {
                                MembershipChangeType::Exited
                            },
                            segment_id: ids::encode(Kind::Segment, segment),
                            customer_id: ids::encode(Kind::Customer, &heard.event.customer),
                        }))
                    }
                    _ => None,
                },
            };
            future::ready(change)
        }))
    }
}
