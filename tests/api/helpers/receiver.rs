//! A webhook receiver on a local port: answers each POST with the next
//! status of its script (the last one repeats), and keeps what it got.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub signature: String,
    pub body: String,
    pub json: serde_json::Value,
}

#[derive(Clone)]
struct Shared {
    script: Arc<Vec<u16>>,
    got: Arc<Mutex<Vec<Received>>>,
}

pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(script: &[u16]) -> Receiver {
        let shared = Shared {
            script: Arc::new(script.to_vec()),
            got: Arc::new(Mutex::new(Vec::new())),
        };
        let got = shared.got.clone();
        let router = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests came (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let until = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < until,
                "the receiver got {} requests, not {n}: {got:#?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let body = String::from_utf8(body.to_vec()).unwrap();
    let status = record(&shared, &headers, body);
    if status == 0 {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    StatusCode::from_u16(status.max(200)).unwrap()
}

fn record(shared: &Shared, headers: &HeaderMap, body: String) -> u16 {
    let mut got = shared.got.lock().unwrap();
    let status = shared
        .script
        .get(got.len())
        .or(shared.script.last())
        .copied()
        .unwrap_or(200);
    got.push(Received {
        at: Instant::now(),
        signature: headers
            .get("crm-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        json: serde_json::from_str(&body).unwrap_or_default(),
        body,
    });
    status
}

/// A receiver's check of `Crm-Signature`, written from the contract
/// (API.md §10) as a receiver would: `t=<unix>,v1=<hex HMAC-SHA256 of
/// "t.body">`, compared in constant time, `t` within 300 s of now.
pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value.to_owned()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > 300 {
        return false;
    }
    signatures.iter().any(|sig| {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        mac.verify_slice(&sig).is_ok()
    })
}
