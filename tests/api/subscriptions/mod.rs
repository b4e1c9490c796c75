//! API.md §11: subscriptions over the real WebSocket, `graphql-transport-ws`.

mod events;
mod listen_notify;
mod protocol;

use serde_json::json;

use crate::helpers::TestApp;

/// `activityAdded`, of one customer or all.
const ACTIVITY: &str =
    "subscription($c: ID) { activityAdded(customerId: $c) { id type title customer { id } } }";

const RECORD: &str = "mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: EMAIL, title: $t }) { id } }";

async fn record(app: &TestApp, tenant: &str, customer: &str, title: &str) {
    app.gql(tenant, RECORD, json!({ "c": customer, "t": title }))
        .await
        .ok();
}
