//! `CustomerFilter.text` and `CustomerFilter.metadataPaths`: comparisons
//! of a customer's text fields and of any path of its metadata, with one
//! meaning on both backends (the one segment rules always had):
//! - `NAME` compares ignoring case and accents, `EMAIL` ignoring case,
//!   `COUNTRY` and `CURRENCY` as upper-case codes, other text exactly;
//! - `contains` and `startsWith` take `%` and `_` literally;
//! - a comparison with a missing value (no city, no such metadata key) is
//!   false; `exists: false` asks for one.

use async_graphql::{Enum, InputObject, Json};
use entity::customer;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};
use sea_orm::{Condition, DbBackend};
use serde_json::Value;

use super::checks::country;
use super::json_path::JsonPath;
use super::row::fold;
use crate::error::{AppResult, bad_input};

/// Most characters of a compared text.
const MAX_TEXT: usize = 255;
/// Most values of an `in` list.
const MAX_LIST: usize = 100;

/// A text field of the customer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum TextField {
    /// The display name, compared ignoring case and accents.
    Name,
    /// The primary email, compared ignoring case.
    Email,
    /// Where the customer came from, exactly.
    Source,
    /// The address's city, exactly.
    City,
    /// The address's ISO 3166-1 alpha-2 country.
    Country,
    /// The preferred locale (`de-DE`), exactly.
    Locale,
    /// The ISO 4217 currency, as an upper-case code.
    Currency,
}

impl TextField {
    fn column(self) -> customer::Column {
        use customer::Column as C;
        match self {
            TextField::Name => C::SortName,
            TextField::Email => C::Email,
            TextField::Source => C::Source,
            TextField::City => C::City,
            TextField::Country => C::Country,
            TextField::Locale => C::Locale,
            TextField::Currency => C::Currency,
        }
    }

    /// `value` as the column holds it; errors name `at`.
    fn term(self, at: &str, value: &str) -> AppResult<String> {
        if value.is_empty() || value.chars().count() > MAX_TEXT {
            return Err(bad_input(
                at,
                format!("a text of 1 to {MAX_TEXT} characters"),
            ));
        }
        Ok(match self {
            TextField::Name => fold(value),
            TextField::Email => value.to_lowercase(),
            TextField::Currency => value.to_ascii_uppercase(),
            TextField::Country => country(at, value)?
                .ok_or_else(|| bad_input(at, "an ISO 3166-1 alpha-2 country code"))?,
            TextField::Source | TextField::City | TextField::Locale => value.to_owned(),
        })
    }
}

/// A condition on one text field of the customer; all given parts must
/// hold.
#[derive(InputObject, Clone, Debug)]
pub struct TextCondition {
    /// The field compared.
    pub field: TextField,
    /// The value is this one.
    pub equals: Option<String>,
    /// The value is one of these (1–100).
    #[graphql(name = "in")]
    pub one_of: Option<Vec<String>>,
    /// The value holds this text.
    pub contains: Option<String>,
    /// The value begins with this text.
    pub starts_with: Option<String>,
    /// Has a value (`true`) or has none (`false`).
    pub exists: Option<bool>,
}

impl TextCondition {
    /// A condition on `field` with no part given yet.
    pub fn on(field: TextField) -> Self {
        TextCondition {
            field,
            equals: None,
            one_of: None,
            contains: None,
            starts_with: None,
            exists: None,
        }
    }

    /// Whether any comparison is given.
    pub(super) fn compares(&self) -> bool {
        self.equals.is_some()
            || self.one_of.is_some()
            || self.contains.is_some()
            || self.starts_with.is_some()
            || self.exists.is_some()
    }

    /// The condition; errors name the part at `path`.
    pub(super) fn condition(&self, path: &str, backend: DbBackend) -> AppResult<Condition> {
        let subject = || Expr::col((customer::Entity, self.field.column()));
        let mut cond = Condition::all();
        if let Some(value) = &self.equals {
            cond = cond.add(subject().eq(self.field.term(&format!("{path}.equals"), value)?));
        }
        if let Some(values) = &self.one_of {
            let at = format!("{path}.in");
            let terms = list(&at, values, |i, v| {
                self.field.term(&format!("{at}[{i}]"), v)
            })?;
            cond = cond.add(subject().is_in(terms));
        }
        if let Some(value) = &self.contains {
            let term = self.field.term(&format!("{path}.contains"), value)?;
            cond = cond.add(contains(subject(), term, backend));
        }
        if let Some(value) = &self.starts_with {
            let term = self.field.term(&format!("{path}.startsWith"), value)?;
            cond = cond.add(starts_with(subject(), term));
        }
        if let Some(exists) = self.exists {
            cond = cond.add(if exists {
                subject().is_not_null()
            } else {
                subject().is_null()
            });
        }
        Ok(cond)
    }
}

/// A condition on one path of the customer's metadata (defined or not);
/// all given parts must hold.
#[derive(InputObject, Clone, Debug)]
pub struct MetadataPathCondition {
    /// The keys from the top, dot-separated (`plan` or `plan.tier`): up to
    /// 5, each of letters, digits, `_` and `-`, not all digits.
    pub path: String,
    /// The value is this text, number or boolean.
    pub equals: Option<Json<Value>>,
    /// The value is one of these (1–100).
    #[graphql(name = "in")]
    pub one_of: Option<Vec<Json<Value>>>,
    /// Greater than this number, or after this text (dates written as
    /// text compare in their text's order).
    pub gt: Option<Json<Value>>,
    /// Greater than or equal.
    pub gte: Option<Json<Value>>,
    /// Less than this number, or before this text.
    pub lt: Option<Json<Value>>,
    /// Less than or equal.
    pub lte: Option<Json<Value>>,
    /// A text value holds this text, or a list holds it as an item.
    pub contains: Option<String>,
    /// A text value begins with this text.
    pub starts_with: Option<String>,
    /// Has a value other than `null` (`true`) or has none (`false`).
    pub exists: Option<bool>,
}

