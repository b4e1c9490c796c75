//! The query root: the features' query roots, merged.

use async_graphql::MergedObject;

use super::node::NodeQuery;
use crate::analytics::MetricsQuery;
use crate::api_keys::ApiKeyQuery;
use crate::bulk::BulkOperationQuery;
use crate::companies::CompanyQuery;
use crate::customers::{CustomerQuery, DeleteRuleQuery};
use crate::data_requests::DataRequestQuery;
use crate::duplicates::DuplicateQuery;
use crate::locations::LocationQuery;
use crate::profiles::fields::CustomFieldQuery;
use crate::profiles::query::FilterFieldQuery;
use crate::segments::{SegmentPreviewQuery, SegmentQuery};
use crate::webhooks::WebhookQuery;

/// What a token may read: every field is confined to the token's tenant
/// and needs the read scope it names.
#[derive(MergedObject, Default)]
pub struct Query(
    CustomerQuery,
    DuplicateQuery,
    DeleteRuleQuery,
    CustomFieldQuery,
    FilterFieldQuery,
    CompanyQuery,
    LocationQuery,
    MetricsQuery,
    SegmentQuery,
    SegmentPreviewQuery,
    DataRequestQuery,
    BulkOperationQuery,
    WebhookQuery,
    ApiKeyQuery,
    NodeQuery,
);
