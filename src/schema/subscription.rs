//! The subscription root: the features' subscriptions, merged.

use async_graphql::MergedSubscription;

use crate::activity::ActivitySubscription;
use crate::customers::CustomerSubscription;
use crate::data_requests::DataRequestSubscription;

#[derive(MergedSubscription, Default)]
pub struct Subscription(
    ActivitySubscription,
    CustomerSubscription,
    DataRequestSubscription,
);
