//! The `decline_mappings` table.

use chrono::{DateTime, Utc};

use super::{Db, Tx, on_db, on_tx};
use crate::domain::decline::{DeclineClass, DeclineMapping};
use crate::domain::ids::MappingId;
use crate::domain::mid::Provider;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    provider: Option<String>,
    response_code: String,
    response_text: String,
    class: String,
}

impl From<Row> for DeclineMapping {
    fn from(r: Row) -> Self {
        DeclineMapping {
            id: MappingId(r.id),
            provider: r.provider.as_deref().and_then(Provider::from_key),
            code: r.response_code,
            text: r.response_text,
            class: DeclineClass::from_key(&r.class).unwrap_or(DeclineClass::Soft),
        }
    }
}

const SELECT: &str =
    "SELECT id, provider, response_code, response_text, class FROM decline_mappings";

pub async fn all(db: &Db) -> Result<Vec<DeclineMapping>, sqlx::Error> {
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " ORDER BY provider NULLS FIRST, response_code, response_text, id"
    );
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(DeclineMapping::from).collect())
}

pub async fn find_in(tx: &mut Tx, id: MappingId) -> Result<Option<DeclineMapping>, sqlx::Error> {
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> =
        on_tx!(tx, conn => sqlx::query_as(SQL).bind(id.0).fetch_optional(conn).await)?;
    Ok(row.map(DeclineMapping::from))
}

/// The fields of a mapping row to write.
pub struct MappingWrite<'a> {
    pub provider: Option<Provider>,
    pub code: &'a str,
    pub text: &'a str,
    pub class: DeclineClass,
}

pub async fn insert(
    tx: &mut Tx,
    m: &MappingWrite<'_>,
    now: DateTime<Utc>,
) -> Result<MappingId, sqlx::Error> {
    const SQL: &str = "INSERT INTO decline_mappings (provider, response_code, response_text, class, created_at) \
                       VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(m.provider.map(Provider::key)).bind(m.code).bind(m.text).bind(m.class.key()).bind(now)
        .fetch_one(conn).await)?;
    Ok(MappingId(id))
}

pub async fn update(tx: &mut Tx, id: MappingId, m: &MappingWrite<'_>) -> Result<u64, sqlx::Error> {
    const SQL: &str = "UPDATE decline_mappings SET provider = $2, response_code = $3, response_text = $4, class = $5 WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(id.0).bind(m.provider.map(Provider::key)).bind(m.code).bind(m.text).bind(m.class.key())
        .execute(conn).await.map(|r| r.rows_affected()))
}

pub async fn delete(tx: &mut Tx, id: MappingId) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM decline_mappings WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))
}
