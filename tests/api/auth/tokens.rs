//! Bearer tokens: every bad one is one identical 401; expiry has sixty
//! seconds of leeway, and no token may live longer than `CRM_JWT_MAX_TTL`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

use super::{FIXTURES, claims, hs256, hs256_with_header, now, sign, status_and_body, unsigned};
use crate::helpers::{Backend, SECRET, spawn_app, spawn_app_with};

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

backend_tests!(
    every_bad_token_is_one_identical_401,
    expiry_has_sixty_seconds_of_leeway,
);
