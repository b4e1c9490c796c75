//! Connecting to SQLite or PostgreSQL, migrations, readiness and write
//! transactions; the requests' reads, bulk inserts, planner statistics and
//! writes that lost a race in their own files.

mod bulk;
mod locks;
mod maintenance;
mod race;
mod reads;

pub use bulk::{Taken, batches_in_flight, insert_new_rows, insert_rows};
pub use locks::{TenantWork, try_lock_tenant};
pub use maintenance::{Analyzed, analyze, planned_customers, planned_match_keys, scrub_free_space};
pub use race::{Attempt, retry_on_race, settle};
pub use reads::Reads;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseArgs;

/// Opens the pool. SQLite runs in WAL mode with `synchronous=FULL` (no
/// acknowledged write is lost even on power loss), foreign keys on,
/// `secure_delete` on (erased data leaves no trace in free pages) and a
/// 10 s busy timeout (the request timeout's default: a writer queued behind
/// others waits as long as its request may run).
pub async fn connect(args: &DatabaseArgs) -> anyhow::Result<DatabaseConnection> {
    Ok(connect_counted(args, None).await?.0)
}

/// A request's hold on the statements it runs: a request cut off at its
/// time limit is cancelled, and SQLite interrupts any statement of it still
/// running at its next progress check (PostgreSQL's `statement_timeout`
/// stops them there), so its connection is free again at once.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

tokio::task_local! {
    /// The request the running task works for.
    static WORKING_FOR: Arc<Cancel>;
}

/// Runs `work` for the request `cancel` belongs to: the statements it runs
/// are interrupted once the request is cancelled.
pub async fn working_for<F: Future>(cancel: Arc<Cancel>, work: F) -> F::Output {
    WORKING_FOR.scope(cancel, work).await
}

/// `work`, for the request the caller works for (if any): for the tasks a
/// request spawns, such as its loaders' batches.
pub fn for_same_request<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let cancel = WORKING_FOR.try_with(Arc::clone).ok();
    async move {
        match cancel {
            Some(cancel) => WORKING_FOR.scope(cancel, work).await,
            None => work.await,
        }
    }
}

/// How many SQLite virtual machine steps pass between checks of a
/// statement's request (a few microseconds' worth).
const PROGRESS_STEPS: i32 = 1000;

/// Arms a SQLite connection for whoever takes it: the statements of a
/// request are interrupted once it is cancelled; others run unwatched.
async fn watch(
    conn: &mut sea_orm::sqlx::sqlite::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    let cancel = WORKING_FOR.try_with(Arc::clone).ok();
    let mut handle = conn.lock_handle().await?;
    match cancel {
        Some(cancel) => handle.set_progress_handler(PROGRESS_STEPS, move || !cancel.cancelled()),
        None => handle.remove_progress_handler(),
    }
    Ok(())
}

/// How many SQL statements a pool has run, and how many of them wrote (or
/// locked rows to write them).
#[derive(Clone, Debug, Default)]
pub struct StatementCount(Arc<[AtomicU64; 2]>);

impl StatementCount {
    pub fn get(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed)
    }

    pub fn writes(&self) -> u64 {
        self.0[1].load(Ordering::Relaxed)
    }

    fn count(&self, sql: &str) {
        self.0[0].fetch_add(1, Ordering::Relaxed);
        if writes(sql) {
            self.0[1].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts the statements of another pool into `count` as well.
pub fn count_into(db: &mut DatabaseConnection, count: &StatementCount) {
    let counter = count.clone();
    db.set_metric_callback(move |info| counter.count(&info.statement.sql));
}

/// Whether a statement writes: it begins with a writing verb, or locks the
/// rows it reads.
fn writes(sql: &str) -> bool {
    let verb = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE"]
        .iter()
        .any(|w| verb.eq_ignore_ascii_case(w))
        || sql.contains(" FOR UPDATE")
        || sql.contains(" FOR NO KEY UPDATE")
}

/// [`connect`], counting the statements the pool runs. On PostgreSQL,
/// `statement_timeout` bounds every statement of the pool's connections:
/// a request cut off by its timeout leaves its statement running in the
/// database (the connection waits for it), so the database must stop it.
/// Work that may take longer lifts it in its own transaction
/// ([`lift_statement_timeout`]).
pub async fn connect_counted(
    args: &DatabaseArgs,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<(DatabaseConnection, StatementCount)> {
    let mut options = ConnectOptions::new(args.database_url.clone());
    // A connection is tested (pinged) only after it sat idle: testing it
    // on every acquire cost a round trip per statement.
    options
        .max_connections(args.pool_size())
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire_if_idle_for(IDLE_BEFORE_TEST)
        .sqlx_logging(false);
    if args.is_sqlite() {
        options
            .map_sqlx_sqlite_before_acquire(|conn, _| {
                Box::pin(async move { watch(conn).await.map(|()| true) })
            })
            .map_sqlx_sqlite_pool_opts(|pool| pool.after_connect(|conn, _| Box::pin(watch(conn))));
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("secure_delete", "on")
        });
    } else {
        options.map_sqlx_postgres_opts(pg_options(&args.database_url, statement_timeout));
    }
    let mut db = Database::connect(options).await?;
    let count = StatementCount::default();
    count_into(&mut db, &count);
    Ok((db, count))
}

/// How a PostgreSQL connection is set up, for the main pool and the reads'.
fn pg_options(
    database_url: &str,
    statement_timeout: Option<Duration>,
) -> impl Fn(PgConnectOptions) -> PgConnectOptions + Send + Sync + 'static {
    // Statements are prepared once per connection, and PostgreSQL's
    // own choice (`plan_cache_mode = auto`) plans each of the first
    // five executions with its values, then keeps a generic plan only
    // where that plan's estimate is no worse than theirs: lookups by
    // key stop paying for planning (most of their cost), while a plan
    // that depends on its values (a bound `LIMIT`, a search pattern)
    // goes on being made for them.
    // JIT compilation pays off for long analytical queries only; a
    // segment count would spend longer compiling than running.
    // Without a timeout of ours, the role's or server's own applies.
    let timeout = statement_timeout.map(|t| ("statement_timeout", t.as_millis()));
    let tls_asked = tls_asked(database_url, std::env::var_os("PGSSLMODE").is_some());
    move |o| {
        let o = if !tls_asked && o.get_socket().is_none() && is_loopback(o.get_host()) {
            o.ssl_mode(PgSslMode::Disable)
        } else {
            o
        };
        o.options([("plan_cache_mode", "auto"), ("jit", "off")])
            .options(timeout)
    }
}

