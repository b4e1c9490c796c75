//! `undoMerge`: both customers back as they were before the merge, field
//! by field, with everything that moved; what was added since stays with
//! the customer it was added to; the window, an erasure and another
//! customer taking the duplicate's email end or refuse it; pairs the
//! users dismissed stay dismissed.

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, crm_on, record_order, spawn_app, spawn_app_with};

/// Everything a client sees of a customer.
const STATE: &str = "query($id: ID!) { customer(id: $id) { id name firstName lastName email phone emails phones companyName avatarUrl status source locale currency tags metadata totalOrders totalSpent lastOrderAt createdAt address { id line1 city postalCode country } addresses(first: 50) { nodes { id line1 city country } } emailConsent { state optInLevel updatedAt source } smsConsent { state optInLevel updatedAt source } orders(first: 50) { nodes { id externalId amount } } notes(first: 50) { nodes { id body } } activity(first: 100) { nodes { id type title } } segments { id } locations { id } } }";
const MERGE: &str = "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }";
const UNDO: &str = "mutation($id: ID!) { undoMerge(mergedId: $id) { id email } }";

async fn state(app: &TestApp, id: &str) -> Value {
    app.gql("acme", STATE, json!({ "id": id })).await.ok()["customer"].clone()
}

/// A static segment holding `members`.
async fn static_segment(app: &TestApp, name: &str, members: &[&str]) -> String {
    app.gql(
        "acme",
        "mutation($i: SegmentInput!) { createSegment(input: $i) { id } }",
        json!({ "i": { "name": name, "type": "STATIC", "customerIds": members } }),
    )
    .await
    .ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn note(app: &TestApp, id: &str, body: &str) -> String {
    app.gql(
        "acme",
        "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
        json!({ "c": id, "b": body }),
    )
    .await
    .ok()["addNote"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Two customers with a bit of everything.
async fn two_customers(app: &TestApp) -> (String, String) {
    let keep = app
        .create_customer(
            "acme",
            json!({ "email": "kim@acme.example", "firstName": "Kim", "tags": ["loyal"], "metadata": { "tier": "gold" }, "address": { "line1": "Lindenweg 1", "city": "Berlin", "country": "DE" }, "emailConsent": { "state": "SUBSCRIBED", "optInLevel": "CONFIRMED" } }),
        )
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "email": "kim.lee@mail.example", "phone": "+4915112345678", "lastName": "Lee", "tags": ["newsletter", "loyal"], "metadata": { "plan": "pro", "tier": "silver" }, "address": { "line1": "Rua 2", "city": "Lisbon", "country": "PT" }, "smsConsent": { "state": "SUBSCRIBED", "optInLevel": "SINGLE" }, "additionalEmails": ["kl@other.example"] }),
        )
        .await;
    app.gql(
        "acme",
        "mutation($c: ID!, $i: AddressInput!) { addCustomerAddress(customerId: $c, input: $i) { id } }",
        json!({ "c": dup, "i": { "city": "Porto", "country": "PT" } }),
    )
    .await
    .ok();
    record_order(
        app,
        "acme",
        &keep,
        json!({ "externalId": "K-1", "amount": "10.00", "currency": "EUR" }),
    )
    .await;
    record_order(
        app,
        "acme",
        &dup,
        json!({ "externalId": "D-1", "amount": "25.50", "currency": "EUR" }),
    )
    .await;
    note(app, &keep, "keep's note").await;
    note(app, &dup, "dup's note").await;
    static_segment(app, "both", &[&keep, &dup]).await;
    static_segment(app, "dup only", &[&dup]).await;
    (keep, dup)
}

/// A customer's state without what an undo may rightly change: when it
/// was last written.
fn settled(mut state: Value) -> Value {
    state.as_object_mut().unwrap().remove("updatedAt");
    state
}

