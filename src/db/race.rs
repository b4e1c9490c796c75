//! Writes that lose a race: a concurrent writer took a unique key first,
//! or PostgreSQL broke a deadlock or a serialization conflict by failing
//! this transaction. Run again, the write sees the winner's rows.

use std::future::Future;

use sea_orm::{DatabaseTransaction, DbErr, RuntimeErr, SqlErr};

use crate::error::{AppError, AppResult};

/// Why one attempt of a write stopped.
pub enum Attempt {
    /// It lost a race; another attempt may succeed.
    Race,
    Fail(AppError),
}

impl From<AppError> for Attempt {
    /// A database error a called function passed up as an [`AppError`]
    /// loses a race as it would have unwrapped.
    fn from(err: AppError) -> Self {
        match &err {
            AppError::Internal(inner) if inner.downcast_ref::<DbErr>().is_some_and(lost) => {
                Attempt::Race
            }
            _ => Attempt::Fail(err),
        }
    }
}

impl From<DbErr> for Attempt {
    fn from(err: DbErr) -> Self {
        if lost(&err) {
            Attempt::Race
        } else {
            Attempt::Fail(err.into())
        }
    }
}

/// Whether a statement failed because a concurrent writer won.
fn lost(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) || transient(err)
}

/// PostgreSQL's SQLSTATE for a deadlock broken (40P01) or a serialization
/// failure (40001).
fn transient(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) =
        err
    else {
        return false;
    };
    sqlx.as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// Runs `write` up to `attempts` times while it loses races; `lost` is the
/// error once the last one has lost too.
pub async fn retry_on_race<T, F, Fut>(
    attempts: usize,
    mut write: F,
    lost: impl FnOnce() -> AppError,
) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Attempt>>,
{
    for _ in 0..attempts {
        match write().await {
            Ok(done) => return Ok(done),
            Err(Attempt::Race) => continue,
            Err(Attempt::Fail(err)) => return Err(err),
        }
    }
    Err(lost())
}

/// Commits an attempt that succeeded, rolls back one that did not (so a
/// retry on SQLite does not wait for a write lock the loser still holds).
pub async fn settle<T>(txn: DatabaseTransaction, result: Result<T, Attempt>) -> Result<T, Attempt> {
    match result {
        Ok(done) => {
            txn.commit().await?;
            Ok(done)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}