impl MetadataPathCondition {
    /// A condition on `path` with no part given yet.
    pub fn at(path: String) -> Self {
        MetadataPathCondition {
            path,
            equals: None,
            one_of: None,
            gt: None,
            gte: None,
            lt: None,
            lte: None,
            contains: None,
            starts_with: None,
            exists: None,
        }
    }

    /// Whether any comparison is given.
    pub(super) fn compares(&self) -> bool {
        [&self.equals, &self.gt, &self.gte, &self.lt, &self.lte]
            .iter()
            .any(|v| v.is_some())
            || self.one_of.is_some()
            || self.contains.is_some()
            || self.starts_with.is_some()
            || self.exists.is_some()
    }

    /// The condition; errors name the part at `path`.
    pub(super) fn condition(&self, path: &str, backend: DbBackend) -> AppResult<Condition> {
        let keys = JsonPath::keys(&self.path).ok_or_else(|| {
            bad_input(
                format!("{path}.path"),
                "up to 5 dot-separated keys of letters, digits, _ and -, not all digits",
            )
        })?;
        let json = JsonPath {
            path: &keys,
            backend,
        };
        let mut cond = Condition::all();
        if let Some(Json(value)) = &self.equals {
            cond = cond.add(equals(&json, &format!("{path}.equals"), value)?);
        }
        if let Some(values) = &self.one_of {
            let at = format!("{path}.in");
            let tests = list(&at, values, |i, Json(v)| {
                equals(&json, &format!("{at}[{i}]"), v)
            })?;
            cond = cond.add(tests.into_iter().fold(Condition::any(), Condition::add));
        }
        let bounds = [
            ("gt", &self.gt),
            ("gte", &self.gte),
            ("lt", &self.lt),
            ("lte", &self.lte),
        ];
        for (op, bound) in bounds {
            let Some(Json(value)) = bound else {
                continue;
            };
            let at = format!("{path}.{op}");
            let (subject, value): (Expr, sea_orm::Value) = match value {
                Value::Number(n) => (
                    json.number(),
                    n.as_f64().ok_or_else(|| bad_input(&at, "a number"))?.into(),
                ),
                Value::String(s) => (json.string(), text(&at, s)?.into()),
                _ => return Err(bad_input(at, "a number, or a text such as a date")),
            };
            cond = cond.add(match op {
                "gt" => subject.gt(value),
                "gte" => subject.gte(value),
                "lt" => subject.lt(value),
                _ => subject.lte(value),
            });
        }
        if let Some(value) = &self.contains {
            let term = text(&format!("{path}.contains"), value)?;
            cond = cond.add(contains(json.string(), term.clone(), backend).or(json.holds(&term)));
        }
        if let Some(value) = &self.starts_with {
            let term = text(&format!("{path}.startsWith"), value)?;
            cond = cond.add(starts_with(json.string(), term));
        }
        if let Some(exists) = self.exists {
            let set = json.type_of().is_not_null().and(json.type_of().ne("null"));
            cond = cond.add(if exists {
                set
            } else {
                Expr::expr(Func::coalesce([set, Expr::val(false)])).not()
            });
        }
        Ok(cond)
    }
}

/// `value` as a compared text; errors name `at`.
fn text(at: &str, value: &str) -> AppResult<String> {
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(bad_input(
            at,
            format!("a text of 1 to {MAX_TEXT} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Each of 1–[`MAX_LIST`] values read by `read`.
fn list<T, U>(
    at: &str,
    values: &[T],
    read: impl Fn(usize, &T) -> AppResult<U>,
) -> AppResult<Vec<U>> {
    if values.is_empty() || values.len() > MAX_LIST {
        return Err(bad_input(at, format!("1 to {MAX_LIST} values")));
    }
    values.iter().enumerate().map(|(i, v)| read(i, v)).collect()
}

/// The metadata value equals a text, a number or a boolean.
fn equals(json: &JsonPath, at: &str, value: &Value) -> AppResult<Expr> {
    Ok(match value {
        Value::Bool(b) => json.is_bool(*b),
        Value::String(s) => json.string().eq(text(at, s)?),
        Value::Number(n) => json
            .number()
            .eq(n.as_f64().ok_or_else(|| bad_input(at, "a number"))?),
        _ => return Err(bad_input(at, "a text, a number or a boolean")),
    })
}

/// A literal substring test (`LIKE` would read `%` and `_`).
fn contains(subject: Expr, needle: String, backend: DbBackend) -> Expr {
    let position = if backend == DbBackend::Postgres {
        "strpos"
    } else {
        "instr"
    };
    Expr::from(Func::cust(position).arg(subject).arg(needle)).gt(0)
}

/// A literal prefix test.
fn starts_with(subject: Expr, prefix: String) -> Expr {
    let n = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    // `substr(text, int4, int4)` on PostgreSQL.
    Expr::from(Func::cust("substr").arg(subject).arg(1i32).arg(n)).eq(prefix)
}
