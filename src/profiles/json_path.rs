//! A path into a customer's `metadata`, read in SQL the same way on both
//! backends: its JSON type, and its value as text or as a number.

use entity::customer;
use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func};

/// A `metadata` path's JSON type, text and number, per backend.
pub struct JsonPath<'a> {
    pub path: &'a [String],
    pub backend: DbBackend,
}

/// Most keys of a path.
const MAX_PATH: usize = 5;

impl JsonPath<'_> {
    /// The keys of a dot-separated path (`plan.tier`): up to 5, each of
    /// 1–64 letters, digits, `_` and `-`. An all-digit key would index an
    /// array on PostgreSQL but name an object key on SQLite: refused on
    /// both.
    pub fn keys(raw: &str) -> Option<Vec<String>> {
        let keys: Vec<String> = raw.split('.').map(str::to_owned).collect();
        let plain = |k: &String| {
            (1..=64).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && !k.bytes().all(|b| b.is_ascii_digit())
        };
        (keys.len() <= MAX_PATH && keys.iter().all(plain)).then_some(keys)
    }

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
    pub fn type_of(&self) -> Expr {
        if self.backend == DbBackend::Postgres {
            Expr::from(Func::cust("jsonb_typeof").arg(self.call("jsonb_extract_path")))
        } else {
            self.call("json_type")
        }
    }

    pub fn is_string(&self) -> Expr {
        let name = if self.backend == DbBackend::Postgres {
            "string"
        } else {
            "text"
        };
        self.type_of().eq(name)
    }

    pub fn is_number(&self) -> Expr {
        if self.backend == DbBackend::Postgres {
            self.type_of().eq("number")
        } else {
            self.type_of().is_in(["integer", "real"])
        }
    }

    /// The value when it is a string, else NULL.
    pub fn string(&self) -> Expr {
        let raw = if self.backend == DbBackend::Postgres {
            self.call("jsonb_extract_path_text")
        } else {
            self.call("json_extract")
        };
        Expr::case(self.is_string(), raw).into()
    }

    /// The value when it is a number, else NULL.
    pub fn number(&self) -> Expr {
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

    pub fn is_bool(&self, b: bool) -> Expr {
        if self.backend == DbBackend::Postgres {
            self.type_of()
                .eq("boolean")
                .and(self.call("jsonb_extract_path_text").eq(b.to_string()))
        } else {
            self.type_of().eq(b.to_string())
        }
    }

    /// The value is a list holding the string `item` (a multi-select's
    /// option).
    pub fn holds(&self, item: &str) -> Expr {
        if self.backend == DbBackend::Postgres {
            let list = serde_json::Value::from(vec![item]).to_string();
            Expr::cust_with_exprs(
                "$1 @> CAST($2 AS jsonb)",
                [self.call("jsonb_extract_path"), Expr::val(list)],
            )
        } else {
            let path: String = self.path.iter().map(|k| format!(".\"{k}\"")).collect();
            Expr::cust_with_exprs(
                "EXISTS (SELECT 1 FROM json_each(?, ?) WHERE json_each.value = ?)",
                [
                    Expr::col((customer::Entity, customer::Column::Metadata)),
                    Expr::val(format!("${path}")),
                    Expr::val(item.to_owned()),
                ],
            )
        }
    }
}
