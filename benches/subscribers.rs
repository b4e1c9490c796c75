//! Many concurrent subscribers on one server: its memory, and the latency
//! from `recordActivity` to delivery. Starts `crm serve` (release build) as
//! a child process, so its RSS is its own, opens the sockets from this
//! process, and prints a Markdown report.
//!
//! ```sh
//! cargo bench --bench subscribers -- --subscribers 10000 --events 50
//! ```
#![expect(clippy::unwrap_used, reason = "a benchmark stops at the first failure")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

#[derive(Parser)]
struct Args {
    /// The server's database (a fresh SQLite file by default).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Activities recorded while everyone listens.
    #[arg(long, default_value_t = 50)]
    events: usize,
    /// Open the sockets and acknowledge them, but subscribe to nothing
    /// (the cost of an idle socket).
    #[arg(long)]
    idle: bool,
    /// The server binary (by default the one this bench was built with).
    #[arg(long)]
    crm: Option<std::path::PathBuf>,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

/// CPU time a process has used, user and system, in clock ticks (1/100 s).
fn cpu_ticks(pid: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends with the last ')': the
    // 14th and 15th fields of the line (utime, stime) are the 12th and 13th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    (fields[11].parse().unwrap(), fields[12].parse().unwrap())
}

/// What one socket heard: each event's number and when it arrived.
type Heard = Arc<Mutex<Vec<(usize, Instant)>>>;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let database = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let crm = args
        .crm
        .clone()
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_crm").into());
    let mut server = std::process::Command::new(crm)
        .args([
            "serve",
            "--database-url",
            &database,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--jwt-secret",
            SECRET,
            "--log",
            "warn",
            // Each `subscribe` costs from the tenant's budget like a query;
            // 10,000 at once would be refused at the default one.
            "--rate-bucket",
            "1000000000",
            "--rate-restore",
            "1000000",
        ])
        .spawn()
        .unwrap();
    let pid = server.id();
    let http = format!("http://127.0.0.1:{port}/graphql");
    let client = reqwest::Client::new();
    let token = {
        let keys = crm::auth::Keys::hs256(SECRET.as_bytes(), None, None).unwrap();
        keys.mint(
            "bench",
            "bench",
            "read:customers write:customers",
            Duration::from_secs(3600),
        )
        .unwrap()
    };
    let gql = |query: &'static str, variables: Value| {
        let (client, http, token) = (client.clone(), http.clone(), token.clone());
        async move {
            let response: Value = client
                .post(&http)
                .bearer_auth(&token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(response.get("errors").is_none(), "{response}");
            response
        }
    };
    // Wait for the server.
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = gql(
        "mutation { createCustomer(input: { email: \"watched@bench.example\" }) { customer { id } } }",
        json!({}),
    )
    .await;
    let customer = created["data"]["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let idle_rss = rss_kib(pid);

    // The subscribers: each records when it heard each event, in a list of
    // its own (one shared list would make the client's threads contend).
    let mut heard_by_socket: Vec<Heard> = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(args.subscribers);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.subscribers {
        let heard = Arc::new(Mutex::new(Vec::with_capacity(args.events)));
        heard_by_socket.push(heard.clone());
        let (token, customer, ready) = (token.clone(), customer.clone(), ready_tx.clone());
        let idle = args.idle;
        let mut request = format!("ws://127.0.0.1:{port}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        // tungstenite zeroes its whole read buffer (128 KiB by default)
        // before each read; 1 KiB holds any message of this bench.
        let config = WebSocketConfig::default().read_buffer_size(1024);
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true)
                .await
                .unwrap();
        tasks.push(tokio::spawn(async move {
            let send = |v: Value| Message::Text(v.to_string().into());
            socket
                .send(send(
                    json!({ "type": "connection_init", "payload": { "authToken": token } }),
                ))
                .await
                .unwrap();
            socket.next().await.unwrap().unwrap();
            if idle {
                ready.send(()).await.unwrap();
                while let Some(Ok(_)) = socket.next().await {}
                return;
            }
            socket
                .send(send(json!({ "id": "1", "type": "subscribe", "payload": {
                    "query": "subscription($c: ID) { activityAdded(customerId: $c) { title } }",
                    "variables": { "c": customer } } })))
                .await
                .unwrap();
            ready.send(()).await.unwrap();
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let at = Instant::now();
                // A light client: find the event's number without parsing
                // the whole message, so the cores go to the server.
                let text = text.as_str();
                assert!(!text.contains(r#""type":"error""#), "refused: {text}");
                if let Some(start) = text.find(r#""title":"event "#) {
                    let rest = &text[start + 15..];
                    let n: usize = rest[..rest.find('"').unwrap()].parse().unwrap();
                    heard.lock().unwrap().push((n, at));
                }
            }
        }));
    }
    for _ in 0..args.subscribers {
        ready_rx.recv().await.unwrap();
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let subscribed_rss = rss_kib(pid);

    // The events, one every 200 ms.
    let server_pid = pid.to_string();
    let (server_cpu, client_cpu) = (cpu_ticks(&server_pid), cpu_ticks("self"));
    let mut sent = Vec::new();
    let mut peak_rss = subscribed_rss;
    for n in 0..args.events * usize::from(!args.idle) {
        sent.push(Instant::now());
        gql(
            "mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: CUSTOM, title: $t }) { id } }",
            json!({ "c": customer, "t": format!("event {n}") }),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak_rss = peak_rss.max(rss_kib(pid));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    peak_rss = peak_rss.max(rss_kib(pid));
    // CPU spent while the events were recorded and delivered, per event:
    // the server's, and this client's (both on the same cores).
    let per_event = |before: (u64, u64), after: (u64, u64)| {
        let ms = |ticks: u64| ticks as f64 * 10.0 / args.events.max(1) as f64;
        (ms(after.0 - before.0), ms(after.1 - before.1))
    };
    let server_cpu = per_event(server_cpu, cpu_ticks(&server_pid));
    let client_cpu = per_event(client_cpu, cpu_ticks("self"));

    let mut latencies: Vec<Duration> = heard_by_socket
        .iter()
        .flat_map(|heard| {
            let heard = heard.lock().unwrap();
            heard
                .iter()
                .map(|(n, at)| *at - sent[*n])
                .collect::<Vec<_>>()
        })
        .collect();
    latencies.sort();
    let expected = args.subscribers * args.events;
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!("| measure | result |\n|---|---|");
    println!(
        "| subscribers | {} (connected and subscribed in {connect_secs:.1} s) |",
        args.subscribers
    );
    println!(
        "| server RSS: idle / subscribed / peak while delivering | {} / {} / {} MiB |",
        idle_rss / 1024,
        subscribed_rss / 1024,
        peak_rss / 1024
    );
    println!("| deliveries | {} of {expected} |", latencies.len());
    println!(
        "| `recordActivity` → delivery | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms |",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
    if !args.idle {
        println!(
            "| CPU per event, user + system: server / this client | {:.1} + {:.1} ms / {:.1} + {:.1} ms |",
            server_cpu.0, server_cpu.1, client_cpu.0, client_cpu.1
        );
    }
    for task in tasks {
        task.abort();
    }
    server.kill().unwrap();
    let _ = server.wait();
}
