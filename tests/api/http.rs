//! API.md §1 and §12: GraphQL over HTTP as the spec and its audit suite
//! expect, with the gaps of the stock integration closed.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

async fn post(
    app: &TestApp,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.unwrap()
}

async fn mutations_over_get_are_refused_and_run_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let mutation =
        r#"mutation { createCustomer(input: { email: "get@example.com" }) { created } }"#;
    let response = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("query", mutation)])
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(app.count("acme").await, 0);

    let query = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[
            (
                "query",
                "query($n: Int) { customers(first: $n) { totalCount } }",
            ),
            ("variables", r#"{"n": 5}"#),
        ])
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    let body: serde_json::Value = query.json().await.unwrap();
    assert_eq!(body["data"]["customers"]["totalCount"], 0);
}

async fn only_single_json_requests_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let one = json!({ "query": "{ __typename }" }).to_string();
    let cases = [
        (Some("application/json"), format!("[{one},{one}]"), 400),
        (Some("application/json"), "{not json".to_owned(), 400),
        (
            Some("application/json"),
            json!({ "query": 7 }).to_string(),
            400,
        ),
        (
            Some("application/json"),
            json!({ "qeury": "{ __typename }" }).to_string(),
            400,
        ),
        (
            Some("application/json"),
            json!({ "query": "{ __typename }", "variables": [7] }).to_string(),
            400,
        ),
        (Some("text/plain"), one.clone(), 415),
        (
            Some("application/x-www-form-urlencoded"),
            "query=%7B__typename%7D".to_owned(),
            415,
        ),
        (None, one.clone(), 415),
        (Some("application/json; charset=utf-8"), one.clone(), 200),
    ];
    for (content_type, body, status) in cases {
        let response = post(&app, content_type, None, body.clone()).await;
        assert_eq!(response.status(), status, "{content_type:?} {body}");
    }
    let huge =
        json!({ "query": format!("{{ __typename }} #{}", "x".repeat(1024 * 1024)) }).to_string();
    assert_eq!(
        post(&app, Some("application/json"), None, huge)
            .await
            .status(),
        413
    );
}

async fn status_codes_follow_the_accepted_media_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let invalid = json!({ "query": "{ customr { id } }" }).to_string();
    let as_json = post(
        &app,
        Some("application/json"),
        Some("application/json"),
        invalid.clone(),
    )
    .await;
    assert_eq!(as_json.status(), 200);
    assert!(
        as_json.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = as_json.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "query");
    assert!(
        body.get("data").is_none(),
        "a request that never ran has no data: {body}"
    );

    let as_gr = post(
        &app,
        Some("application/json"),
        Some("application/graphql-response+json"),
        invalid,
    )
    .await;
    assert_eq!(as_gr.status(), 400);
    assert!(
        as_gr.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );

    let ok = post(
        &app,
        Some("application/json"),
        Some("application/graphql-response+json"),
        json!({ "query": "{ __typename }" }).to_string(),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        post(
            &app,
            Some("application/json"),
            Some("text/html"),
            json!({ "query": "{ __typename }" }).to_string()
        )
        .await
        .status(),
        406
    );
}

