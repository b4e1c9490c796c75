//! Customers and orders arranged and read through the API: customers
//! created, deleted, counted and looked up; orders recorded.

use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// Creates a customer of each email, returning their IDs in order.
    pub async fn customers_by_email<const N: usize>(
        &self,
        tenant: &str,
        emails: [&str; N],
    ) -> [String; N] {
        let mut ids = Vec::with_capacity(N);
        for email in emails {
            ids.push(
                self.create_customer(tenant, json!({ "email": email }))
                    .await,
            );
        }
        ids.try_into().unwrap()
    }

    /// Imports these customer inputs into `tenant` in one
    /// `importCustomers` call, which must succeed.
    pub async fn import_customers(&self, tenant: &str, rows: Vec<Value>) {
        self.gql(
            tenant,
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created } }",
            json!({ "c": rows }),
        )
        .await
        .ok();
    }

    /// Deletes a customer, which must exist.
    pub async fn delete_customer(&self, tenant: &str, id: &str) {
        self.gql(
            tenant,
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    }

    /// Creates a customer in `tenant` and returns its id.
    pub async fn create_customer(&self, tenant: &str, input: Value) -> String {
        let data = self
            .gql(
                tenant,
                "mutation($input: CustomerInput!) { createCustomer(input: $input) { created customer { id } } }",
                json!({ "input": input }),
            )
            .await
            .ok();
        assert_eq!(data["createCustomer"]["created"], true, "{data}");
        data["createCustomer"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// How many of `tenant`'s customers `filter` matches.
    /// The emails of the customers a filter and a query (both optional)
    /// hold, sorted; at most 100.
    pub async fn emails_where(
        &self,
        tenant: &str,
        filter: Value,
        query: Option<&str>,
    ) -> Vec<String> {
        let found = self
            .gql(
                tenant,
                "query($f: CustomerFilter, $q: String) { customers(first: 100, filter: $f, query: $q) { nodes { email } } }",
                json!({ "f": filter, "q": query }),
            )
            .await
            .ok();
        let mut all: Vec<String> = found["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["email"].as_str().unwrap().to_owned())
            .collect();
        all.sort();
        all
    }

    pub async fn count_where(&self, tenant: &str, filter: Value) -> i64 {
        self.gql(
            tenant,
            "query($f: CustomerFilter) { customerCount(filter: $f) }",
            json!({ "f": filter }),
        )
        .await
        .ok()["customerCount"]
            .as_i64()
            .unwrap()
    }

    /// `customerLookup` by email, with the fields `selection` names.
    pub async fn lookup(&self, tenant: &str, email: &str, selection: &str) -> Value {
        self.gql(
            tenant,
            &format!("query($e: String) {{ customerLookup(email: $e) {{ {selection} }} }}"),
            json!({ "e": email }),
        )
        .await
        .ok()["customerLookup"]
            .clone()
    }

    /// How many customers `tenant` has.
    pub async fn count(&self, tenant: &str) -> i64 {
        self.gql(tenant, "{ customerCount }", json!({})).await.ok()["customerCount"]
            .as_i64()
            .unwrap()
    }
}

/// `recordOrder`, returning the order with its customer.
pub const RECORD_ORDER: &str = "mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id externalId amount currency status placedAt customer { id } } }";

/// An RFC 3339 time `days` days ago.
pub fn days_ago(days: f64) -> String {
    let t = chrono::Utc::now() - chrono::Duration::milliseconds((days * 86_400_000.0) as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Records an order and returns it.
pub async fn record_order(app: &TestApp, tenant: &str, customer: &str, input: Value) -> Value {
    app.gql(tenant, RECORD_ORDER, json!({ "c": customer, "i": input }))
        .await
        .ok()["recordOrder"]
        .clone()
}

/// A well-formed customer ID that never existed.
pub fn unknown_customer_id() -> String {
    format!("cus_{}", uuid::Uuid::now_v7().simple())
}
