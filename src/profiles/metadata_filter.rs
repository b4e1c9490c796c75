//! `CustomerFilter.metadata`: customers whose custom fields contain a JSON
//! value, as PostgreSQL's `@>` on `jsonb` decides it; SQLite checks the
//! same leaf by leaf with its JSON functions.

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{Condition, DbBackend};
use serde_json::Value;

use crate::error::{AppResult, bad_input};

/// Customers whose metadata contains `filter` (`field` names it in errors).
pub(super) fn metadata_condition(
    field: &str,
    filter: &Value,
    backend: DbBackend,
) -> AppResult<Condition> {
    if !filter.is_object() {
        return Err(bad_input(field, "metadata must be a JSON object"));
    }
    check_shape(field, filter, 0)?;
    if backend == DbBackend::Postgres {
        return Ok(Condition::all().add(Expr::cust_with_values(
            r#""customers"."metadata" @> CAST($1 AS jsonb)"#,
            [filter.to_string()],
        )));
    }
    let mut tests = Vec::new();
    sqlite_contains("$", filter, &mut tests);
    Ok(tests.into_iter().fold(Condition::all(), Condition::add))
}

/// Objects nest; arrays hold scalars; keys are plain names.
fn check_shape(field: &str, value: &Value, depth: usize) -> AppResult<()> {
    match value {
        Value::Object(map) => {
            if depth > 8 {
                return Err(bad_input(field, "metadata filter nests too deep"));
            }
            for (key, v) in map {
                if key.is_empty()
                    || key.len() > 128
                    || key.chars().any(|c| c == '"' || c == '\\' || c.is_control())
                {
                    return Err(bad_input(
                        field,
                        format!("unsupported metadata key {key:?}"),
                    ));
                }
                check_shape(field, v, depth + 1)?;
            }
            Ok(())
        }
        Value::Array(items) if items.iter().any(|i| i.is_array() || i.is_object()) => {
            Err(bad_input(
                field,
                "arrays in a metadata filter hold strings, numbers, booleans or null",
            ))
        }
        _ => Ok(()),
    }
}

/// SQLite's containment, leaf by leaf, with the JSON paths bound.
fn sqlite_contains(path: &str, value: &Value, tests: &mut Vec<Expr>) {
    let json_type = |path: &str| {
        Expr::cust_with_values(r#"json_type("customers"."metadata", ?)"#, [path.to_owned()])
    };
    let extract = |path: &str| {
        Expr::cust_with_values(
            r#"json_extract("customers"."metadata", ?)"#,
            [path.to_owned()],
        )
    };
    match value {
        Value::Object(map) => {
            tests.push(json_type(path).eq("object"));
            for (key, v) in map {
                sqlite_contains(&format!("{path}.\"{key}\""), v, tests);
            }
        }
        Value::Array(items) => {
            tests.push(json_type(path).eq("array"));
            for item in items {
                let (ty, val) = scalar(item);
                let mut sql = String::from(
                    r#"EXISTS (SELECT 1 FROM json_each("customers"."metadata", ?) WHERE "#,
                );
                let mut values: Vec<sea_orm::Value> = vec![path.to_owned().into()];
                sql.push_str(ty);
                if let Some(v) = val {
                    sql.push_str(" AND value = ?");
                    values.push(v);
                }
                sql.push(')');
                tests.push(Expr::cust_with_values(sql, values));
            }
        }
        scalar_value => {
            let types: &[&str] = match scalar_value {
                Value::String(_) => &["text"],
                Value::Number(_) => &["integer", "real"],
                Value::Bool(true) => &["true"],
                Value::Bool(false) => &["false"],
                _ => &["null"],
            };
            tests.push(json_type(path).is_in(types.iter().copied()));
            if let (_, Some(v)) = scalar(scalar_value) {
                tests.push(extract(path).eq(v));
            }
        }
    }
}

/// The `json_each` type test of a scalar, and the value to compare when
/// the type alone does not decide.
fn scalar(value: &Value) -> (&'static str, Option<sea_orm::Value>) {
    match value {
        Value::String(s) => ("type = 'text'", Some(s.clone().into())),
        Value::Number(n) => (
            "type IN ('integer', 'real')",
            Some(
                n.as_i64()
                    .map_or_else(|| n.as_f64().unwrap_or_default().into(), Into::into),
            ),
        ),
        Value::Bool(true) => ("type = 'true'", None),
        Value::Bool(false) => ("type = 'false'", None),
        _ => ("type = 'null'", None),
    }
}
