//! The `api_requests` table: the first answer to each `Idempotency-Key` of each API key. The
//! primary key (key, Idempotency-Key) decides which of several concurrent requests runs.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::ApiKeyId;

/// A claimed key: the request it was claimed for and, once that finished, its answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRequest {
    pub request_hash: String,
    /// `None` while the first request is still running.
    pub status: Option<i64>,
    pub response_body: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Claims `idempotency_key` for a request; false when another request holds it already.
pub async fn claim(
    conn: impl Into<Conn<'_>>,
    api_key: ApiKeyId,
    idempotency_key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO api_requests (api_key_id, idempotency_key, request_hash, created_at) \
                       VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING";
    let inserted = on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(api_key.0)
        .bind(idempotency_key)
        .bind(request_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(inserted == 1)
}

pub async fn find(
    conn: impl Into<Conn<'_>>,
    api_key: ApiKeyId,
    idempotency_key: &str,
) -> Result<Option<StoredRequest>, DbError> {
    const SQL: &str = "SELECT request_hash, status, response_body, created_at FROM api_requests \
                       WHERE api_key_id = $1 AND idempotency_key = $2";
    Ok(on_conn!(conn.into(), pool => sqlx::query_as(SQL)
        .bind(api_key.0)
        .bind(idempotency_key)
        .fetch_optional(pool)
        .await)?)
}

/// Stores the answer of the request holding the claim.
pub async fn finish(
    conn: impl Into<Conn<'_>>,
    api_key: ApiKeyId,
    idempotency_key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE api_requests SET status = $3, response_body = $4 \
                       WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL";
    on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(api_key.0)
        .bind(idempotency_key)
        .bind(i64::from(status))
        .bind(body)
        .execute(c)
        .await
        .map(drop))?;
    Ok(())
}

/// Gives up an unfinished claim, so a retry with the same key runs afresh.
pub async fn release(
    conn: impl Into<Conn<'_>>,
    api_key: ApiKeyId,
    idempotency_key: &str,
) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM api_requests \
                       WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL";
    on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(api_key.0)
        .bind(idempotency_key)
        .execute(c)
        .await
        .map(drop))?;
    Ok(())
}

/// Takes over a claim whose request never finished (its process died) and was made before
/// `abandoned_before`; true when this caller now holds it.
pub async fn take_over(
    conn: impl Into<Conn<'_>>,
    api_key: ApiKeyId,
    idempotency_key: &str,
    abandoned_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE api_requests SET created_at = $4 \
                       WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL AND created_at < $3";
    let changed = on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(api_key.0)
        .bind(idempotency_key)
        .bind(abandoned_before)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}
