//! Defined fields in SQL: `CustomerFilter.customFields` (equality, lists,
//! ranges, presence) and `CustomerSort.fieldKey`, each read through the
//! value's JSON type so that a value written before its definition never
//! breaks a query (it matches nothing and sorts with the customers
//! without a value).

use std::borrow::Cow;

use async_graphql::{InputObject, Json};
use entity::custom_field::{self, FieldType};
use entity::customer;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{Condition, DbBackend};
use serde_json::Value;

use super::Fields;
use super::value::{check, type_name};
use crate::error::{AppResult, bad_input};
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, SortKey};
use crate::profiles::json_path::JsonPath;

/// Most values of an `in` list.
const MAX_LIST: usize = 100;

/// A condition on one defined custom field; all given parts must hold.
#[derive(InputObject, Clone, Debug)]
pub struct CustomFieldFilter {
    /// The field's key.
    pub key: String,
    /// The value is this one (a multi-select: holds this option).
    pub equals: Option<Json<Value>>,
    /// The value is one of these (a multi-select: holds one of them).
    #[graphql(name = "in")]
    pub one_of: Option<Vec<Json<Value>>>,
    /// Greater than (NUMBER, DECIMAL, DATE, DATETIME).
    pub gt: Option<Json<Value>>,
    /// Greater than or equal.
    pub gte: Option<Json<Value>>,
    /// Less than.
    pub lt: Option<Json<Value>>,
    /// Less than or equal.
    pub lte: Option<Json<Value>>,
    /// Has a value (`true`) or has none (`false`).
    pub exists: Option<bool>,
}

/// How SQL reads a type's values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    Number,
    Text,
    Boolean,
    Options,
}

fn read_of(kind: FieldType) -> Read {
    match kind {
        FieldType::Number | FieldType::Decimal => Read::Number,
        FieldType::Boolean => Read::Boolean,
        FieldType::MultiSelect => Read::Options,
        FieldType::Text
        | FieldType::Date
        | FieldType::Datetime
        | FieldType::SingleSelect
        | FieldType::Url
        | FieldType::Email => Read::Text,
    }
}

impl CustomFieldFilter {
    /// The condition; `field` names this filter in errors
    /// (`filter.customFields[0]`).
    pub fn condition(
        &self,
        field: &str,
        fields: &Fields,
        backend: DbBackend,
    ) -> AppResult<Condition> {
        let definition = fields.require(&format!("{field}.key"), &self.key)?;
        let path = [self.key.clone()];
        let json = JsonPath {
            path: &path,
            backend,
        };
        let read = read_of(definition.field_type);
        let mut cond = Condition::all();
        let operand = |name: &str, v: &Json<Value>| -> AppResult<Value> {
            check(&format!("{field}.{name}"), definition, v.0.clone())?
                .ok_or_else(|| bad_input(format!("{field}.{name}"), "a value is needed"))
        };
        if let Some(v) = &self.equals {
            cond = cond.add(equals(&json, read, &operand("equals", v)?));
        }
        if let Some(list) = &self.one_of {
            if list.len() > MAX_LIST {
                return Err(bad_input(
                    format!("{field}.in"),
                    format!("at most {MAX_LIST} values"),
                ));
            }
            let mut any = Condition::any();
            for v in list {
                any = any.add(equals(&json, read, &operand("in", v)?));
            }
            cond = cond.add(if list.is_empty() {
                Condition::all().add(Expr::val(false))
            } else {
                any
            });
        }
        let ranges = [
            ("gt", &self.gt),
            ("gte", &self.gte),
            ("lt", &self.lt),
            ("lte", &self.lte),
        ];
        for (name, bound) in ranges {
            let Some(bound) = bound else { continue };
            let ordered = matches!(
                definition.field_type,
                FieldType::Number | FieldType::Decimal | FieldType::Date | FieldType::Datetime
            );
            if !ordered {
                return Err(bad_input(
                    format!("{field}.{name}"),
                    format!("a {} field has no ranges", type_name(definition.field_type)),
                ));
            }
            let (value, bound) = match operand(name, bound)? {
                Value::Number(n) => (json.number(), Expr::val(n.as_f64().unwrap_or_default())),
                Value::String(s) => (json.string(), Expr::val(s)),
                _ => unreachable!("ordered types are numbers or strings"),
            };
            cond = cond.add(match name {
                "gt" => value.gt(bound),
                "gte" => value.gte(bound),
                "lt" => value.lt(bound),
                _ => value.lte(bound),
            });
        }
        if let Some(exists) = self.exists {
            let set = has_value(&json, read);
            cond = cond.add(if exists { set } else { set.not() });
        }
        Ok(cond)
    }
}

/// The customer has a value of the field's type (never NULL, so that its
/// negation holds for the customers without one).
fn has_value(json: &JsonPath<'_>, read: Read) -> Expr {
    let typed = match read {
        Read::Number => return json.number().is_not_null(),
        Read::Text => return json.string().is_not_null(),
        Read::Boolean => json.is_bool(true).or(json.is_bool(false)),
        Read::Options => json.type_of().eq("array"),
    };
    Expr::case(typed, true).finally(false).into()
}

/// The value is `v` (already in normal form).
fn equals(json: &JsonPath<'_>, read: Read, v: &Value) -> Expr {
    match (read, v) {
        (Read::Number, Value::Number(n)) => json.number().eq(n.as_f64().unwrap_or_default()),
        (Read::Boolean, Value::Bool(b)) => json.is_bool(*b),
        (Read::Options, Value::Array(options)) => {
            // One option at a time: a list holding all of them.
            let tests = options
                .iter()
                .filter_map(Value::as_str)
                .map(|o| json.holds(o));
            tests.fold(Expr::val(true), |all, t| all.and(t))
        }
        (Read::Text, Value::String(s)) => json.string().eq(s.clone()),
        _ => Expr::val(false),
    }
}

/// The sort by a defined field: customers without a value come last
/// descending, first ascending.
pub fn sort_key(
    definition: &custom_field::Model,
    field: &str,
    backend: DbBackend,
) -> AppResult<SortKey<customer::Entity>> {
    let path = [definition.key.clone()];
    let json = JsonPath {
        path: &path,
        backend,
    };
    let (expr, kind) = match read_of(definition.field_type) {
        Read::Number => (json.number(), KeyKind::Float),
        Read::Text => (json.string(), KeyKind::Text),
        Read::Boolean => (
            Expr::case(json.is_bool(true), 1)
                .case(json.is_bool(false), 0)
                .into(),
            KeyKind::Int,
        ),
        Read::Options => {
            return Err(bad_input(field, "a MULTI_SELECT field cannot be sorted on"));
        }
    };
    Ok(SortKey {
        name: Cow::Owned(format!("FIELD:{}", definition.key)),
        column: KeyColumn::Expr(expr),
        kind,
        nullable: true,
        value: KeyRead::Json(
            |row: &customer::Model| &row.metadata,
            definition.key.clone(),
        ),
    })
}
