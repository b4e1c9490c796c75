//! Bulk inserts: many rows in few statements, on both backends.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// What an insert does with a row whose unique key another row has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// The statement fails.
    Fail,
    /// The row is left out.
    Skip,
    /// The row is left out, and the one already there is locked until the
    /// transaction ends, as if it were written: a reader that takes it
    /// `FOR UPDATE` waits for this transaction, and then sees its other
    /// writes. SQLite, with one writer, needs no lock: it skips.
    Lock,
}

/// How many write transactions a bulk load keeps in flight: two on
/// PostgreSQL (one backend works on a batch while the next is prepared and
/// sent), one on SQLite, which has one writer (a second would only queue
/// for the write lock).
pub fn batches_in_flight(db: &impl ConnectionTrait) -> usize {
    match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    }
}

/// Inserts rows in statements of at most `per_statement` rows.
///
/// On PostgreSQL the rows travel as one JSON text parameter that
/// `json_populate_recordset` turns into the table's rows: the statement's
/// text is the same whatever the number of rows, so it is parsed and planned
/// once a connection, where a multi-row `VALUES` of 26,000 parameters costs
/// more to bind and plan than the rows cost to insert (and `json` reads
/// faster than `jsonb`, which would build a tree only to take it apart).
/// SQLite takes multi-row `VALUES`.
pub async fn insert_rows<E>(
    db: &impl ConnectionTrait,
    rows: &[E::Model],
    per_statement: usize,
    taken: Taken,
) -> Result<(), DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    use sea_orm::sea_query::OnConflict;
    if db.get_database_backend() != DbBackend::Postgres {
        for chunk in rows.chunks(per_statement) {
            let mut insert = E::insert_many(active_models::<E>(chunk));
            if taken != Taken::Fail {
                insert = insert.on_conflict(OnConflict::new().do_nothing().to_owned());
            }
            insert.exec_without_returning(db).await?;
        }
        return Ok(());
    }
    let insert = JsonInsert::<E>::new();
    let sql = insert.sql(taken, None);
    for chunk in rows.chunks(per_statement) {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql.as_str(),
            [insert.rows(chunk)?.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Inserts the rows whose unique keys are all free, leaving out the others
/// (so running a deterministic load again adds nothing), and returns the
/// `key` column of each row written, as text.
pub async fn insert_new_rows<E>(
    db: &impl ConnectionTrait,
    rows: &[E::Model],
    per_statement: usize,
    key: E::Column,
) -> Result<Vec<String>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    use sea_orm::ModelTrait as _;
    use sea_orm::sea_query::OnConflict;
    let mut written = Vec::with_capacity(rows.len());
    if db.get_database_backend() != DbBackend::Postgres {
        for chunk in rows.chunks(per_statement) {
            let models = E::insert_many(active_models::<E>(chunk))
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_with_returning(db)
                .await?;
            for model in models {
                written.push(text(model.get(key))?);
            }
        }
        return Ok(written);
    }
    let insert = JsonInsert::<E>::new();
    let sql = insert.sql(Taken::Skip, Some(key));
    for chunk in rows.chunks(per_statement) {
        let returned = db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql.as_str(),
                [insert.rows(chunk)?.into()],
            ))
            .await?;
        for row in returned {
            written.push(row.try_get_by_index::<String>(0)?);
        }
    }
    Ok(written)
}

/// A text column's value.
fn text(value: sea_orm::Value) -> Result<String, DbErr> {
    match value {
        sea_orm::Value::String(Some(text)) => Ok(text.to_string()),
        other => Err(DbErr::Type(format!(
            "a text key was expected, not {other:?}"
        ))),
    }
}

/// Rows as active models with every column set, for `insert_many`.
fn active_models<E>(rows: &[E::Model]) -> impl Iterator<Item = E::ActiveModel> + '_
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
{
    use sea_orm::{ActiveModelTrait as _, IntoActiveModel as _};
    rows.iter()
        .cloned()
        .map(|row| row.into_active_model().reset_all())
}

/// A table's rows as one JSON array for `json_populate_recordset`, and the
/// statement that reads it.
struct JsonInsert<E: sea_orm::EntityTrait> {
    columns: Vec<(E::Column, String)>,
}

impl<E: sea_orm::EntityTrait> JsonInsert<E> {
    fn new() -> Self {
        use sea_orm::Iterable as _;
        use sea_orm::sea_query::Iden as _;
        Self {
            columns: E::Column::iter().map(|c| (c, c.to_string())).collect(),
        }
    }

    fn sql(&self, taken: Taken, returning: Option<E::Column>) -> String {
        use sea_orm::sea_query::Iden as _;
        let table = E::default().table_name().to_owned();
        let names = self
            .columns
            .iter()
            .map(|(_, name)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "INSERT INTO \"{table}\" ({names}) SELECT {names} FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
        );
        match taken {
            Taken::Fail => {}
            Taken::Skip => sql.push_str(" ON CONFLICT DO NOTHING"),
            Taken::Lock => {
                use sea_orm::{Iterable as _, PrimaryKeyToColumn as _};
                let key: Vec<String> = E::PrimaryKey::iter()
                    .map(|k| format!("\"{}\"", k.into_column().to_string()))
                    .collect();
                // An update that changes nothing, for its row lock.
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {} = EXCLUDED.{}",
                    key.join(", "),
                    key[0],
                    key[0]
                ));
            }
        }
        if let Some(key) = returning {
            sql.push_str(&format!(" RETURNING \"{}\"::text", key.to_string()));
        }
        sql
    }

    /// The rows as JSON text, written straight from their values (no
    /// JSON tree in between).
    fn rows(&self, rows: &[E::Model]) -> Result<String, DbErr> {
        serde_json::to_string(&JsonRows::<E> {
            columns: &self.columns,
            rows,
        })
        .map_err(|err| DbErr::Json(err.to_string()))
    }
}

struct JsonRows<'a, E: sea_orm::EntityTrait> {
    columns: &'a [(E::Column, String)],
    rows: &'a [E::Model],
}

impl<E: sea_orm::EntityTrait> serde::Serialize for JsonRows<'_, E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use sea_orm::ModelTrait as _;
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        struct Record<'a, E: sea_orm::EntityTrait>(&'a [(E::Column, String)], &'a E::Model);
        impl<E: sea_orm::EntityTrait> serde::Serialize for Record<'_, E> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut record = serializer.serialize_map(Some(self.0.len()))?;
                for (column, name) in self.0 {
                    record.serialize_entry(name, &JsonValue(self.1.get(*column)))?;
                }
                record.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&Record::<E>(self.columns, row))?;
        }
        seq.end()
    }
}

/// A column's value as PostgreSQL reads it from JSON: times in RFC 3339
/// with microseconds (what both backends store).
struct JsonValue(sea_orm::Value);

impl serde::Serialize for JsonValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use sea_orm::Value;
        match &self.0 {
            Value::String(Some(text)) => serializer.serialize_str(text),
            Value::BigInt(Some(n)) => serializer.serialize_i64(*n),
            Value::Int(Some(n)) => serializer.serialize_i32(*n),
            Value::Json(Some(json)) => json.serialize(serializer),
            Value::ChronoDateTimeUtc(Some(at)) => {
                serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            }
            other => {
                sea_orm::sea_query::value::sea_value_to_json_value(other).serialize(serializer)
            }
        }
    }
}
