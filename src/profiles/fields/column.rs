//! A defined field's value in SQL: the value under its key in `metadata`
//! when it has the field's JSON type, else NULL, written out with the key
//! inline (keys are `[a-z][a-z0-9_]*`) so that the text a query compares
//! and sorts by is the text of the field's index ([`index`]), which both
//! backends then use for the range and the order.

use sea_orm::DbBackend;
use sea_orm::sea_query::Expr;

/// How SQL reads a type's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A double.
    Number,
    Text,
    /// 1 for true, 0 for false.
    Boolean,
}

impl Class {
    fn tag(self) -> &'static str {
        match self {
            Class::Number => "n",
            Class::Text => "t",
            Class::Boolean => "b",
        }
    }
}

/// The value of `key`, read as `class`, in a query.
pub fn value(key: &str, class: Class, backend: DbBackend) -> Expr {
    Expr::cust(sql(key, class, backend, r#""customers"."metadata""#))
}

/// The index of `key` read as `class`: its name and the statement that
/// makes it (on PostgreSQL without locking the table for writes, so it
/// runs outside a transaction). Tenants defining the same key share it.
pub fn index(key: &str, class: Class, backend: DbBackend) -> (String, String) {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let name = format!("customers_field_{}_{hash:016x}", class.tag());
    let expr = sql(key, class, backend, "metadata");
    // NULLs first, as a list reads a nullable key's rows (SQLite's order
    // already): a descending scan of the index then needs no sort.
    let statement = if backend == DbBackend::Postgres {
        format!(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON customers (tenant_id, ({expr}) NULLS FIRST, id)"
        )
    } else {
        format!("CREATE INDEX IF NOT EXISTS {name} ON customers (tenant_id, ({expr}), id)")
    };
    (name, statement)
}

fn sql(key: &str, class: Class, backend: DbBackend, column: &str) -> String {
    debug_assert!(
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    );
    match (backend, class) {
        (DbBackend::Postgres, Class::Number) => format!(
            "(CASE WHEN jsonb_typeof({column} -> '{key}') = 'number' THEN ({column} ->> '{key}')::double precision END)"
        ),
        (DbBackend::Postgres, Class::Text) => format!(
            "(CASE WHEN jsonb_typeof({column} -> '{key}') = 'string' THEN {column} ->> '{key}' END)"
        ),
        (DbBackend::Postgres, Class::Boolean) => format!(
            "(CASE {column} -> '{key}' WHEN 'true'::jsonb THEN 1 WHEN 'false'::jsonb THEN 0 END)"
        ),
        (_, Class::Number) => format!(
            "(CASE WHEN json_type({column}, '$.\"{key}\"') IN ('integer', 'real') THEN json_extract({column}, '$.\"{key}\"') END)"
        ),
        (_, Class::Text) => format!(
            "(CASE WHEN json_type({column}, '$.\"{key}\"') = 'text' THEN json_extract({column}, '$.\"{key}\"') END)"
        ),
        (_, Class::Boolean) => format!(
            "(CASE json_type({column}, '$.\"{key}\"') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
        ),
    }
}
