//! A PostgreSQL restart under load, on a private cluster: requests fail
//! with a coded 503 while it is down and `/readyz` says so, the server
//! comes back by itself, and no acknowledged write is lost.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::watch;

use super::workload::{Acknowledged, EVERYTHING, tags_of, write_until_killed};
use crate::helpers::{Backend, TestApp, TestDb, free_port, serve_process, until_healthy};

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
