//! Crash safety: a server killed with SIGKILL while writes are under way
//! keeps every write it acknowledged, and none half-written, ten times in a
//! row on each backend (`CRM_CRASH_ROUNDS` for longer runs: see
//! `bench/crash.sh`); and a PostgreSQL restart under load is survived.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::helpers::{Backend, TestApp, TestDb, free_port, serve_process, until_healthy};

/// Requests acknowledged with their data: what must survive.
#[derive(Default)]
struct Acknowledged {
    /// Customer id by email.
    customers: HashMap<String, String>,
    /// (customer id, external id) of each recorded order.
    orders: BTreeSet<(String, String)>,
    /// Note ids.
    notes: BTreeSet<String>,
    /// Customers added to the segment.
    members: BTreeSet<String>,
    /// How many requests were acknowledged.
    count: usize,
}

/// The tags a customer is created with, read back from its email.
fn tags_of(email: &str) -> Vec<String> {
    let parts: Vec<&str> = email.split(['-', '@']).collect();
    let mut tags = vec![
        format!("round-{}", parts[1]),
        format!("writer-{}", parts[2]),
    ];
    tags.sort();
    tags
}

/// POSTs one operation; its data when the server acknowledged it.
async fn acknowledged(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Option<Value> {
    let response = client
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .ok()?;
    let body: Value = response.json().await.ok()?;
    match body.get("errors") {
        None => Some(body["data"].clone()),
        Some(_) => None,
    }
}

/// One writer: customers with tags, each with an order, a note and a place
/// in the segment, until the server goes away.
async fn write_until_killed(
    app: Arc<(reqwest::Client, String, String)>,
    round: usize,
    writer: usize,
    segment: String,
    acked: Arc<Mutex<Acknowledged>>,
    progress: watch::Sender<usize>,
) {
    let (client, url, token) = (&app.0, app.1.as_str(), app.2.as_str());
    let ack = |f: &dyn Fn(&mut Acknowledged)| {
        let mut acked = acked.lock().unwrap();
        f(&mut acked);
        acked.count += 1;
        progress.send_replace(acked.count);
    };
    for i in 0.. {
        let email = format!("c-{round}-{writer}-{i}@crash.example");
        let Some(created) = acknowledged(
            client,
            url,
            token,
            "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }",
            json!({ "i": { "email": email, "tags": tags_of(&email) } }),
        )
        .await
        else {
            return;
        };
        let id = created["createCustomer"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ack(&|a| {
            a.customers.insert(email.clone(), id.clone());
        });
        let external = format!("o-{round}-{writer}-{i}");
        let order =
            "mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id } }";
        if acknowledged(client, url, token, order, json!({ "c": id, "i": { "externalId": external, "amount": "12.50", "currency": "EUR" } })).await.is_none() {
            return;
        }
        ack(&|a| {
            a.orders.insert((id.clone(), external.clone()));
        });
        let Some(note) = acknowledged(
            client,
            url,
            token,
            "mutation($c: ID!) { addNote(customerId: $c, body: \"called\") { id } }",
            json!({ "c": id }),
        )
        .await
        else {
            return;
        };
        let note = note["addNote"]["id"].as_str().unwrap().to_owned();
        ack(&|a| {
            a.notes.insert(note.clone());
        });
        let member =
            "mutation($s: ID!, $c: [ID!]!) { addSegmentMembers(id: $s, customerIds: $c) { id } }";
        if acknowledged(
            client,
            url,
            token,
            member,
            json!({ "s": segment, "c": [id] }),
        )
        .await
        .is_none()
        {
            return;
        }
        ack(&|a| {
            a.members.insert(id.clone());
        });
    }
}

const EVERYTHING: &str = "query($after: String) { customers(first: 100, after: $after) {
    nodes { id email tags totalOrders totalSpent segments { id }
      orders(first: 100) { nodes { externalId amount status } }
      notes(first: 100) { nodes { id } }
      activity(first: 100, types: [ORDER, NOTE]) { nodes { type } } }
    pageInfo { hasNextPage endCursor } } }";

