//! The mutation root: the features' mutation roots, merged.

use async_graphql::MergedObject;

use crate::activity::ActivityMutation;
use crate::api_keys::ApiKeyMutation;
use crate::bulk::BulkOperationMutation;
use crate::companies::CompanyMutation;
use crate::customers::{AddressMutation, CustomerMutation, DeleteRuleMutation};
use crate::data_requests::DataRequestMutation;
use crate::duplicates::DuplicateMutation;
use crate::locations::LocationMutation;
use crate::notes::NoteMutation;
use crate::orders::OrderMutation;
use crate::profiles::fields::CustomFieldMutation;
use crate::segments::SegmentMutation;
use crate::webhooks::WebhookMutation;

/// What a token may change: every field is confined to the token's tenant
/// and needs the write scope it names.
#[derive(MergedObject, Default)]
pub struct Mutation(
    CustomerMutation,
    DuplicateMutation,
    DeleteRuleMutation,
    AddressMutation,
    CustomFieldMutation,
    CompanyMutation,
    LocationMutation,
    OrderMutation,
    ActivityMutation,
    NoteMutation,
    SegmentMutation,
    DataRequestMutation,
    BulkOperationMutation,
    WebhookMutation,
    ApiKeyMutation,
);
