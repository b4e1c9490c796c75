//! EXPORT: the archive of everything held about a customer, built by
//! running the API's own queries as the requester (read scopes only), so
//! the archive holds exactly the fields and values the API returns: the
//! profile with its metrics and segments, then every note, order and
//! timeline entry, page by page.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use crate::auth::{Scope, ScopeSet, Viewer};
use crate::error::AppResult;
use crate::ids::{self, Kind};
use crate::tenancy::TenantId;

const PROFILE: &str = r"query ExportProfile($id: ID!) {
  customer(id: $id) {
    id name firstName lastName email phone emails phones companyName company { id name domain } avatarUrl status source tags
    address { line1 line2 city state postalCode country }
    emailConsent { state optInLevel updatedAt source }
    smsConsent { state optInLevel updatedAt source }
    locale currency
    metadata createdAt updatedAt totalOrders totalSpent lastOrderAt
    metrics {
      rfm { recencyScore frequencyScore monetaryScore segment }
      lifetimeValue averageOrderValue totalOrders totalSpent purchaseFrequencyDays
      churnRisk firstOrderAt lastOrderAt computedAt
    }
    segments { id name description type createdAt }
  }
}";

/// The customer's lists, each paged through with `after`.
const LISTS: [(&str, &str); 4] = [
    (
        "addresses",
        "addresses(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id line1 line2 city state postalCode country } }",
    ),
    (
        "notes",
        "notes(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id body author createdAt updatedAt } }",
    ),
    (
        "orders",
        "orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id externalId amount currency status placedAt } }",
    ),
    (
        "activity",
        "activity(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id type title data occurredAt } }",
    ),
];

/// The archive of customer `key`, or `None` when there is no such customer.
pub async fn archive(
    queries: &dyn Queries,
    tenant: &TenantId,
    actor: &str,
    request_key: &str,
    key: &str,
) -> AppResult<Option<Value>> {
    let viewer = Viewer {
        tenant: tenant.clone(),
        sub: actor.to_owned(),
        scopes: ScopeSet::parse(&format!(
            "{} {}",
            Scope::ReadCustomers.as_str(),
            Scope::ReadSegments.as_str()
        )),
        expires_at: u64::MAX,
    };
    let customer_id = ids::encode(Kind::Customer, key).0;
    let profile = queries
        .run(&viewer, PROFILE, json!({ "id": customer_id }))
        .await?;
    let Some(Value::Object(customer)) = profile.get("customer").cloned() else {
        return Ok(None);
    };
    let mut archive = Map::new();
    archive.insert("format".into(), json!("crm-graphql.export.v1"));
    archive.insert(
        "requestId".into(),
        json!(ids::encode(Kind::DataRequest, request_key).0),
    );
    archive.insert("exportedAt".into(), json!(crate::db::now().to_rfc3339()));
    archive.insert("customer".into(), Value::Object(customer));
    for (name, selection) in LISTS {
        let query = format!(
            "query ExportList($id: ID!, $after: String) {{ customer(id: $id) {{ list: {selection} }} }}"
        );
        let mut items = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = queries
                .run(
                    &viewer,
                    &query,
                    json!({ "id": customer_id, "after": after }),
                )
                .await?;
            let list = &page["customer"]["list"];
            if let Some(nodes) = list["nodes"].as_array() {
                items.extend(nodes.iter().cloned());
            }
            if list["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = list["pageInfo"]["endCursor"].clone();
        }
        archive.insert(name.into(), Value::Array(items));
    }
    Ok(Some(Value::Object(archive)))
}

/// Runs the API's own queries as a viewer: the schema, which is assembled
/// above the features, hands the data requests one at start-up.
pub trait Queries: Send + Sync {
    /// The `data` of `query` run as `viewer`; any error fails the export.
    fn run<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: &'a str,
        variables: Value,
    ) -> BoxFuture<'a, AppResult<Value>>;
}
