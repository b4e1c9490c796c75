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
                TestDb { url, _dir: None }
            }
        }
    }

    /// A path next to the SQLite file (for files the server writes there).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }
}