async fn probes_and_graphiql_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            app.client
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{path}"
        );
    }
    let page = app.get_text("/").await;
    assert!(page.contains("graphiql") && page.contains("/graphql"));
    assert!(
        !page.contains("Authorization"),
        "with a configured secret, GraphiQL carries no token"
    );
    // Everything the page loads comes from this server.
    let sources: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    for source in sources {
        assert!(source.starts_with("/assets/"), "{source}");
        let response = app
            .client
            .get(format!("{}{source}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{source}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 1000, "{source}");
        let expected = if source.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(kind.starts_with(expected), "{source}: {kind}");
    }
    let missing = app
        .client
        .get(format!("{}/assets/graphiql@4/nothing.js", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

/// SQLite only: the development secret lives beside the SQLite file.
#[tokio::test]
async fn a_development_server_makes_its_secret_and_fills_in_graphiql() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let dir = db.dir().unwrap();
    let args = crate::helpers::serve_args(&db, &[]);
    let application = crm::app::Application::build(args).await.unwrap();
    let url = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let secret = dir.join("crm.db.jwt-secret");
    let meta = std::fs::metadata(&secret).unwrap();
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    assert!(meta.len() >= 32);

    let page = reqwest::get(format!("{url}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("Bearer ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ customerCount }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// SQLite only: the console is files on disk, the same on both backends.
/// With `CRM_CONSOLE`, `/console/` serves the built console and its
/// `index.html` for the console's own routes; without a build it refuses
/// to start.
#[tokio::test]
async fn the_console_is_served_when_asked() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let dir = db.dir().unwrap().join("console");
    let missing = dir.to_str().unwrap().to_owned();
    let args = crate::helpers::serve_args(&db, &["--console", "true", "--console-dir", &missing]);
    let refused = crm::app::Application::build(args).await.err().unwrap();
    assert!(refused.to_string().contains("npm run build"), "{refused}");

    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<div id=\"console\"></div>").unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
    let args = crate::helpers::serve_args(&db, &["--console", "true", "--console-dir", &missing]);
    let application = crm::app::Application::build(args).await.unwrap();
    let url = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| client.get(format!("{url}{path}")).send();

    let bare = get("/console").await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/console/");
    for path in ["/console/", "/console/customers/cus_1"] {
        let page = get(path).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(
            page.text().await.unwrap(),
            "<div id=\"console\"></div>",
            "{path}"
        );
    }
    let script = get("/console/assets/app.js").await.unwrap();
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(script.text().await.unwrap(), "console.log(1)");
    // The API beside it is unchanged.
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
}

/// Without `CRM_CONSOLE`, `/console/` is an unknown path.
async fn the_console_is_not_served_unless_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(format!("{}/console/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// Every refusal of the HTTP layer is JSON with a code: a body over 1 MiB,
/// a malformed query string, an unknown path, a method a route lacks, a
/// WebSocket upgrade without its headers.
async fn every_http_error_is_coded_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let huge =
        json!({ "query": format!("{{ __typename }} #{}", "x".repeat(1024 * 1024)) }).to_string();
    let cases = [
        (
            post(&app, Some("application/json"), None, huge).await,
            413,
            "BAD_USER_INPUT",
            Some("body"),
        ),
        (
            app.client
                .get(format!("{}/exports/drr_x?expires=soon&sig=a", app.url))
                .send()
                .await
                .unwrap(),
            400,
            "BAD_USER_INPUT",
            None,
        ),
        (
            app.client
                .get(format!("{}/nowhere", app.url))
                .send()
                .await
                .unwrap(),
            404,
            "NOT_FOUND",
            None,
        ),
        (
            app.client
                .put(format!("{}/graphql", app.url))
                .send()
                .await
                .unwrap(),
            405,
            "BAD_USER_INPUT",
            Some("method"),
        ),
        (
            app.client
                .get(format!("{}/graphql/ws", app.url))
                .send()
                .await
                .unwrap(),
            400,
            "BAD_USER_INPUT",
            None,
        ),
    ];
    for (response, status, code, field) in cases {
        assert_eq!(response.status(), status);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        }
    }
}

/// A nullable variable left out where an input field is non-null: the
/// client's mistake, answered `BAD_USER_INPUT`, not a server error.
async fn a_missing_variable_in_a_non_null_input_field_is_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let refused = app
        .gql(
            "acme",
            "query($d: SortDirection) { customers(sort: { field: NAME, direction: $d }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{:#}", refused.body);
}

backend_tests!(
    a_missing_variable_in_a_non_null_input_field_is_bad_input,
    every_http_error_is_coded_json,
    mutations_over_get_are_refused_and_run_nothing,
    only_single_json_requests_are_accepted,
    status_codes_follow_the_accepted_media_type,
    probes_and_graphiql_are_served,
    the_console_is_not_served_unless_asked,
    cors_allows_configured_origins_only,
);

#[tokio::test]
async fn without_a_key_the_server_only_listens_on_loopback() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let mut args = crate::helpers::serve_args(&db, &[]);
    args.listen = "0.0.0.0:0".parse().unwrap();
    let err = crm::app::Application::build(args)
        .await
        .err()
        .expect("no key on a public address must be refused");
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(!db.dir().unwrap().join("crm.db.jwt-secret").exists());
}

#[tokio::test]
async fn a_malformed_cors_origin_stops_the_server() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let args = crate::helpers::serve_args(
        &db,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--cors-origins",
            "https://ok.example,not an origin",
        ],
    );
    let err = crm::app::Application::build(args)
        .await
        .err()
        .expect("a bad origin must be refused");
    assert!(err.to_string().contains("CRM_CORS_ORIGINS"), "{err}");
}

async fn cors_allows_configured_origins_only(backend: Backend) {
    let app = crate::helpers::spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--cors-origins",
            "https://app.example.com",
        ],
    )
    .await;
    for (origin, allowed) in [
        ("https://app.example.com", true),
        ("https://evil.example.com", false),
    ] {
        let response = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        let header = response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header.as_deref() == Some(origin), allowed, "{origin}");
    }
}
