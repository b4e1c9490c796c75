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
        match &backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/crm.db?mode=rwc", dir.path().display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    schema: None,
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
