//! API.md §2: every bad token is one identical 401; scopes are enforced per
//! field; keys and claims are checked as configured.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, spawn_app, spawn_app_with};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(extra: Value) -> Value {
    let mut claims =
        json!({ "tenant": "acme", "sub": "ana", "scope": "read:customers", "exp": now() + 600 });
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    claims
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn hs256(secret: &str, claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(secret.as_bytes()),
        claims,
    )
}

/// An HS256 token with any header, signed with `secret`.
fn hs256_with_header(secret: &str, header: Value, claims: &Value) -> String {
    use hmac::Mac as _;
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", part(&header), part(claims));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn unsigned(header: Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", part(&header), part(claims))
}

async fn status_and_body(
    app: &crate::helpers::TestApp,
    authorization: Option<String>,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": "{ customerCount }" }));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn every_bad_token_is_one_identical_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = hs256(SECRET, &claims(json!({})));
    let (status, _) = status_and_body(&app, Some(format!("Bearer {good}"))).await;
    assert_eq!(status, 200, "the control token must be accepted");

    let mut tampered: Vec<&str> = good.split('.').collect();
    let forged_payload = URL_SAFE_NO_PAD.encode(claims(json!({ "tenant": "other" })).to_string());
    tampered[1] = &forged_payload;
    let es_key =
        EncodingKey::from_ec_pem(&std::fs::read(format!("{FIXTURES}/es256-private.pem")).unwrap())
            .unwrap();
    let mut no_exp = claims(json!({}));
    no_exp.as_object_mut().unwrap().remove("exp");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("not bearer", Some(format!("Basic {good}"))),
        ("garbage", Some("Bearer garbage".into())),
        (
            "wrong secret",
            Some(format!(
                "Bearer {}",
                hs256(
                    "another-secret-another-secret-another-secret",
                    &claims(json!({}))
                )
            )),
        ),
        (
            "tampered payload",
            Some(format!("Bearer {}", tampered.join("."))),
        ),
        (
            "truncated signature",
            Some(format!("Bearer {}", &good[..good.len() - 5])),
        ),
        (
            "expired beyond leeway",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "exp": now() - 120 })))
            )),
        ),
        (
            "exp missing",
            Some(format!("Bearer {}", hs256(SECRET, &no_exp))),
        ),
        (
            "exp a string",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "exp": "9999999999" })))
            )),
        ),
        (
            "nbf in the future",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "nbf": now() + 300 })))
            )),
        ),
        (
            "alg none",
            Some(format!(
                "Bearer {}",
                unsigned(json!({ "alg": "none", "typ": "JWT" }), &claims(json!({})))
            )),
        ),
        (
            "alg nOnE",
            Some(format!(
                "Bearer {}",
                unsigned(json!({ "alg": "nOnE" }), &claims(json!({})))
            )),
        ),
        (
            "ES256 when HS256 is configured",
            Some(format!(
                "Bearer {}",
                sign(Algorithm::ES256, &es_key, &claims(json!({})))
            )),
        ),
        (
            "tenant missing",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &json!({ "sub": "ana", "exp": now() + 600 }))
            )),
        ),
        (
            "tenant empty",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "tenant": "" })))
            )),
        ),
        (
            "tenant with SQL",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "tenant": "a' OR 1=1 --" })))
            )),
        ),
        (
            "sub empty",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "sub": "" })))
            )),
        ),
        (
            "a critical extension",
            Some(format!(
                "Bearer {}",
                hs256_with_header(
                    SECRET,
                    json!({ "alg": "HS256", "typ": "JWT", "crit": ["exp"] }),
                    &claims(json!({}))
                )
            )),
        ),
        (
            "exp 2^64 - 1",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "exp": u64::MAX })))
            )),
        ),
        (
            "valid for 25 hours",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "exp": now() + 25 * 3600 })))
            )),
        ),
        ("five-part JWE", Some("Bearer a.b.c.d.e".into())),
        ("non-ASCII", Some(format!("Bearer {good}é"))),
        (
            "16 KiB token",
            Some(format!(
                "Bearer {}",
                hs256(SECRET, &claims(json!({ "pad": "x".repeat(16 * 1024) })))
            )),
        ),
    ];
    let mut bodies = Vec::new();
    for (name, authorization) in cases {
        let (status, body) = status_and_body(&app, authorization).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{name}"
        );
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every refusal must have the same body"
    );
}

async fn expiry_has_sixty_seconds_of_leeway(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = hs256(SECRET, &claims(json!({ "exp": now() - 30 })));
    let (status, _) = status_and_body(&app, Some(format!("Bearer {token}"))).await;
    assert_eq!(status, 200);
    // The longest lifetime (CRM_JWT_MAX_TTL, 24 h by default) and the same
    // header as the control token without `crit` pass.
    for token in [
        hs256(SECRET, &claims(json!({ "exp": now() + 23 * 3600 }))),
        hs256_with_header(
            SECRET,
            json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" }),
            &claims(json!({})),
        ),
    ] {
        let (status, body) = status_and_body(&app, Some(format!("Bearer {token}"))).await;
        assert_eq!(status, 200, "{body}");
    }
    let strict = spawn_app_with(
        Backend::Sqlite,
        &["--jwt-secret", SECRET, "--jwt-max-ttl", "1h"],
    )
    .await;
    let two_hours = hs256(SECRET, &claims(json!({ "exp": now() + 7200 })));
    let (status, _) = status_and_body(&strict, Some(format!("Bearer {two_hours}"))).await;
    assert_eq!(status, 401, "CRM_JWT_MAX_TTL refuses longer-lived tokens");
}

