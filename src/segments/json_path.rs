//! A path into a customer's `metadata`, read in SQL the same way on both
//! backends: its JSON type, and its value as text or as a number.

use entity::customer;
use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func};

/// A `metadata` path's JSON type, text and number, per backend.
pub(super) struct JsonPath<'a> {
    pub(super) path: &'a [String],
    pub(super) backend: DbBackend,
}

impl JsonPath<'_> {
    fn call(&self, function: &str) -> Expr {
        let mut call = Func::cust(function.to_owned());
        call = call.arg(Expr::col((customer::Entity, customer::Column::Metadata)));
        if self.backend == DbBackend::Postgres {
            for key in self.path {
                call = call.arg(key.clone());
            }
        } else {
            let path: String = self.path.iter().map(|k| format!(".\"{k}\"")).collect();
            call = call.arg(format!("${path}"));
        }
        call.into()
    }

    /// `string`, `number`, `boolean`, `null`, `object`, `array` on
    /// PostgreSQL; `text`, `integer`, `real`, `true`, `false`, `null`,
    /// `object`, `array` on SQLite; NULL when the key is absent.
    pub(super) fn type_of(&self) -> Expr {
        if self.backend == DbBackend::Postgres {
            Expr::from(Func::cust("jsonb_typeof").arg(self.call("jsonb_extract_path")))
        } else {
            self.call("json_type")
        }
    }

    pub(super) fn is_string(&self) -> Expr {
        let name = if self.backend == DbBackend::Postgres {
            "string"
        } else {
            "text"
        };
        self.type_of().eq(name)
    }

    pub(super) fn is_number(&self) -> Expr {
        if self.backend == DbBackend::Postgres {
            self.type_of().eq("number")
        } else {
            self.type_of().is_in(["integer", "real"])
        }
    }

    /// The value when it is a string, else NULL.
    pub(super) fn string(&self) -> Expr {
        let raw = if self.backend == DbBackend::Postgres {
            self.call("jsonb_extract_path_text")
        } else {
            self.call("json_extract")
        };
        Expr::case(self.is_string(), raw).into()
    }

    /// The value when it is a number, else NULL.
    pub(super) fn number(&self) -> Expr {
        let raw: Expr = if self.backend == DbBackend::Postgres {
            Func::cast_as(
                self.call("jsonb_extract_path_text"),
                Alias::new("DOUBLE PRECISION"),
            )
            .into()
        } else {
            self.call("json_extract")
        };
        Expr::case(self.is_number(), raw).into()
    }

    pub(super) fn is_bool(&self, b: bool) -> Expr {
        if self.backend == DbBackend::Postgres {
            self.type_of()
                .eq("boolean")
                .and(self.call("jsonb_extract_path_text").eq(b.to_string()))
        } else {
            self.type_of().eq(b.to_string())
        }
    }
}
