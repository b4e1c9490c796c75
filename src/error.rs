//! One error type with stable codes, converted to GraphQL errors at exactly
//! one place.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql has a
//! blanket `From<T: Display>` that would swallow the code, so `?` in a
//! resolver must go through [`From<AppError> for async_graphql::Error`].
//! Internal errors are logged here and reach the client only as a generic
//! message.

use async_graphql::ErrorExtensions;

/// The `extensions.code` values of the API contract.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    /// The database cannot be reached for now (HTTP 503 with
    /// `Retry-After`): nothing was done, and the request may be retried.
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

    /// Every code an error may carry.
    pub const ALL: [&str; 10] = [
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        BAD_USER_INPUT,
        CONFLICT,
        RATE_LIMITED,
        QUERY_TOO_COMPLEX,
        QUERY_TOO_DEEP,
        INTERNAL_SERVER_ERROR,
        SERVICE_UNAVAILABLE,
    ];
}

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    Forbidden {
        scope: &'static str,
    },
    /// `FORBIDDEN`: the tenant's shared setup, which a credential confined
    /// to a location cannot change.
    Confined,
    NotFound {
        kind: &'static str,
    },
    BadUserInput {
        field: String,
        message: String,
    },
    Conflict {
        field: String,
        message: String,
    },
    /// `BAD_USER_INPUT` in a text query, at a character
    /// (`extensions.position`, from 0).
    BadQuery {
        field: String,
        message: String,
        position: usize,
    },
    /// `CONFLICT`: what stands in the way of the change, by name
    /// (`extensions.blockers`).
    Blocked {
        field: String,
        message: String,
        blockers: Vec<&'static str>,
    },
    /// The database is out of reach (restarting, refusing connections, or
    /// every pooled connection busy past the wait).
    Unavailable(anyhow::Error),
    Internal(anyhow::Error),
}

/// `NOT_FOUND` for a kind of object (`"customer"`).
pub fn not_found(kind: &'static str) -> AppError {
    AppError::NotFound { kind }
}

/// `BAD_USER_INPUT` naming the input path (`input.email`).
pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> AppError {
    AppError::BadUserInput {
        field: field.into(),
        message: message.into(),
    }
}

/// `CONFLICT` naming the input path that collides.
pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => code::UNAUTHENTICATED,
            AppError::Forbidden { .. } | AppError::Confined => code::FORBIDDEN,
            AppError::NotFound { .. } => code::NOT_FOUND,
            AppError::BadUserInput { .. } | AppError::BadQuery { .. } => code::BAD_USER_INPUT,
            AppError::Conflict { .. } | AppError::Blocked { .. } => code::CONFLICT,
            AppError::Unavailable(_) => code::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => code::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to clients: never SQL, never internals.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => "authentication required".into(),
            AppError::Forbidden { scope } => format!("this field requires the scope {scope}"),
            AppError::Confined => {
                "a credential confined to a location cannot change the tenant's setup".into()
            }
            AppError::NotFound { kind } => format!("{kind} not found"),
            AppError::BadUserInput { message, .. }
            | AppError::BadQuery { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::Blocked { message, .. } => message.clone(),
            AppError::Unavailable(_) => "the database is unavailable for now; retry shortly".into(),
            AppError::Internal(_) => "internal server error".into(),
        }
    }
}

impl AppError {
    /// For the command line, where the whole cause may be shown.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            AppError::Internal(inner) | AppError::Unavailable(inner) => inner,
            AppError::BadQuery { position, .. } => anyhow::anyhow!(
                "{}: {} (at character {position}, from 0)",
                self.code(),
                self.message()
            ),
            other => anyhow::anyhow!("{}: {}", other.code(), other.message()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if out_of_reach(&err) {
            AppError::Unavailable(err.into())
        } else {
            AppError::Internal(err.into())
        }
    }
}

/// Whether an error says the database could not be reached, rather than
/// that a statement failed: no connection came free, the connection broke,
/// or the server is shutting down, starting or out of connections
/// (PostgreSQL's classes 08 and 57P, and 53300).
fn out_of_reach(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_) => true,
        Sqlx::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300"),
        _ => false,
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        match &err {
            AppError::Internal(inner) => tracing::error!(error = ?inner, "internal error"),
            AppError::Unavailable(inner) => {
                tracing::warn!(error = ?inner, "the database is out of reach");
            }
            _ => {}
        }
        let code = err.code();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                AppError::BadUserInput { field, .. } | AppError::Conflict { field, .. } => {
                    ext.set("field", field.as_str())
                }
                AppError::Blocked {
                    field, blockers, ..
                } => {
                    ext.set("field", field.as_str());
                    ext.set("blockers", blockers.clone());
                }
                AppError::BadQuery {
                    field, position, ..
                } => {
                    ext.set("field", field.as_str());
                    ext.set("position", *position as u64);
                }
                AppError::Forbidden { scope } => ext.set("scope", *scope),
                _ => {}
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: AppError) -> serde_json::Value {
        let gql: async_graphql::Error = err.into();
        serde_json::to_value(gql.extensions).unwrap_or_default()
    }

    #[test]
    fn every_variant_carries_its_code() {
        let cases = [
            (AppError::Unauthenticated, code::UNAUTHENTICATED),
            (
                AppError::Forbidden {
                    scope: "read:customers",
                },
                code::FORBIDDEN,
            ),
            (not_found("customer"), code::NOT_FOUND),
            (bad_input("input.email", "bad"), code::BAD_USER_INPUT),
            (conflict("input.email", "taken"), code::CONFLICT),
            (
                AppError::Internal(anyhow::anyhow!("SELECT secret")),
                code::INTERNAL_SERVER_ERROR,
            ),
            (
                sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout).into(),
                code::SERVICE_UNAVAILABLE,
            ),
            (
                sea_orm::DbErr::Custom("no such row".into()).into(),
                code::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (err, expected) in cases {
            assert_eq!(extensions(err)["code"], expected);
        }
    }

    #[test]
    fn input_errors_name_the_field() {
        let ext = extensions(bad_input("input.phone", "bad phone"));
        assert_eq!(ext["field"], "input.phone");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let gql: async_graphql::Error = AppError::Internal(anyhow::anyhow!("SELECT secret")).into();
        assert!(!gql.message.contains("SELECT"));
    }
}