/// Whether the database URL or `PGSSLMODE` says how to use TLS. Where
/// neither does, a connection to this machine (a loopback address) goes
/// without TLS, which protects nothing there and costs much: the driver
/// leaves Nagle's algorithm on, so the last TLS record of a large statement
/// waits for the server's delayed acknowledgement before it leaves.
/// Connections to other hosts keep the driver's default (`prefer`: TLS
/// when the server offers it).
fn tls_asked(url: &str, pgsslmode: bool) -> bool {
    pgsslmode || url.contains("sslmode=") || url.contains("ssl-mode=")
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Applies pending migrations. On PostgreSQL, servers starting together
/// take turns (an advisory lock held for the migration transaction).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    lift_statement_timeout(&txn).await?;
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(7270120)")
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Lets the statements of `txn` run as long as they need (on PostgreSQL;
/// SQLite has no statement timeout): migrations, and background work over
/// a whole tenant.
pub async fn lift_statement_timeout(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    Ok(())
}

/// How long a statement waits for a pooled connection before its request
/// is answered 503 (`SERVICE_UNAVAILABLE`): all connections busy, or the
/// database out of reach.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle this long is tested before it is used again.
const IDLE_BEFORE_TEST: Duration = Duration::from_secs(30);

/// True when the database answers within two seconds and every migration
/// is applied.
pub async fn ready(db: &DatabaseConnection) -> bool {
    let check = async {
        db.ping().await.is_ok()
            && Migrator::get_pending_migrations(db)
                .await
                .is_ok_and(|pending| pending.is_empty())
    };
    tokio::time::timeout(Duration::from_secs(2), check)
        .await
        .unwrap_or(false)
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`), so a read-then-write never fails with
/// `SQLITE_BUSY_SNAPSHOT`; concurrent writers wait on the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(txn)
}

/// The current time, truncated to microseconds: what both backends store,
/// so a value read back compares equal to the value written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_write_are_told_from_reads() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "  update t SET a = 1",
            "DELETE FROM t",
            r#"SELECT "t"."id" FROM "t" WHERE "t"."id" = $1 FOR UPDATE"#,
            r#"SELECT "t"."id" FROM "t" WHERE "t"."id" = $1 FOR NO KEY UPDATE"#,
        ] {
            assert!(writes(sql), "{sql}");
        }
        for sql in [
            r#"SELECT "t"."updated_at" FROM "t""#,
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert!(!writes(sql), "{sql}");
        }
    }

    #[test]
    fn only_this_machine_goes_without_tls_and_only_unless_asked() {
        for host in ["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "db.example.com",
            "10.0.0.5",
            "192.168.1.2",
            "::2",
            "localhost.example",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
        assert!(!tls_asked("postgres://u@127.0.0.1:5432/crm", false));
        assert!(tls_asked(
            "postgres://u@127.0.0.1:5432/crm?sslmode=require",
            false
        ));
        assert!(tls_asked(
            "postgres://u@127.0.0.1/crm?ssl-mode=verify-full",
            false
        ));
        assert!(tls_asked("postgres://u@127.0.0.1:5432/crm", true));
    }
}
