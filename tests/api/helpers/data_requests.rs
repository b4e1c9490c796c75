//! Data requests (erasure, export) made through the API, and awaited until
//! the worker has carried them out.

use std::time::Duration;

use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// Polls a data request until it is `COMPLETED` or `FAILED` (panics
    /// after 30 s) and returns it.
    pub async fn finished_request(&self, tenant: &str, id: &str) -> Value {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let data = self
                .gql(
                    tenant,
                    "query($id: ID!) { removalRequest(id: $id) { id status error downloadUrl completedAt audit { requestedBy erasedAt removed { customers tags notes activities segmentMemberships ordersAnonymized webhookEvents exports } } } }",
                    json!({ "id": id }),
                )
                .await
                .ok();
            let request = data["removalRequest"].clone();
            if matches!(request["status"].as_str(), Some("COMPLETED" | "FAILED")) {
                return request;
            }
            assert!(
                std::time::Instant::now() < until,
                "request {id} is still {request}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a data request of `kind` (`ERASURE`, `EXPORT`) and returns its id.
    pub async fn request_data(
        &self,
        tenant: &str,
        customer: &str,
        kind: &str,
        reason: &str,
    ) -> String {
        let data = self
            .gql(
                tenant,
                "mutation($c: ID!, $i: RemovalRequestInput!) { createRemovalRequest(customerId: $c, input: $i) { id status type } }",
                json!({ "c": customer, "i": { "type": kind, "reason": reason } }),
            )
            .await
            .ok();
        data["createRemovalRequest"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
