//! API.md §6: the timeline (with the entries the API adds itself) and
//! notes.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app, unknown_customer_id};
use crate::helpers::{days_ago, record_order};

const TIMELINE: &str = "query($id: ID!, $first: Int, $after: String, $types: [ActivityType!], $oa: DateTime, $ob: DateTime) { customer(id: $id) { activity(first: $first, after: $after, types: $types, occurredAfter: $oa, occurredBefore: $ob) { totalCount pageInfo { hasNextPage endCursor } nodes { id type title data occurredAt customer { id } } } } }";

fn types(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_timeline_holds_every_kind_of_entry_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "name": "Ana" }),
        )
        .await;
    app.gql("acme", "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Ana Maria\", tags: [\"vip\"] }) { id } }", json!({ "id": ana }))
        .await
        .ok();
    record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "5.00", "currency": "EUR", "placedAt": days_ago(0.5) })).await;
    app.gql(
        "acme",
        "mutation($c: ID!) { addNote(customerId: $c, body: \"Called about the invoice\") { id } }",
        json!({ "c": ana }),
    )
    .await
    .ok();
    let email = app
        .gql("acme", "mutation($c: ID!, $t: DateTime) { recordActivity(customerId: $c, input: { type: EMAIL, title: \"Newsletter opened\", occurredAt: $t, data: { campaign: \"nov\" } }) { id type title data occurredAt customer { id } } }", json!({ "c": ana, "t": days_ago(10.0) }))
        .await
        .ok()["recordActivity"]
        .clone();
    assert!(email["id"].as_str().unwrap().starts_with("act_"));
    assert_eq!(email["data"], json!({ "campaign": "nov" }));
    assert_eq!(email["customer"]["id"], ana);

    let all =
        app.gql("acme", TIMELINE, json!({ "id": ana })).await.ok()["customer"]["activity"].clone();
    assert_eq!(all["totalCount"], 5);
    // Newest first: the note, the update, the creation (all just now, in
    // that order), the order half a day ago, the email ten days ago.
    assert_eq!(
        types(&all),
        ["NOTE", "CUSTOMER", "CUSTOMER", "ORDER", "EMAIL"]
    );
    let nodes = all["nodes"].as_array().unwrap();
    assert_eq!(nodes[1]["title"], "Customer updated");
    assert_eq!(
        nodes[1]["data"],
        json!({ "action": "updated", "fields": ["name", "tags"] })
    );
    assert_eq!(nodes[2]["data"], json!({ "action": "created" }));
    assert_eq!(nodes[3]["title"], "Order A-1 placed");
    assert_eq!(nodes[3]["data"]["amount"], "5.00");
    assert!(
        nodes[0]["data"]["noteId"]
            .as_str()
            .unwrap()
            .starts_with("note_")
    );
    assert!(!all.to_string().contains("invoice"), "no copy of the note");

    // Filters: by type, and by time (both bounds exclusive).
    let only = app
        .gql(
            "acme",
            TIMELINE,
            json!({ "id": ana, "types": ["EMAIL", "ORDER"] }),
        )
        .await
        .ok()["customer"]["activity"]
        .clone();
    assert_eq!(types(&only), ["ORDER", "EMAIL"]);
    assert_eq!(only["totalCount"], 2);
    let window = app
        .gql(
            "acme",
            TIMELINE,
            json!({ "id": ana, "oa": days_ago(11.0), "ob": days_ago(0.25) }),
        )
        .await
        .ok()["customer"]["activity"]
        .clone();
    assert_eq!(types(&window), ["ORDER", "EMAIL"]);

    // Paging two at a time walks the whole timeline once.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(
                "acme",
                TIMELINE,
                json!({ "id": ana, "first": 2, "after": after }),
            )
            .await
            .ok()["customer"]["activity"]
            .clone();
        seen.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let ids: Vec<Value> = nodes.iter().map(|n| n["id"].clone()).collect();
    assert_eq!(seen, ids);

    // Changing nothing adds nothing.
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Ana Maria\" }) { id } }",
        json!({ "id": ana }),
    )
    .await
    .ok();
    let again = app.gql("acme", TIMELINE, json!({ "id": ana })).await.ok();
    assert_eq!(again["customer"]["activity"]["totalCount"], 5);
}

