//! The `reasons` table: the merchant's refund and cancellation reasons.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::ReasonId;
use crate::domain::reason::{Reason, ReasonKind};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    label: String,
    position: i64,
    archived_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for Reason {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        Ok(Reason {
            id: ReasonId(r.id),
            kind: ReasonKind::from_key(&r.kind)
                .ok_or_else(|| DbError::corrupt("reasons", r.id, "kind", &r.kind))?,
            label: r.label,
            position: r.position,
            archived_at: r.archived_at,
        })
    }
}

const SELECT: &str = "SELECT id, kind, label, position, archived_at FROM reasons";

/// Both lists in order, archived ones last in each (the settings page).
pub async fn all(conn: impl Into<Conn<'_>>) -> Result<Vec<Reason>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " ORDER BY kind, archived_at IS NOT NULL, position, id"
    );
    let rows: Vec<Row> =
        on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).fetch_all(conn).await)?;
    rows.into_iter().map(Reason::try_from).collect()
}

/// The reasons agents may pick of one list, in the merchant's order.
pub async fn active(conn: impl Into<Conn<'_>>, kind: ReasonKind) -> Result<Vec<Reason>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " WHERE kind = $1 AND archived_at IS NULL ORDER BY position, id"
    );
    let rows: Vec<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(kind.key()).fetch_all(conn).await)?;
    rows.into_iter().map(Reason::try_from).collect()
}

pub async fn find(conn: impl Into<Conn<'_>>, id: ReasonId) -> Result<Option<Reason>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(id.0).fetch_optional(conn).await)?;
    row.map(Reason::try_from).transpose()
}

/// Adds a reason at the end of its list.
pub async fn insert(
    conn: impl Into<Conn<'_>>,
    kind: ReasonKind,
    label: &str,
    now: DateTime<Utc>,
) -> Result<ReasonId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO reasons (kind, label, position, created_at) \
                       SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3 FROM reasons WHERE kind = $1 \
                       RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(kind.key()).bind(label).bind(now).fetch_one(conn).await)?;
    Ok(ReasonId(id))
}

pub async fn rename(conn: impl Into<Conn<'_>>, id: ReasonId, label: &str) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE reasons SET label = $2 WHERE id = $1";
    Ok(on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(label).execute(conn).await.map(|r| r.rows_affected()))?)
}

/// Archives (`Some(now)`) or restores (`None`) a reason; stored refunds keep their words.
pub async fn set_archived(
    conn: impl Into<Conn<'_>>,
    id: ReasonId,
    at: Option<DateTime<Utc>>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE reasons SET archived_at = $2 WHERE id = $1";
    Ok(on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(at).execute(conn).await.map(|r| r.rows_affected()))?)
}
