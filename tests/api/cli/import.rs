//! `crm import`: a CSV file streamed in batches, each rejected row
//! reported (its formulas defused), consent, locale and currency columns
//! read, and rows applied in the file's order across batches.

use serde_json::json;

use crate::helpers::{Backend, crm_on, spawn_app};

async fn crm_import_streams_a_csv_and_reports_each_rejected_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    let mut csv = String::from("Name,Email,phone,tags,city,country,plan,notes\n");
    let mut bad = 0;
    for i in 0..2500 {
        let line = match i % 250 {
            10 => {
                bad += 1;
                format!("Bad Email {i},not-an-email,,vip,Lagos,NG,pro,\n")
            }
            20 => {
                bad += 1;
                format!("No Key {i},,,vip,Lagos,NG,pro,\n")
            }
            30 => {
                bad += 1;
                format!("Bad Country {i},bc{i}@example.com,,vip,Nowhere,QQ,pro,\n")
            }
            40 => {
                bad += 1;
                // Formulas, were a spreadsheet to run them.
                format!("=cmd|' /C calc'!A{i},@SUM(1),,+vip,-2+3,QQ,pro,\n")
            }
            _ => format!(
                "Person {i},p{i}@example.com,+1415{:07},vip; eu|b{},Lagos,NG,pro,\"said \"\"hi\"\", twice\"\n",
                2_000_000 + i,
                i % 3
            ),
        };
        csv.push_str(&line);
    }
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();

    let first = crm_on(&app, &["import", path, "--tenant", "acme"]);
    let summary = String::from_utf8(first.stdout).unwrap();
    assert!(
        summary.contains(&format!("{} created", 2500 - bad)),
        "{summary}"
    );
    assert!(summary.contains(&format!("{bad} rejected")), "{summary}");
    assert_eq!(app.count("acme").await, 2500 - bad);
    let person = app
        .gql("acme", r#"{ customerLookup(email: "p42@example.com") { name phone tags metadata address { city country } } }"#, json!({}))
        .await
        .ok();
    assert_eq!(
        person["customerLookup"],
        json!({ "name": "Person 42", "phone": "+14152000042", "tags": ["b0", "eu", "vip"],
                "metadata": { "plan": "pro", "notes": "said \"hi\", twice" }, "address": { "city": "Lagos", "country": "NG" } })
    );
    let rejected = std::fs::read_to_string(dir.path().join("people.rejected.csv")).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), bad as usize + 1, "{rejected}");
    assert!(lines[0].starts_with("line,error,"));
    assert!(
        rejected.contains("email: \"not-an-email\" is not a valid email address")
            || rejected.contains("not a valid email"),
        "{rejected}"
    );
    assert!(rejected.contains("needs an email or a phone"), "{rejected}");
    assert!(rejected.contains("address.country"), "{rejected}");
    let formulas: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("cmd|"))
        .copied()
        .collect();
    assert_eq!(formulas.len(), 10, "{rejected}");
    for line in formulas {
        let cells: Vec<&str> = line.split(',').collect();
        for cell in &cells[1..] {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live formula in {line}"
            );
        }
        assert!(
            line.contains("'=cmd|")
                && line.contains("'@SUM(1)")
                && line.contains("'+vip")
                && line.contains("'-2+3"),
            "{line}"
        );
    }

    let again = crm_on(
        &app,
        &["import", path, "--tenant", "acme", "--mode", "upsert"],
    );
    let summary = String::from_utf8(again.stdout).unwrap();
    assert!(summary.contains("0 created, 0 updated"), "{summary}");
    assert_eq!(
        app.count("acme").await,
        2500 - bad,
        "a second run duplicates nothing"
    );
}

/// Consent, locale and currency columns, as other stores export them.
async fn crm_import_reads_consent_locale_and_currency(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("consent.csv");
    std::fs::write(
        &file,
        "email,Accepts Email Marketing,sms_consent,locale,currency,phone\n\
         ana@example.com,yes,pending,pt-br,eur,+14155552671\n\
         bo@example.com,no,,,,\n\
         cy@example.com,maybe,,,,\n",
    )
    .unwrap();
    let run = crm_on(
        &app,
        &["import", file.to_str().unwrap(), "--tenant", "acme"],
    );
    let summary = String::from_utf8(run.stdout).unwrap();
    assert!(
        summary.contains("2 created") && summary.contains("1 rejected"),
        "{summary}"
    );
    let rejected = std::fs::read_to_string(dir.path().join("consent.rejected.csv")).unwrap();
    assert!(
        rejected.contains("accepts_email_marketing:") && rejected.contains("maybe"),
        "{rejected}"
    );
    let lookup = |email: &'static str| {
        app.lookup(
            "acme",
            email,
            "emailConsent { state source } smsConsent { state } locale currency",
        )
    };
    assert_eq!(
        lookup("ana@example.com").await,
        json!({ "emailConsent": { "state": "SUBSCRIBED", "source": "import" },
                "smsConsent": { "state": "PENDING" }, "locale": "pt-BR", "currency": "EUR" })
    );
    assert_eq!(
        lookup("bo@example.com").await["emailConsent"]["state"],
        "UNSUBSCRIBED"
    );
}

