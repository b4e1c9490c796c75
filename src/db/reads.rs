//! Where a request's reads run: the statements of its loaders, of the pages
//! and records it builds ahead, outside any transaction.
//!
//! On PostgreSQL they run on a pool of their own. The main pool (sqlx's)
//! tests every connection handed back to it with a round trip to
//! PostgreSQL, because a statement cut off mid-way (its request timed out
//! or went away) leaves the connection with a reply unread: a round trip
//! per statement, for both PostgreSQL and this server, on the path of
//! every read. This pool tests a connection only when a statement on it
//! did not finish, or when it sat idle; a statement that ran to its end
//! leaves its connection ready for the next. On SQLite there is nothing to
//! save (no round trip, and the main pool's connections are the ones
//! armed for cancellation), and reads run on the main pool.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, PoolError, RecycleError, RecycleResult};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _, Executor as _};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

use super::{ACQUIRE_TIMEOUT, IDLE_BEFORE_TEST, StatementCount, pg_options};
use crate::config::DatabaseArgs;

/// The request's connection for reads: cheap to clone, shared by its
/// loaders.
#[derive(Clone, Debug)]
pub enum Reads {
    /// The main pool: on SQLite, and for sessions outside a request (a
    /// job's export, a subscription shared by several sockets).
    Main(DatabaseConnection),
    /// A pool of its own: a request's reads on PostgreSQL.
    Own(Arc<OwnPool>),
}

impl Reads {
    /// The reads of an instance whose main pool is `db`, opened with
    /// `args` (its size is the main pool's); their statements are counted
    /// into `count`.
    pub fn open(
        args: &DatabaseArgs,
        db: &DatabaseConnection,
        statement_timeout: Option<Duration>,
        count: &StatementCount,
    ) -> anyhow::Result<Reads> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Reads::Main(db.clone()));
        }
        let options = pg_options(&args.database_url, statement_timeout)(
            PgConnectOptions::from_str(&args.database_url)?,
        )
        .disable_statement_logging();
        let pool = managed::Pool::builder(Connector { options })
            .max_size(args.pool_size() as usize)
            .wait_timeout(Some(ACQUIRE_TIMEOUT))
            .create_timeout(Some(ACQUIRE_TIMEOUT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Reads::Own(Arc::new(OwnPool {
            pool,
            count: count.clone(),
        })))
    }
}

/// PostgreSQL connections for reads, and the count their statements go to.
pub struct OwnPool {
    pool: managed::Pool<Connector>,
    count: StatementCount,
}

impl std::fmt::Debug for OwnPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnPool")
            .field("status", &self.pool.status())
            .finish()
    }
}

/// A connection, and whether a statement on it was cut off before its end.
struct Held {
    conn: PgConnection,
    cut_off: bool,
}

/// Opens and tests the pool's connections.
struct Connector {
    options: PgConnectOptions,
}

impl managed::Manager for Connector {
    type Type = Held;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Held, sqlx::Error> {
        let conn = PgConnection::connect_with(&self.options).await?;
        Ok(Held {
            conn,
            cut_off: false,
        })
    }

    /// A connection whose last statement was cut off is read up to the
    /// end of that statement's reply; one that sat idle is checked still
    /// open. A connection that fails either is dropped for a new one.
    async fn recycle(&self, held: &mut Held, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if held.cut_off || metrics.last_used() >= IDLE_BEFORE_TEST {
            held.conn.ping().await.map_err(RecycleError::Backend)?;
            held.cut_off = false;
        }
        Ok(())
    }
}

impl OwnPool {
    async fn take(&self) -> Result<managed::Object<Connector>, DbErr> {
        self.pool.get().await.map_err(|err| match err {
            PoolError::Timeout(_) => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            PoolError::Backend(err) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))),
            other => DbErr::Custom(other.to_string()),
        })
    }
}

/// `stmt` as sqlx runs it: prepared once per connection, as the main
/// pool's statements are.
fn query(stmt: &Statement) -> Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

fn query_err(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
}

fn exec_err(err: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
}

/// Runs `$run` on a connection of `$own` (counting `$sql`), marking the connection cut off
/// until `$run` has finished: a future dropped mid-statement leaves the
/// mark, and the connection is tested before its next use.
macro_rules! on_own {
    ($own:expr, $sql:expr, |$conn:ident| $run:expr) => {{
        $own.count.count($sql);
        let mut held = $own.take().await?;
        held.cut_off = true;
        let $conn = &mut held.conn;
        let result = $run.await;
        held.cut_off = result.is_err();
        result
    }};
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reads::Main(db) => db.get_database_backend(),
            Reads::Own(_) => DbBackend::Postgres,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Main(db) => db.execute_raw(stmt).await,
            Reads::Own(own) => on_own!(own, &stmt.sql, |conn| query(&stmt).execute(conn))
                .map(ExecResult::from)
                .map_err(exec_err),
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Main(db) => db.execute_unprepared(sql).await,
            Reads::Own(own) => on_own!(own, sql, |conn| conn
                .execute(sqlx::AssertSqlSafe(sql.to_owned())))
            .map(ExecResult::from)
            .map_err(exec_err),
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Main(db) => db.query_one_raw(stmt).await,
            Reads::Own(own) => on_own!(own, &stmt.sql, |conn| query(&stmt).fetch_optional(conn))
                .map(|row| row.map(QueryResult::from))
                .map_err(query_err),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reads::Main(db) => db.query_all_raw(stmt).await,
            Reads::Own(own) => on_own!(own, &stmt.sql, |conn| query(&stmt).fetch_all(conn))
                .map(|rows| rows.into_iter().map(QueryResult::from).collect())
                .map_err(query_err),
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Reads::Main(db) => db.support_returning(),
            Reads::Own(_) => true,
        }
    }
}
