//! Connecting to SQLite or PostgreSQL, migrations, readiness and write
//! transactions.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgSslMode;
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
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if !args.is_sqlite() {
        // Statements are prepared once per connection, and PostgreSQL's
        // own choice (`plan_cache_mode = auto`) plans each of the first
        // five executions with its values, then keeps a generic plan only
        // where that plan's estimate is no worse than theirs: lookups by
        // key stop paying for planning (most of their cost), while a plan
        // that depends on its values (a bound `LIMIT`, a search pattern)
        // goes on being made for them.
        // JIT compilation pays off for long analytical queries only; for a
        // segment count it adds tens of milliseconds of compiling.
        // Without a timeout of ours, the role's or server's own applies.
        let timeout = statement_timeout.map(|t| ("statement_timeout", t.as_millis()));
        let tls_asked = tls_asked(&args.database_url, std::env::var_os("PGSSLMODE").is_some());
        options.map_sqlx_postgres_opts(move |o| {
            let o = if !tls_asked && o.get_socket().is_none() && is_loopback(o.get_host()) {
                o.ssl_mode(PgSslMode::Disable)
            } else {
                o
            };
            o.options([("plan_cache_mode", "auto"), ("jit", "off")])
                .options(timeout)
        });
    }
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
    }
    let mut db = Database::connect(options).await?;
    let count = StatementCount::default();
    count_into(&mut db, &count);
    Ok((db, count))
}

/// Whether the database URL or `PGSSLMODE` says how to use TLS. Where
/// neither does, a connection to this machine (`localhost`, `127.0.0.1`,
/// `::1`) goes without TLS, which protects nothing there: the driver
/// leaves Nagle's algorithm on, so the last TLS record of a large statement
/// waited for the server's delayed acknowledgement (40 ms) before it left,
/// and a bulk load took 1.7 times as long. Connections to other hosts keep
/// the driver's default (`prefer`: TLS when the server offers it).
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

/// Refreshes the planner's statistics after a bulk load (PostgreSQL; SQLite
/// plans without them). Without it, a table that grew from nothing in one
/// session still looks empty to the planner, which then picks scans. When
/// another session is refreshing the same tables at that moment (two
/// import batches that finished together), this one leaves it to that one
/// and returns false: `ANALYZE` samples the whole table (a second here at a
/// million customers), whatever the tenant.
pub async fn analyze(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let txn = db.begin().await?;
    lift_statement_timeout(&txn).await?;
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(7270121, hashtext(coalesce(current_schema(), ''))) AS ours",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("pg_try_advisory_xact_lock".into()))?;
    let ours: bool = row.try_get("", "ours")?;
    if ours {
        txn.execute_unprepared("ANALYZE customers, customer_tags")
            .await?;
    }
    txn.commit().await?;
    Ok(ours)
}

/// How many of a tenant's customers PostgreSQL's planner expects (from
/// `EXPLAIN`); `None` on SQLite, which plans without statistics.
pub async fn planned_customers(
    db: &impl ConnectionTrait,
    tenant: &str,
) -> Result<Option<f64>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM customers WHERE tenant_id = $1",
            [tenant.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("EXPLAIN".into()))?;
    let plan: serde_json::Value = row.try_get_by_index(0)?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64())
}

/// On SQLite, moves the WAL's content into the database file and truncates
/// the WAL, so deleted text lingers in neither (freed space in the database
/// is zeroed by `secure_delete`): run after each erasure and every minute
/// by the worker, which covers a time readers kept it from finishing.
/// Nothing to do on PostgreSQL.
pub async fn scrub_free_space(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let checkpoint =
        sea_orm::Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(TRUNCATE)");
    match db.query_one_raw(checkpoint).await {
        Ok(Some(row)) if row.try_get_by_index::<i32>(0).unwrap_or(1) == 0 => {}
        Ok(_) => {
            tracing::warn!("the WAL could not be truncated now (readers); retried within a minute")
        }
        Err(err) => tracing::warn!(error = %err, "checkpointing the WAL failed"),
    }
}

/// What an insert does with a row whose unique key another row has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// The statement fails.
    Fail,
    /// The row is left out.
    Skip,
}

