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
use super::column::{self, Class};
use super::value::{check, type_name};
use crate::error::{AppResult, bad_input};
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, SortKey};
use crate::profiles::json_path::JsonPath;

/// Most values of an `in` list.
const MAX_LIST: usize = 100;

/// A condition on one defined custom field; all given parts must hold.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "CustomFieldCondition")]
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

/// How SQL reads a type's values: one value of a class ([`column`]), or a
/// list of options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    One(Class),
    Options,
}

fn read_of(kind: FieldType) -> Read {
    match kind {
        FieldType::Number | FieldType::Decimal => Read::One(Class::Number),
        FieldType::Boolean => Read::One(Class::Boolean),
        FieldType::MultiSelect => Read::Options,
        FieldType::Text
        | FieldType::Date
        | FieldType::Datetime
        | FieldType::SingleSelect
        | FieldType::Url
        | FieldType::Email => Read::One(Class::Text),
    }
}

/// The class a type's values are indexed and sorted as; none for a list.
pub fn class_of(kind: FieldType) -> Option<Class> {
    match read_of(kind) {
        Read::One(class) => Some(class),
        Read::Options => None,
    }
}

impl CustomFieldFilter {
    /// Whether any comparison is given.
    pub fn compares(&self) -> bool {
        [&self.equals, &self.gt, &self.gte, &self.lt, &self.lte]
            .iter()
            .any(|v| v.is_some())
            || self.one_of.is_some()
            || self.exists.is_some()
    }

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
        let list = JsonPath {
            path: &path,
            backend,
        };
        let read = read_of(definition.field_type);
        let value = |class| column::value(&self.key, class, backend);
        let mut cond = Condition::all();
        let operand = |name: &str, v: &Json<Value>| -> AppResult<Value> {
            check(&format!("{field}.{name}"), definition, v.0.clone())?
                .ok_or_else(|| bad_input(format!("{field}.{name}"), "a value is needed"))
        };
        let equals = |v: &Value| -> Expr {
            match (read, v) {
                (Read::One(Class::Number), Value::Number(n)) => {
                    value(Class::Number).eq(n.as_f64().unwrap_or_default())
                }
                (Read::One(Class::Boolean), Value::Bool(b)) => {
                    value(Class::Boolean).eq(i32::from(*b))
                }
                (Read::One(Class::Text), Value::String(s)) => value(Class::Text).eq(s.clone()),
                (Read::Options, Value::Array(options)) => {
                    // One option at a time: a list holding all of them.
                    let tests = options
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|o| list.holds(o));
                    tests.fold(Expr::val(true), |all, t| all.and(t))
                }
                _ => Expr::val(false),
            }
        };
        if let Some(v) = &self.equals {
            cond = cond.add(equals(&operand("equals", v)?));
        }
        if let Some(values) = &self.one_of {
            if values.len() > MAX_LIST {
                return Err(bad_input(
                    format!("{field}.in"),
                    format!("at most {MAX_LIST} values"),
                ));
            }
            let mut any = Condition::any();
            for v in values {
                any = any.add(equals(&operand("in", v)?));
            }
            cond = cond.add(if values.is_empty() {
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
            let (subject, bound) = match operand(name, bound)? {
                Value::Number(n) => (
                    value(Class::Number),
                    Expr::val(n.as_f64().unwrap_or_default()),
                ),
                Value::String(s) => (value(Class::Text), Expr::val(s)),
                _ => unreachable!("ordered types are numbers or strings"),
            };
            cond = cond.add(match name {
                "gt" => subject.gt(bound),
                "gte" => subject.gte(bound),
                "lt" => subject.lt(bound),
                _ => subject.lte(bound),
            });
        }
        if let Some(exists) = self.exists {
            let set = match read {
                Read::One(class) => value(class).is_not_null(),
                // Never NULL, so that its negation holds for the customers
                // without a list.
                Read::Options => Expr::case(list.type_of().eq("array"), true)
                    .finally(false)
                    .into(),
            };
            cond = cond.add(if exists { set } else { set.not() });
        }
        Ok(cond)
    }
}

/// The sort by a defined field: customers without a value come last
/// descending, first ascending.
pub fn sort_key(
    definition: &custom_field::Model,
    field: &str,
    backend: DbBackend,
) -> AppResult<SortKey<customer::Entity>> {
    let Some(class) = class_of(definition.field_type) else {
        return Err(bad_input(field, "a MULTI_SELECT field cannot be sorted on"));
    };
    let kind = match class {
        Class::Number => KeyKind::Float,
        Class::Text => KeyKind::Text,
        Class::Boolean => KeyKind::Int,
    };
    let expr = column::value(&definition.key, class, backend);
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
