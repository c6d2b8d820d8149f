//! The `api_keys` table: keys of the order API, stored as a hash of the key.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::api_key::ApiKey;
use crate::domain::ids::{ApiKeyId, UserId};

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    created_by: Option<i64>,
    creator: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for ApiKey {
    fn from(r: KeyRow) -> Self {
        ApiKey {
            id: ApiKeyId(r.id),
            name: r.name,
            prefix: r.prefix,
            created_by: r.created_by.map(UserId),
            creator: r.creator,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// The creator is the user, or (a key made from the command line or by the demo seed) the
/// actor of the key's creation event.
const SELECT: &str = "SELECT k.id, k.name, k.prefix, k.created_by, \
     COALESCE(u.name, (SELECT e.actor_label FROM events e \
        WHERE e.subject = 'api_key:' || CAST(k.id AS TEXT) AND e.kind = 'api_key.created' \
        ORDER BY e.id LIMIT 1)) AS creator, \
     k.created_at, k.last_used_at, k.revoked_at \
     FROM api_keys k LEFT JOIN users u ON u.id = k.created_by";

/// Live keys first, newest first; revoked keys after them.
pub async fn list(conn: impl Into<Conn<'_>>) -> Result<Vec<ApiKey>, DbError> {
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " ORDER BY CASE WHEN k.revoked_at IS NULL THEN 0 ELSE 1 END, k.created_at DESC, k.id DESC"
    );
    let rows: Vec<KeyRow> =
        on_conn!(conn.into(), pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

pub async fn find(conn: impl Into<Conn<'_>>, id: ApiKeyId) -> Result<Option<ApiKey>, DbError> {
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE k.id = $1");
    let row: Option<KeyRow> = on_conn!(conn.into(), pool => sqlx::query_as(SQL)
        .bind(id.0)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(ApiKey::from))
}

/// What a new key stores: never the key itself.
pub struct KeyWrite<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub created_by: Option<UserId>,
    pub now: DateTime<Utc>,
}

/// Fails with `DbError::Unique` when the prefix is taken (the only unique column).
pub async fn insert(conn: impl Into<Conn<'_>>, key: &KeyWrite<'_>) -> Result<ApiKeyId, DbError> {
    const SQL: &str = "INSERT INTO api_keys (name, prefix, secret_hash, created_by, created_at) \
                       VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let id: i64 = on_conn!(conn.into(), c => sqlx::query_scalar(SQL)
        .bind(key.name)
        .bind(key.prefix)
        .bind(key.secret_hash)
        .bind(key.created_by.map(|u| u.0))
        .bind(key.now)
        .fetch_one(c)
        .await)?;
    Ok(ApiKeyId(id))
}

/// Revokes a live key; false when it was already revoked (or is gone).
pub async fn revoke(
    conn: impl Into<Conn<'_>>,
    id: ApiKeyId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
    let changed = on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(id.0)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// What authenticating a call needs of the key with a prefix.
#[derive(Debug, sqlx::FromRow)]
pub struct Credential {
    pub id: i64,
    pub name: String,
    pub secret_hash: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The key whose prefix is `prefix`: one lookup by a unique index.
pub async fn credential(
    conn: impl Into<Conn<'_>>,
    prefix: &str,
) -> Result<Option<Credential>, DbError> {
    const SQL: &str =
        "SELECT id, name, secret_hash, last_used_at, revoked_at FROM api_keys WHERE prefix = $1";
    Ok(on_conn!(conn.into(), pool => sqlx::query_as(SQL)
        .bind(prefix)
        .fetch_optional(pool)
        .await)?)
}

/// Records a use at `now` unless one after `since` is already recorded (another instance got
/// there first), so the write happens at most once per interval whatever the concurrency.
pub async fn touch(
    conn: impl Into<Conn<'_>>,
    id: ApiKeyId,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE api_keys SET last_used_at = $2 \
                       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)";
    on_conn!(conn.into(), c => sqlx::query(SQL)
        .bind(id.0)
        .bind(now)
        .bind(since)
        .execute(c)
        .await
        .map(drop))?;
    Ok(())
}