async fn rs256_server_accepts_rs256_and_refuses_hs256(backend: Backend) {
    let public = format!("{FIXTURES}/rs256-public.pem");
    let app = spawn_app_with(
        backend,
        &["--jwt-algorithm", "RS256", "--jwt-public-key", &public],
    )
    .await;
    let private =
        EncodingKey::from_rsa_pem(&std::fs::read(format!("{FIXTURES}/rs256-private.pem")).unwrap())
            .unwrap();
    let good = sign(Algorithm::RS256, &private, &claims(json!({})));
    assert_eq!(
        status_and_body(&app, Some(format!("Bearer {good}")))
            .await
            .0,
        200
    );

    // The classic confusion: HS256 keyed with the RS256 public key.
    let public_pem = std::fs::read(&public).unwrap();
    let confused = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(&public_pem),
        &claims(json!({})),
    );
    assert_eq!(
        status_and_body(&app, Some(format!("Bearer {confused}")))
            .await
            .0,
        401
    );
    let hs = hs256(SECRET, &claims(json!({})));
    assert_eq!(
        status_and_body(&app, Some(format!("Bearer {hs}"))).await.0,
        401
    );
}

async fn es256_server_accepts_es256(backend: Backend) {
    let public = format!("{FIXTURES}/es256-public.pem");
    let app = spawn_app_with(
        backend,
        &["--jwt-algorithm", "ES256", "--jwt-public-key", &public],
    )
    .await;
    let private =
        EncodingKey::from_ec_pem(&std::fs::read(format!("{FIXTURES}/es256-private.pem")).unwrap())
            .unwrap();
    let good = sign(Algorithm::ES256, &private, &claims(json!({})));
    assert_eq!(
        status_and_body(&app, Some(format!("Bearer {good}")))
            .await
            .0,
        200
    );
    let rs =
        EncodingKey::from_rsa_pem(&std::fs::read(format!("{FIXTURES}/rs256-private.pem")).unwrap())
            .unwrap();
    let wrong = sign(Algorithm::RS256, &rs, &claims(json!({})));
    assert_eq!(
        status_and_body(&app, Some(format!("Bearer {wrong}")))
            .await
            .0,
        401
    );
}

async fn issuer_and_audience_are_required_when_configured(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            SECRET,
            "--jwt-issuer",
            "https://id.example",
            "--jwt-audience",
            "crm-api",
        ],
    )
    .await;
    let with = |extra: Value| format!("Bearer {}", hs256(SECRET, &claims(extra)));
    let cases = [
        (
            json!({ "iss": "https://id.example", "aud": "crm-api" }),
            200,
        ),
        (
            json!({ "iss": "https://evil.example", "aud": "crm-api" }),
            401,
        ),
        (
            json!({ "iss": "https://id.example", "aud": "other-api" }),
            401,
        ),
        (json!({ "iss": "https://id.example" }), 401),
        (json!({ "aud": "crm-api" }), 401),
    ];
    for (extra, expected) in cases {
        let (status, body) = status_and_body(&app, Some(with(extra.clone()))).await;
        assert_eq!(status, expected, "{extra}: {body}");
    }
}

async fn a_missing_scope_is_forbidden_on_that_field_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_customer("acme", json!({ "email": "ana@example.com" }))
        .await;
    let writer = app.token_with("acme", "write:customers");
    let query = "query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } __typename }";
    let response = app.gql_as(&writer, query, json!({ "id": id })).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.data()["__typename"], "Query");
    assert_eq!(response.data()["customer"], Value::Null);
    let errors = response.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    for error in errors {
        assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    }

    let reader = app.token_with("acme", "read:customers");
    let mutation = app
        .gql_as(
            &reader,
            r#"mutation { createCustomer(input: { email: "bo@example.com" }) { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(mutation.code(), "FORBIDDEN");
    assert_eq!(
        app.count("acme").await,
        1,
        "a forbidden mutation changes nothing"
    );

    // A write's payload does not read past the scope: the customer's lists
    // need `read:customers`.
    let note = app
        .gql_as(
            &writer,
            "mutation($id: ID!) { addNote(customerId: $id, body: \"Called\") { id customer { email orders { totalCount } notes { totalCount } activity { totalCount } } } }",
            json!({ "id": id }),
        )
        .await;
    let customer = &note.data()["addNote"]["customer"];
    assert_eq!(customer["email"], "ana@example.com", "{}", note.body);
    let errors = note.body["errors"].as_array().unwrap();
    let mut refused: Vec<&str> = errors
        .iter()
        .map(|error| {
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
            error["path"][2].as_str().unwrap()
        })
        .collect();
    refused.sort_unstable();
    assert_eq!(refused, ["activity", "notes", "orders"]);
    for list in refused {
        assert!(customer.get(list).is_none_or(Value::is_null), "{customer}");
    }
}

async fn a_short_secret_stops_the_server(backend: Backend) {
    let db = crate::helpers::TestDb::new(backend).await;
    let args = crate::helpers::serve_args(&db, &["--jwt-secret", "too-short"]);
    let err = crm::app::Application::build(args)
        .await
        .err()
        .expect("a short secret must be refused");
    assert!(err.to_string().contains("at least 32"), "{err}");
}

backend_tests!(
    every_bad_token_is_one_identical_401,
    expiry_has_sixty_seconds_of_leeway,
    rs256_server_accepts_rs256_and_refuses_hs256,
    es256_server_accepts_es256,
    issuer_and_audience_are_required_when_configured,
    a_missing_scope_is_forbidden_on_that_field_only,
    a_short_secret_stops_the_server,
);
