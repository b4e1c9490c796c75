//! Keys and claims as configured: an RS256 or ES256 server accepts its own
//! algorithm only, issuer and audience are required when set, and a short
//! secret stops the server.

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::{FIXTURES, claims, hs256, sign, status_and_body};
use crate::helpers::{Backend, SECRET, spawn_app_with};

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
    rs256_server_accepts_rs256_and_refuses_hs256,
    es256_server_accepts_es256,
    issuer_and_audience_are_required_when_configured,
    a_short_secret_stops_the_server,
);
