//! `crm export`: a tenant's customers, or a query's, written as CSV or
//! JSON Lines by the same batches a bulk export runs.

use serde_json::{Value, json};

use crate::helpers::{Backend, crm_on, spawn_app};

async fn exports_a_query_as_csv_and_json_lines(backend: Backend) {
    let app = spawn_app(backend).await;
    for (email, tags) in [
        ("ana@acme.example", json!(["vip"])),
        ("bo@acme.example", json!([])),
        ("=cmd@acme.example", json!(["vip"])),
    ] {
        app.create_customer("acme", json!({ "email": email, "tags": tags }))
            .await;
    }
    app.create_customer(
        "other",
        json!({ "email": "zed@other.example", "tags": ["vip"] }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vip.csv");
    let out = crm_on(
        &app,
        &[
            "export",
            "--tenant",
            "acme",
            "--query",
            "tag:vip",
            "--columns",
            "email,TAGS",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported 2 customers"));
    let csv = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.remove(0), "email,tags");
    lines.sort();
    // A cell a spreadsheet would run as a formula is defused.
    assert_eq!(lines, ["'=cmd@acme.example,vip", "ana@acme.example,vip"]);

    let out = crm_on(&app, &["export", "--tenant", "acme", "--format", "jsonl"]);
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["id"].as_str().unwrap().starts_with("cus_"))
    );
    assert!(!rows.iter().any(|r| r["email"] == "zed@other.example"));

    let refused = crate::helpers::crm()
        .args(["export", "--tenant", "acme", "--query", "orders:>x"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("a whole number"), "{said}");
    assert!(said.contains("at character 8"), "{said}");

    let unknown = crate::helpers::crm()
        .args(["export", "--tenant", "acme", "--columns", "email,shoe_size"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("\"shoe_size\""), "{said}");
    assert!(said.contains("firstOrderAt"), "{said}");
}

backend_tests!(exports_a_query_as_csv_and_json_lines);