async fn bad_activity_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let mutation = "mutation($c: ID!, $i: ActivityInput!) { recordActivity(customerId: $c, input: $i) { id } }";
    let big = "x".repeat(17 * 1024);
    let cases = [
        (
            json!({ "type": "EMAIL", "title": "t".repeat(501) }),
            "input.title",
        ),
        (
            json!({ "type": "EMAIL", "data": { "blob": big } }),
            "input.data",
        ),
        (
            json!({ "type": "EMAIL", "occurredAt": "2999-01-01T00:00:00Z" }),
            "input.occurredAt",
        ),
        (json!({ "type": "SHOUTING" }), "input.type"),
    ];
    for (input, field) in cases {
        let r = app
            .gql("acme", mutation, json!({ "c": ana, "i": input }))
            .await;
        assert_eq!(r.code(), "BAD_USER_INPUT", "{:#}", r.body);
        assert!(r.field().starts_with(field), "{} vs {field}", r.field());
    }
    let r = app
        .gql(
            "acme",
            mutation,
            json!({ "c": unknown_customer_id(), "i": { "type": "EMAIL" } }),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");
    let timeline = app.gql("acme", TIMELINE, json!({ "id": ana })).await.ok();
    assert_eq!(
        timeline["customer"]["activity"]["totalCount"], 1,
        "just the creation"
    );
}

async fn notes_are_written_by_the_token_subject_and_paged_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let add = "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id body author createdAt updatedAt customer { id } } }";
    let mut ids = Vec::new();
    for n in 1..=3 {
        let note = app
            .gql(
                "acme",
                add,
                json!({ "c": ana, "b": format!("note {n}\nsecond line") }),
            )
            .await
            .ok()["addNote"]
            .clone();
        assert_eq!(note["author"], "tester");
        assert_eq!(note["customer"]["id"], ana);
        ids.push(note["id"].as_str().unwrap().to_owned());
    }
    let list = "query($id: ID!, $first: Int, $after: String) { customer(id: $id) { notes(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id body } } } }";
    let page = app
        .gql("acme", list, json!({ "id": ana, "first": 2 }))
        .await
        .ok()["customer"]["notes"]
        .clone();
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["nodes"][0]["id"], ids[2]);
    assert_eq!(page["nodes"][1]["id"], ids[1]);
    let rest = app
        .gql(
            "acme",
            list,
            json!({ "id": ana, "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await
        .ok()["customer"]["notes"]
        .clone();
    assert_eq!(rest["nodes"][0]["id"], ids[0]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    let updated = app
        .gql("acme", "mutation($id: ID!) { updateNote(id: $id, body: \"  edited  \") { body createdAt updatedAt } }", json!({ "id": ids[0] }))
        .await
        .ok()["updateNote"]
        .clone();
    assert_eq!(updated["body"], "edited");
    assert!(updated["updatedAt"].as_str() > updated["createdAt"].as_str());
    let empty = app
        .gql(
            "acme",
            "mutation($id: ID!) { updateNote(id: $id, body: \"   \") { body } }",
            json!({ "id": ids[0] }),
        )
        .await;
    assert_eq!((empty.code(), empty.field()), ("BAD_USER_INPUT", "body"));
    let deleted = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteNote(id: $id) { deletedId } }",
            json!({ "id": ids[0] }),
        )
        .await
        .ok();
    assert_eq!(deleted["deleteNote"]["deletedId"], ids[0]);
    let gone = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteNote(id: $id) { deletedId } }",
            json!({ "id": ids[0] }),
        )
        .await;
    assert_eq!(gone.code(), "NOT_FOUND");
    let left = app.gql("acme", list, json!({ "id": ana })).await.ok();
    assert_eq!(left["customer"]["notes"]["totalCount"], 2);
    let timeline = app
        .gql("acme", TIMELINE, json!({ "id": ana, "types": ["NOTE"] }))
        .await
        .ok();
    assert_eq!(timeline["customer"]["activity"]["totalCount"], 3);
}

backend_tests!(
    the_timeline_holds_every_kind_of_entry_newest_first,
    bad_activity_is_refused_and_changes_nothing,
    notes_are_written_by_the_token_subject_and_paged_newest_first,
);
