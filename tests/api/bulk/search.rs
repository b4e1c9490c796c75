//! The customers' search (`filter: { search }`): substrings, whatever the
//! case and the accents, following updates and deletes.

use serde_json::json;

use crate::helpers::{Backend, spawn_app};

async fn search_is_substring_case_and_accent_insensitive(backend: Backend) {
    let sqlite = matches!(backend, Backend::Sqlite);
    let app = spawn_app(backend).await;
    let jonathan = app
        .create_customer(
            "acme",
            json!({ "name": "Jonathan Smithers", "email": "jonathan.smithers@example.com" }),
        )
        .await;
    let jose = app
        .create_customer(
            "acme",
            json!({ "firstName": "José", "lastName": "Álvarez Núñez", "phone": "+34 612 345 678" }),
        )
        .await;
    let li = app
        .create_customer(
            "acme",
            json!({ "name": "李小龍", "companyName": "Dragon Ltd", "phone": "+14155552671" }),
        )
        .await;
    app.create_customer(
        "other",
        json!({ "name": "Jonathan Other", "email": "jonathan.smithers@other.example" }),
    )
    .await;
    let query =
        "query($q: String) { customers(first: 100, filter: { search: $q }) { nodes { id } } }";
    let cases = [
        ("than.smi", vec![&jonathan]),
        ("SMITHERS@EXAMPLE", vec![&jonathan]),
        ("jose alvarez", vec![&jose]),
        ("NUNEZ", vec![&jose]),
        ("álvarez", vec![&jose]),
        ("612 345", vec![&jose]),
        ("555267", vec![&li]),
        ("(415) 555", vec![&li]),
        ("dragon", vec![&li]),
        ("a", vec![&jonathan, &jose, &li]),
        // Name, email, phone and company are searched apart, accents or not.
        ("nunezjose", vec![]),
        ("678346", vec![]),
        ("zz", vec![]),
        ("\"quoted\"", vec![]),
    ];
    for (q, expected) in cases {
        let data = app.gql("acme", query, json!({ "q": q })).await.ok();
        let mut got: Vec<String> = data["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = expected.into_iter().cloned().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{q}");
    }
    // The index follows updates and deletes.
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Jon Renamed\" }) { id } }",
        json!({ "id": jonathan }),
    )
    .await
    .ok();
    let count = |q: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "acme",
                "query($q: String) { customerCount(filter: { search: $q }) }",
                json!({ "q": q }),
            )
            .await
            .ok()["customerCount"]
                .clone()
        }
    };
    assert_eq!(count("renamed").await, 1);
    assert_eq!(count("smithers").await, 1, "the email still matches");
    assert_eq!(count("jonathan s").await, 0);
    app.delete_customer("acme", &jonathan).await;
    assert_eq!(count("smithers").await, 0);
    if sqlite {
        // The FTS5 index holds exactly what the customers table does.
        use sea_orm::ConnectionTrait;
        let db = app.db.connect().await;
        db.execute_unprepared(
            "INSERT INTO customer_search (customer_search, rank) VALUES ('integrity-check', 1)",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    }
}

backend_tests!(search_is_substring_case_and_accent_insensitive);