async fn acknowledged_writes_survive_sigkill_ten_times(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let options = [
        "--worker",
        "false",
        "--max-cost",
        "100000000",
        "--rate-bucket",
        "1e12",
        "--rate-restore",
        "1e12",
    ];
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut segment = None;
    let rounds: usize = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    for round in 0..rounds {
        let mut server = serve_process(
            &app.db,
            port,
            &options,
            &dir.path().join(format!("serve-{round}.log")),
        );
        until_healthy(&app.client, &url).await;
        let segment = match &segment {
            Some(id) => id,
            None => {
                let created = app
                    .gql("acme", "mutation { createSegment(input: { name: \"Called\", type: STATIC }) { id } }", json!({}))
                    .await
                    .ok();
                segment.insert(created["createSegment"]["id"].as_str().unwrap().to_owned())
            }
        };
        let shared = Arc::new((app.client.clone(), url.clone(), app.token("acme")));
        let (progress, mut watched) = watch::channel(acked.lock().unwrap().count);
        let start = *watched.borrow();
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                tokio::spawn(write_until_killed(
                    shared.clone(),
                    round,
                    writer,
                    segment.clone(),
                    acked.clone(),
                    progress.clone(),
                ))
            })
            .collect();
        // Killed once forty more writes were acknowledged, others in flight.
        watched
            .wait_for(|count| *count >= start + 40)
            .await
            .unwrap();
        server.kill().unwrap();
        server.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
    }

    let mut server = serve_process(&app.db, port, &options, &dir.path().join("serve-last.log"));
    until_healthy(&app.client, &url).await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let mut customers: HashMap<String, Value> = HashMap::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql("acme", EVERYTHING, json!({ "after": after }))
            .await
            .ok();
        for node in page["customers"]["nodes"].as_array().unwrap() {
            customers.insert(node["email"].as_str().unwrap().to_owned(), node.clone());
        }
        if page["customers"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["customers"]["pageInfo"]["endCursor"].clone();
    }
    let members: BTreeSet<String> = customers
        .values()
        .filter(|c| {
            c["segments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == json!(segment))
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();

    // Every acknowledged write is there.
    for (email, id) in &acked.customers {
        let found = &customers
            .get(email)
            .unwrap_or_else(|| panic!("{email} lost"));
        assert_eq!(found["id"], json!(id));
    }
    let orders: BTreeSet<(String, String)> = customers
        .values()
        .flat_map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            c["orders"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |o| (id.clone(), o["externalId"].as_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        acked.orders.is_subset(&orders),
        "an acknowledged order was lost"
    );
    let notes: BTreeSet<String> = customers
        .values()
        .flat_map(|c| {
            c["notes"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        acked.notes.is_subset(&notes),
        "an acknowledged note was lost"
    );
    assert!(
        acked.members.is_subset(&members),
        "an acknowledged member was lost"
    );
    assert!(
        acked.count >= 40 * rounds,
        "{} writes acknowledged",
        acked.count
    );
    eprintln!(
        "{}: {rounds} kills, {} writes acknowledged ({} customers, {} orders, {} notes, {} members), \
         all found among {} customers, {} orders, {} notes, {} members",
        app.db.url.split(':').next().unwrap_or_default(),
        acked.count,
        acked.customers.len(),
        acked.orders.len(),
        acked.notes.len(),
        acked.members.len(),
        customers.len(),
        orders.len(),
        notes.len(),
        members.len()
    );

    // Nothing is half-written: every customer has the tags it was created
    // with, totals that add up its orders, a timeline entry for each order
    // and note.
    for (email, customer) in &customers {
        assert_eq!(customer["tags"], json!(tags_of(email)), "{email}");
        let orders = customer["orders"]["nodes"].as_array().unwrap();
        assert_eq!(customer["totalOrders"], orders.len(), "{email}");
        let cents = orders.len() * 1250;
        assert_eq!(
            customer["totalSpent"],
            format!("{}.{:02}", cents / 100, cents % 100),
            "{email}"
        );
        let timeline = customer["activity"]["nodes"].as_array().unwrap();
        let notes = customer["notes"]["nodes"].as_array().unwrap().len();
        assert_eq!(
            timeline.iter().filter(|a| a["type"] == "ORDER").count(),
            orders.len(),
            "{email}"
        );
        assert_eq!(
            timeline.iter().filter(|a| a["type"] == "NOTE").count(),
            notes,
            "{email}"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

backend_tests!(acknowledged_writes_survive_sigkill_ten_times);

/// A private PostgreSQL cluster the test may stop and start.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bin: std::path::PathBuf,
}

impl Cluster {
    /// `pg_ctl` and the others, as the `postgres` user when run as root.
    fn run(&self, program: &str, args: &[&str]) {
        let command = std::iter::once(self.bin.join(program).display().to_string())
            .chain(args.iter().map(|a| format!("'{a}'")))
            .collect::<Vec<_>>()
            .join(" ");
        let status = if is_root() {
            std::process::Command::new("su")
                .args(["postgres", "-c", &command])
                .status()
        } else {
            std::process::Command::new("sh")
                .args(["-c", &command])
                .status()
        }
        .unwrap();
        assert!(status.success(), "{command}");
    }

    fn new() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .flatten()
                    .map(|v| v.path().join("bin"))
                    .find(|b| b.join("initdb").exists())
            })
            .expect("PostgreSQL's server programs (initdb, pg_ctl) under /usr/lib/postgresql");
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            std::process::Command::new("chown")
                .args(["-R", "postgres:postgres", &dir.path().display().to_string()])
                .status()
                .unwrap();
        }
        let cluster = Cluster {
            dir,
            port: free_port(),
            bin,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &format!("{}/log", self.dir.path().display()),
                "-w",
                "start",
            ],
        );
    }

    /// Stops at once, as a crash would (the next start recovers from WAL).
    fn stop_now(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("su")
            .args([
                "postgres",
                "-c",
                &format!(
                    "{} -D {} -m immediate stop",
                    self.bin.join("pg_ctl").display(),
                    self.data()
                ),
            ])
            .status();
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A PostgreSQL restart under load: requests fail with a coded 503 during
/// the outage and `/readyz` says so; the server comes back by itself, and
/// no acknowledged write is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_is_survived() {
    if Backend::postgres().is_none() {
        return;
    }
    let cluster = Cluster::new();
    let db = TestDb::new(Backend::Postgres(cluster.url())).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let mut server = serve_process(
        &app.db,
        port,
        &[
            "--worker",
            "false",
            "--rate-bucket",
            "1e12",
            "--rate-restore",
            "1e12",
        ],
        &dir.path().join("serve.log"),
    );
    until_healthy(&app.client, &url).await;
    let segment = app
        .gql(
            "acme",
            "mutation { createSegment(input: { name: \"Called\", type: STATIC }) { id } }",
            json!({}),
        )
        .await
        .ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.token("acme");
    let probe = |query: &'static str| {
        let (client, url, token) = (app.client.clone(), url.clone(), token.clone());
        async move {
            let response = client
                .post(format!("{url}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry = response.headers().get("retry-after").is_some();
            (status, retry, response.json::<Value>().await.unwrap())
        }
    };
    let ready = || {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            client
                .get(format!("{url}/readyz"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let shared = Arc::new((app.client.clone(), url.clone(), token.clone()));
    let (progress, mut watched) = watch::channel(0);
    let writer = |round| {
        tokio::spawn(write_until_killed(
            shared.clone(),
            round,
            0,
            segment.clone(),
            acked.clone(),
            progress.clone(),
        ))
    };
    let first = writer(0);
    watched.wait_for(|n| *n >= 20).await.unwrap();
    cluster.stop_now();
    first.await.unwrap();

    // During the outage: a coded 503 with Retry-After, and /readyz says so.
    let (status, retry, body) = probe("{ customerCount }").await;
    assert_eq!((status, retry), (503, true), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body}"
    );
    assert_eq!(ready().await, 503);

    // PostgreSQL comes back: so does the server, by itself.
    cluster.start();
    let mut back = false;
    for _ in 0..100 {
        if ready().await == 200 && probe("{ customerCount }").await.0 == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(back, "the server did not recover");
    let before = *watched.borrow();
    let second = writer(1);
    watched.wait_for(|n| *n >= before + 20).await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    second.await.unwrap();

    let mut server = serve_process(
        &app.db,
        port,
        &[
            "--worker",
            "false",
            "--max-cost",
            "100000000",
            "--rate-bucket",
            "1e12",
            "--rate-restore",
            "1e12",
        ],
        &dir.path().join("serve-last.log"),
    );
    until_healthy(&app.client, &url).await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let page = app
        .gql("acme", EVERYTHING, json!({ "after": null }))
        .await
        .ok();
    let emails: BTreeSet<&str> = page["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["email"].as_str().unwrap())
        .collect();
    for email in acked.customers.keys() {
        assert!(emails.contains(email.as_str()), "{email} lost");
    }
    for (email, customer) in page["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["email"].as_str().unwrap(), n))
    {
        assert_eq!(customer["tags"], json!(tags_of(email)), "{email}");
        let orders = customer["orders"]["nodes"].as_array().unwrap().len();
        assert_eq!(customer["totalOrders"], orders, "{email}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