async fn an_undo_puts_both_customers_back_as_they_were(backend: Backend) {
    let app = spawn_app(backend).await;
    let (keep, dup) = two_customers(&app).await;
    let (keep_before, dup_before) = (state(&app, &keep).await, state(&app, &dup).await);

    app.gql("acme", MERGE, json!({ "k": keep, "m": dup }))
        .await
        .ok();
    let merged = state(&app, &keep).await;
    assert_eq!(merged["orders"]["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(merged["phone"], "+4915112345678");
    assert_eq!(state(&app, &dup).await, Value::Null);
    // Added to the kept customer after the merge: stays with it.
    let later = note(&app, &keep, "after the merge").await;

    let undone = app.gql("acme", UNDO, json!({ "id": dup })).await.ok();
    let ids: Vec<&str> = undone["undoMerge"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [keep.as_str(), dup.as_str()]);

    // The duplicate, field by field, with its orders, notes, timeline,
    // addresses, tags, consent and segments.
    assert_eq!(settled(state(&app, &dup).await), settled(dup_before));
    // The kept customer: as before, and the note added since.
    let mut keep_now = settled(state(&app, &keep).await);
    let notes = keep_now["notes"]["nodes"].as_array_mut().unwrap();
    let position = notes
        .iter()
        .position(|n| n["id"] == later.as_str())
        .unwrap();
    notes.remove(position);
    let entries = keep_now["activity"]["nodes"].as_array_mut().unwrap();
    entries.retain(|e| e["type"] != "NOTE" || entries_before(&keep_before, e));
    assert_eq!(keep_now, settled(keep_before.clone()));

    // Once undone, there is nothing left to undo; another tenant never
    // had anything to undo.
    let again = app.gql("acme", UNDO, json!({ "id": dup })).await;
    assert_eq!(again.code(), "NOT_FOUND");
    app.gql("acme", MERGE, json!({ "k": keep, "m": dup }))
        .await
        .ok();
    let foreign = app.gql("globex", UNDO, json!({ "id": dup })).await;
    assert_eq!(foreign.code(), "NOT_FOUND");

    // The history keeps both the merge and its undo.
    let history = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { history(first: 100, field: \"phone\") { nodes { source oldValue newValue } } } }",
            json!({ "id": keep }),
        )
        .await
        .ok();
    let sources: Vec<&str> = history["customer"]["history"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["MERGE", "UNDO_MERGE", "MERGE"]);
}

/// Whether the timeline entry was there before.
fn entries_before(before: &Value, entry: &Value) -> bool {
    before["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == entry["id"])
}

async fn the_window_an_erasure_and_a_taken_email_end_an_undo(backend: Backend) {
    // No window at all.
    let closed = spawn_app_with(
        backend.clone(),
        &["--jwt-secret", SECRET, "--merge-undo-window", "0s"],
    )
    .await;
    let (keep, dup) = two_customers(&closed).await;
    closed
        .gql("acme", MERGE, json!({ "k": keep, "m": dup }))
        .await
        .ok();
    assert_eq!(
        closed.gql("acme", UNDO, json!({ "id": dup })).await.code(),
        "NOT_FOUND"
    );
    drop(closed);

    let app = spawn_app(backend).await;
    let (keep, dup) = two_customers(&app).await;
    app.gql("acme", MERGE, json!({ "k": keep, "m": dup }))
        .await
        .ok();
    // Another customer takes one of the duplicate's emails, once the kept
    // customer lets it go: refused, and nothing changes.
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { additionalEmails: [] }) { id } }",
        json!({ "id": keep }),
    )
    .await
    .ok();
    let taker = app
        .create_customer("acme", json!({ "email": "kl@other.example" }))
        .await;
    let keep_then = state(&app, &keep).await;
    let refused = app.gql("acme", UNDO, json!({ "id": dup })).await;
    assert_eq!(refused.code(), "CONFLICT");
    assert_eq!(state(&app, &keep).await, keep_then);
    assert_eq!(state(&app, &dup).await, Value::Null);
    app.delete_customer("acme", &taker).await;

    // Erasing the kept customer ends the window.
    let request = app.request_data("acme", &keep, "ERASURE", "").await;
    let worker = app.another_instance().await;
    assert_eq!(
        worker.finished_request("acme", &request).await["status"],
        "COMPLETED"
    );
    assert_eq!(
        app.gql("acme", UNDO, json!({ "id": dup })).await.code(),
        "NOT_FOUND"
    );
}

/// How many pairs the duplicate finder proposes.
async fn pairs(app: &TestApp) -> usize {
    let found = app
        .gql(
            "acme",
            "{ duplicateCustomers(first: 10) { nodes { score } } }",
            json!({}),
        )
        .await
        .ok();
    found["duplicateCustomers"]["nodes"]
        .as_array()
        .unwrap()
        .len()
}

async fn a_dismissed_pair_stays_dismissed_after_an_undo(backend: Backend) {
    let app = spawn_app(backend).await;
    let anna = app
        .create_customer(
            "acme",
            json!({ "firstName": "Anna", "lastName": "Keller", "email": "anna.keller@gmail.com" }),
        )
        .await;
    let shop = app
        .create_customer(
            "acme",
            json!({ "firstName": "Anna", "lastName": "Keller", "email": "annakeller+shop@gmail.com" }),
        )
        .await;
    assert_eq!(pairs(&app).await, 1);
    app.gql(
        "acme",
        "mutation($c: ID!, $o: ID!) { dismissDuplicate(customerId: $c, otherId: $o) }",
        json!({ "c": anna, "o": shop }),
    )
    .await
    .ok();
    assert_eq!(pairs(&app).await, 0);

    app.gql("acme", MERGE, json!({ "k": anna, "m": shop }))
        .await
        .ok();
    app.gql("acme", UNDO, json!({ "id": shop })).await.ok();
    assert_eq!(pairs(&app).await, 0);
    // Nor does a search from scratch propose it.
    crm_on(&app, &["find-duplicates", "--tenant", "acme"]);
    assert_eq!(pairs(&app).await, 0);
}

backend_tests!(
    a_dismissed_pair_stays_dismissed_after_an_undo,
    an_undo_puts_both_customers_back_as_they_were,
    the_window_an_erasure_and_a_taken_email_end_an_undo,
);
