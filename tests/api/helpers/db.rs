//! A fresh database per test: a SQLite file in a temporary directory, or a
//! new schema in the PostgreSQL database of `CRM_TEST_DATABASE_URL`.

use sea_orm::{ConnectionTrait, Database};

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `CRM_TEST_DATABASE_URL` is set. Under CI its absence
    /// is a failure, so the PostgreSQL suite can never skip silently.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("CRM_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ if std::env::var_os("CI").is_some() => {
                panic!(
                    "CI is set but CRM_TEST_DATABASE_URL is not: the PostgreSQL tests cannot run"
                )
            }
            _ => {
                eprintln!("CRM_TEST_DATABASE_URL is not set: skipping a PostgreSQL test");
                None
            }
        }
    }
}

pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL base URL and the test's schema, dropped with the test.
    schema: Option<(String, String)>,
    /// The test's turn on the machine ([`TestDb::alone`]).
    _turn: Turn,
}

/// Tests share the machine, except those that measure latency, which run
/// alone: the others' servers and seeding processes would be their noise.
/// A shared turn is taken at once unless a lone test is running (a test
/// may hold several databases, so waiting behind a lone test that waits
/// for it would deadlock); a lone test waits until no other test runs.
struct Turn {
    alone: bool,
}

struct Machine {
    shared: usize,
    alone: bool,
}

static MACHINE: std::sync::Mutex<Machine> = std::sync::Mutex::new(Machine {
    shared: 0,
    alone: false,
});
static TURN_ENDED: tokio::sync::Notify = tokio::sync::Notify::const_new();

fn machine() -> std::sync::MutexGuard<'static, Machine> {
    MACHINE.lock().unwrap_or_else(|e| e.into_inner())
}

impl Turn {
    async fn take(alone: bool) -> Turn {
        loop {
            let ended = TURN_ENDED.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            {
                let mut machine = machine();
                if alone && machine.shared == 0 && !machine.alone {
                    machine.alone = true;
                    return Turn { alone };
                }
                if !alone && !machine.alone {
                    machine.shared += 1;
                    return Turn { alone };
                }
            }
            ended.await;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        {
            let mut machine = machine();
            if self.alone {
                machine.alone = false;
            } else {
                machine.shared -= 1;
            }
        }
        TURN_ENDED.notify_waiters();
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.schema.take() else {
            return;
        };
        // Drop is synchronous; the schema goes on a short-lived runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                if let Ok(db) = Database::connect(base.as_str()).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .await;
                    let _ = db.close().await;
                }
            });
            Ok::<_, std::io::Error>(())
        })
        .join();
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        Self::with_turn(backend, Turn::take(false).await).await
    }

    /// A database for a test that runs with no other test beside it: it
    /// waits for the running ones to end, and the next ones wait for it.
    pub async fn alone(backend: Backend) -> TestDb {
        Self::with_turn(backend, Turn::take(true).await).await
    }

    async fn with_turn(backend: Backend, turn: Turn) -> TestDb {
        match &backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/crm.db?mode=rwc", dir.path().display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    schema: None,
                    _turn: turn,
                }
            }
            Backend::Postgres(base) => {
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(base.as_str()).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                TestDb {
                    url,
                    _dir: None,
                    schema: Some((base.clone(), schema)),
                    _turn: turn,
                }
            }
        }
    }

    /// A direct connection, for arranging state no API writes yet.
    pub async fn connect(&self) -> sea_orm::DatabaseConnection {
        Database::connect(self.url.as_str()).await.unwrap()
    }

    /// The test's PostgreSQL schema.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_ref().map(|(_, schema)| schema.as_str())
    }

    /// A path next to the SQLite file (for files the server writes there).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }
}
