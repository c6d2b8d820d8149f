//! The `decline_mappings` table.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::decline::{DeclineClass, DeclineMapping};
use crate::domain::ids::MappingId;
use crate::domain::provider::Provider;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    provider: Option<String>,
    response_code: String,
    response_text: String,
    class: String,
}

impl TryFrom<Row> for DeclineMapping {
    type Error = DbError;

    /// An unknown class or provider is an error, never a guess: a hard decline read as soft
    /// would be retried, and a provider read as "any" would apply the mapping everywhere.
    fn try_from(r: Row) -> Result<Self, DbError> {
        let provider = match r.provider.as_deref() {
            None => None,
            Some(key) => Some(
                Provider::from_key(key)
                    .ok_or_else(|| DbError::corrupt("decline_mappings", r.id, "provider", key))?,
            ),
        };
        Ok(DeclineMapping {
            id: MappingId(r.id),
            provider,
            class: DeclineClass::from_key(&r.class)
                .ok_or_else(|| DbError::corrupt("decline_mappings", r.id, "class", &r.class))?,
            code: r.response_code,
            text: r.response_text,
        })
    }
}

const SELECT: &str =
    "SELECT id, provider, response_code, response_text, class FROM decline_mappings";

pub async fn all(conn: impl Into<Conn<'_>>) -> Result<Vec<DeclineMapping>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " ORDER BY provider NULLS FIRST, response_code, response_text, id"
    );
    let rows: Vec<Row> =
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    rows.into_iter().map(DeclineMapping::try_from).collect()
}

pub async fn find(
    conn: impl Into<Conn<'_>>,
    id: MappingId,
) -> Result<Option<DeclineMapping>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).bind(id.0).fetch_optional(conn).await)?;
    row.map(DeclineMapping::try_from).transpose()
}

/// The fields of a mapping row to write.
pub struct MappingWrite<'a> {
    pub provider: Option<Provider>,
    pub code: &'a str,
    pub text: &'a str,
    pub class: DeclineClass,
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    m: &MappingWrite<'_>,
    now: DateTime<Utc>,
) -> Result<MappingId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO decline_mappings (provider, response_code, response_text, class, created_at) \
                       VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(m.provider.map(Provider::key)).bind(m.code).bind(m.text).bind(m.class.key()).bind(now)
        .fetch_one(conn).await)?;
    Ok(MappingId(id))
}

pub async fn update(
    conn: impl Into<Conn<'_>>,
    id: MappingId,
    m: &MappingWrite<'_>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE decline_mappings SET provider = $2, response_code = $3, response_text = $4, class = $5 WHERE id = $1";
    Ok(on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(m.provider.map(Provider::key)).bind(m.code).bind(m.text).bind(m.class.key())
        .execute(conn).await.map(|r| r.rows_affected()))?)
}

pub async fn delete(conn: impl Into<Conn<'_>>, id: MappingId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query("DELETE FROM decline_mappings WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}