/// `crm import` writes batches two at a time on PostgreSQL (one at a time
/// on SQLite), yet a later row naming a customer lands after an earlier one: by an existing customer's email in
/// one batch and its phone in the next (batches written at once; the first
/// has 1,000 phones to check, the second one row), and by the same email in
/// three batches (each waits for the one before).
async fn crm_import_applies_rows_in_file_order_across_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    app.gql(
        "acme",
        r#"mutation { createCustomer(input: { name: "Known", email: "known@example.com", phone: "+14155550100" }) { customer { id } } }"#,
        json!({}),
    )
    .await
    .ok();
    let dir = tempfile::tempdir().unwrap();
    let import = |name: &str, rows: Vec<String>| {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("name,email,phone,city\n{}", rows.concat())).unwrap();
        let output = crm_on(
            &app,
            &[
                "import",
                file.to_str().unwrap(),
                "--tenant",
                "acme",
                "--mode",
                "upsert",
            ],
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let city = |email: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "acme",
                "query($e: String!) { customerLookup(email: $e) { address { city } } }",
                json!({ "e": email }),
            )
            .await
            .ok()["customerLookup"]["address"]["city"]
                .clone()
        }
    };

    let rows = (0..1001)
        .map(|i| match i {
            7 => "Known,known@example.com,,By email\n".to_owned(),
            1000 => "Known,,+1 415 555 0100,By phone\n".to_owned(),
            _ => format!(
                "Row {i},row{i}@example.com,+1415{:07},Lyon\n",
                3_000_000 + i
            ),
        })
        .collect();
    let summary = import("linked.csv", rows);
    assert!(summary.contains("999 created, 2 updated"), "{summary}");
    assert_eq!(city("known@example.com").await, "By phone");

    let rows = (0..2500)
        .map(|i| match i {
            500 => "Twice,twice@example.com,,First\n".to_owned(),
            1500 => "Twice,TWICE@example.com,,Second\n".to_owned(),
            2200 => "Twice,twice@example.com,,Third\n".to_owned(),
            _ => format!("Other {i},other{i}@example.com,,Lyon\n"),
        })
        .collect();
    let summary = import("repeated.csv", rows);
    assert!(summary.contains("2498 created, 2 updated"), "{summary}");
    assert_eq!(city("twice@example.com").await, "Third");
    assert_eq!(app.count("acme").await, 1 + 999 + 2498);
}

/// Additional emails and phones, the company by its domain, and values of
/// defined custom fields, checked.
async fn crm_import_reads_contacts_companies_and_custom_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    app.gql(
        "acme",
        r#"mutation { createCustomFieldDefinition(input: { key: "seats", label: "Seats", type: NUMBER }) { key } }"#,
        json!({}),
    )
    .await
    .ok();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b2b.csv");
    std::fs::write(
        &file,
        "email,additional_emails,additional_phones,company,company_domain,seats\n\
         ana@initech.example,ana@home.example;ana.b@initech.example,+14155552671,Initech,https://initech.example,12\n\
         bo@initech.example,,,Initech Corp,initech.example,3\n\
         cy@globex.example,,,,globex.example,\n\
         dee@initech.example,,,,not a domain,\n\
         eve@initech.example,,,,,many\n",
    )
    .unwrap();
    let run = crm_on(
        &app,
        &["import", file.to_str().unwrap(), "--tenant", "acme"],
    );
    let summary = String::from_utf8(run.stdout).unwrap();
    assert!(
        summary.contains("3 created") && summary.contains("2 rejected"),
        "{summary}"
    );
    let rejected = std::fs::read_to_string(dir.path().join("b2b.rejected.csv")).unwrap();
    assert!(
        rejected.contains("company_domain:") && rejected.contains("metadata.seats:"),
        "{rejected}"
    );

    let ana = app
        .lookup(
            "acme",
            "ana@home.example",
            "email emails phones metadata company { name domain customerCount }",
        )
        .await;
    assert_eq!(
        ana,
        json!({ "email": "ana@initech.example",
                "emails": ["ana@initech.example", "ana@home.example", "ana.b@initech.example"],
                "phones": ["+14155552671"], "metadata": { "seats": 12 },
                "company": { "name": "Initech", "domain": "initech.example", "customerCount": 2 } })
    );
    let cy = app
        .lookup("acme", "cy@globex.example", "companyName company { name }")
        .await;
    assert_eq!(
        cy,
        json!({ "companyName": "globex.example", "company": { "name": "globex.example" } })
    );
}

backend_tests!(
    crm_import_reads_contacts_companies_and_custom_fields,
    crm_import_streams_a_csv_and_reports_each_rejected_row,
    crm_import_applies_rows_in_file_order_across_batches,
    crm_import_reads_consent_locale_and_currency,
);