/// How many write transactions a bulk load keeps in flight: two on
/// PostgreSQL (one backend works on a batch while the next is prepared and
/// sent), one on SQLite, which has one writer (a second would only queue
/// for the write lock).
pub fn batches_in_flight(db: &impl ConnectionTrait) -> usize {
    match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    }
}

/// Inserts rows in statements of at most `per_statement` rows.
///
/// On PostgreSQL the rows travel as one JSON text parameter that
/// `json_populate_recordset` turns into the table's rows: the statement's
/// text is the same whatever the number of rows, so it is parsed and planned
/// once a connection, where a multi-row `VALUES` of 26,000 parameters costs
/// more to bind and plan than the rows cost to insert (and `json` reads
/// faster than `jsonb`, which would build a tree only to take it apart).
/// SQLite takes multi-row `VALUES`.
pub async fn insert_rows<E>(
    db: &impl ConnectionTrait,
    rows: &[E::Model],
    per_statement: usize,
    taken: Taken,
) -> Result<(), DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    use sea_orm::sea_query::OnConflict;
    if db.get_database_backend() != DbBackend::Postgres {
        for chunk in rows.chunks(per_statement) {
            let mut insert = E::insert_many(active_models::<E>(chunk));
            if taken == Taken::Skip {
                insert = insert.on_conflict(OnConflict::new().do_nothing().to_owned());
            }
            insert.exec_without_returning(db).await?;
        }
        return Ok(());
    }
    let insert = JsonInsert::<E>::new();
    let sql = insert.sql(taken, None);
    for chunk in rows.chunks(per_statement) {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql.as_str(),
            [insert.rows(chunk)?.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Inserts the rows whose unique keys are all free, leaving out the others
/// (so running a deterministic load again adds nothing), and returns the
/// `key` column of each row written, as text.
pub async fn insert_new_rows<E>(
    db: &impl ConnectionTrait,
    rows: &[E::Model],
    per_statement: usize,
    key: E::Column,
) -> Result<Vec<String>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    use sea_orm::ModelTrait as _;
    use sea_orm::sea_query::OnConflict;
    let mut written = Vec::with_capacity(rows.len());
    if db.get_database_backend() != DbBackend::Postgres {
        for chunk in rows.chunks(per_statement) {
            let models = E::insert_many(active_models::<E>(chunk))
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_with_returning(db)
                .await?;
            for model in models {
                written.push(text(model.get(key))?);
            }
        }
        return Ok(written);
    }
    let insert = JsonInsert::<E>::new();
    let sql = insert.sql(Taken::Skip, Some(key));
    for chunk in rows.chunks(per_statement) {
        let returned = db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql.as_str(),
                [insert.rows(chunk)?.into()],
            ))
            .await?;
        for row in returned {
            written.push(row.try_get_by_index::<String>(0)?);
        }
    }
    Ok(written)
}

/// A text column's value.
fn text(value: sea_orm::Value) -> Result<String, DbErr> {
    match value {
        sea_orm::Value::String(Some(text)) => Ok(text.to_string()),
        other => Err(DbErr::Type(format!(
            "a text key was expected, not {other:?}"
        ))),
    }
}

/// Rows as active models with every column set, for `insert_many`.
fn active_models<E>(rows: &[E::Model]) -> impl Iterator<Item = E::ActiveModel> + '_
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
{
    use sea_orm::{ActiveModelTrait as _, IntoActiveModel as _};
    rows.iter()
        .cloned()
        .map(|row| row.into_active_model().reset_all())
}

/// A table's rows as one JSON array for `json_populate_recordset`, and the
/// statement that reads it.
struct JsonInsert<E: sea_orm::EntityTrait> {
    columns: Vec<(E::Column, String)>,
}

impl<E: sea_orm::EntityTrait> JsonInsert<E> {
    fn new() -> Self {
        use sea_orm::Iterable as _;
        use sea_orm::sea_query::Iden as _;
        Self {
            columns: E::Column::iter().map(|c| (c, c.to_string())).collect(),
        }
    }

