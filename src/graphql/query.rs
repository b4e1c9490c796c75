//! The query root: the features' query roots, merged.

use async_graphql::MergedObject;

use super::node::NodeQuery;
use crate::customers::CustomerQuery;
use crate::metrics::MetricsQuery;
use crate::segments::SegmentQuery;

#[derive(MergedObject, Default)]
pub struct Query(CustomerQuery, MetricsQuery, SegmentQuery, NodeQuery);
