//! The subscription root: the features' subscriptions, merged.

use async_graphql::MergedSubscription;

use crate::activity::ActivitySubscription;
use crate::bulk::BulkOperationSubscription;
use crate::customers::CustomerSubscription;
use crate::data_requests::DataRequestSubscription;
use crate::segments::SegmentSubscription;

/// Changes as they are committed, over the WebSocket at `/graphql/ws`:
/// every field is confined to the token's tenant and needs the read scope
/// it names.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    ActivitySubscription,
    BulkOperationSubscription,
    CustomerSubscription,
    DataRequestSubscription,
    SegmentSubscription,
);
