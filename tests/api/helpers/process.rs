//! The `crm` binary as a process: `crm serve` on a port of its own (a
//! client for it, and waits until it answers or logs a line), and the other
//! commands against a test's database.

use std::time::Duration;

use crm::auth::Keys;

use super::{SECRET, TestApp, TestDb, serve_args};

impl TestApp {
    /// A client of a server this test runs some other way (a `crm serve`
    /// process at `url`) on `db`. The process's state is out of reach: an
    /// application built on the same database (never run) stands in.
    pub async fn client_for(url: &str, db: TestDb) -> TestApp {
        let args = serve_args(&db, &["--jwt-secret", SECRET, "--worker", "false"]);
        let idle = crm::app::Application::build(args).await.unwrap();
        TestApp {
            url: url.to_owned(),
            client: reqwest::Client::new(),
            db: std::sync::Arc::new(db),
            app: idle.app(),
            keys: Keys::hs256(SECRET.as_bytes(), None, None).unwrap(),
        }
    }
}

/// `crm serve` as a process (the test secret, debug logs into `log`).
pub fn serve_process(
    db: &TestDb,
    port: u16,
    extra: &[&str],
    log: &std::path::Path,
) -> std::process::Child {
    use std::process::{Command, Stdio};
    Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(["serve", "--database-url", &db.url, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--jwt-secret", SECRET])
        .args(extra)
        .env("CRM_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::from(std::fs::File::create(log).unwrap()))
        .stderr(Stdio::from(
            std::fs::OpenOptions::new().append(true).open(log).unwrap(),
        ))
        .spawn()
        .unwrap()
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `url` answers `/healthz`.
pub async fn until_healthy(client: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never came up");
}

/// Waits until the log a `serve_process` writes holds `needle` (it logs at
/// debug level, each line inside its request's and operation's spans).
pub async fn until_logged(log: &std::path::Path, needle: &str) {
    for _ in 0..500 {
        if std::fs::read_to_string(log).is_ok_and(|text| text.contains(needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{needle:?} never appeared in {}", log.display());
}

/// The `crm` binary, without the variables a developer's shell may set
/// for it.
pub fn crm() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_crm"));
    for var in [
        "CRM_JWT_SECRET",
        "CRM_JWT_ALGORITHM",
        "CRM_JWT_PUBLIC_KEY",
        "CRM_JWT_ISSUER",
        "CRM_JWT_AUDIENCE",
        "DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs `crm` against the app's database.
pub fn crm_on(app: &TestApp, args: &[&str]) -> std::process::Output {
    let output = crm()
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "crm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
