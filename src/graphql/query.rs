//! The query root: the features' query roots, merged.

use async_graphql::MergedObject;

use super::node::NodeQuery;
use crate::customers::CustomerQuery;
use crate::metrics::MetricsQuery;

#[derive(MergedObject, Default)]
pub struct Query(CustomerQuery, MetricsQuery, NodeQuery);