    fn sql(&self, taken: Taken, returning: Option<E::Column>) -> String {
        use sea_orm::sea_query::Iden as _;
        let table = E::default().table_name().to_owned();
        let names = self
            .columns
            .iter()
            .map(|(_, name)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "INSERT INTO \"{table}\" ({names}) SELECT {names} FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
        );
        if taken == Taken::Skip {
            sql.push_str(" ON CONFLICT DO NOTHING");
        }
        if let Some(key) = returning {
            sql.push_str(&format!(" RETURNING \"{}\"::text", key.to_string()));
        }
        sql
    }

    /// The rows as JSON text, written straight from their values (no
    /// JSON tree in between).
    fn rows(&self, rows: &[E::Model]) -> Result<String, DbErr> {
        serde_json::to_string(&JsonRows::<E> {
            columns: &self.columns,
            rows,
        })
        .map_err(|err| DbErr::Json(err.to_string()))
    }
}

struct JsonRows<'a, E: sea_orm::EntityTrait> {
    columns: &'a [(E::Column, String)],
    rows: &'a [E::Model],
}

impl<E: sea_orm::EntityTrait> serde::Serialize for JsonRows<'_, E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use sea_orm::ModelTrait as _;
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        struct Record<'a, E: sea_orm::EntityTrait>(&'a [(E::Column, String)], &'a E::Model);
        impl<E: sea_orm::EntityTrait> serde::Serialize for Record<'_, E> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut record = serializer.serialize_map(Some(self.0.len()))?;
                for (column, name) in self.0 {
                    record.serialize_entry(name, &JsonValue(self.1.get(*column)))?;
                }
                record.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&Record::<E>(self.columns, row))?;
        }
        seq.end()
    }
}

/// A column's value as PostgreSQL reads it from JSON: times in RFC 3339
/// with microseconds (what both backends store).
struct JsonValue(sea_orm::Value);

impl serde::Serialize for JsonValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use sea_orm::Value;
        match &self.0 {
            Value::String(Some(text)) => serializer.serialize_str(text),
            Value::BigInt(Some(n)) => serializer.serialize_i64(*n),
            Value::Int(Some(n)) => serializer.serialize_i32(*n),
            Value::Json(Some(json)) => json.serialize(serializer),
            Value::ChronoDateTimeUtc(Some(at)) => {
                serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }
            other => {
                sea_orm::sea_query::value::sea_value_to_json_value(other).serialize(serializer)
            }
        }
    }
}

/// Takes `cost` from a tenant's shared cost budget (`rate_buckets`, on
/// PostgreSQL) in one atomic statement: first restores what `restore` per
/// second has refilled since the last request, up to `bucket`, then takes
/// the cost when it is all there. Returns what is left and whether it was
/// taken. The database's clock measures the refill, so every instance
/// agrees.
pub async fn take_from_bucket(
    db: &DatabaseConnection,
    tenant: &str,
    bucket: f64,
    restore: f64,
    cost: f64,
) -> Result<(f64, bool), DbErr> {
    const UPSERT: &str = r#"
        INSERT INTO rate_buckets AS b (tenant_id, available, granted, updated_at)
        VALUES ($1, GREATEST($2 - $4, 0), $4 <= $2, now())
        ON CONFLICT (tenant_id) DO UPDATE SET
            available = CASE
                WHEN LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) >= $4
                THEN LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) - $4
                ELSE LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at))
            END,
            granted = LEAST($2, b.available + $3 * EXTRACT(EPOCH FROM now() - b.updated_at)) >= $4,
            updated_at = now()
        RETURNING available, granted"#;
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            UPSERT,
            [tenant.into(), bucket.into(), restore.into(), cost.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("rate_buckets".into()))?;
    Ok((row.try_get("", "available")?, row.try_get("", "granted")?))
}

/// Folds each key's delta rows of `customer_counts` into one
/// (PostgreSQL; see the migration that made the table). Returns how many
/// keys were folded; 0 when another server was folding at the time.
pub async fn fold_customer_counts(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT customer_counts_fold() AS folded",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("customer_counts_fold".into()))?;
    row.try_get("", "folded")
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
