//! The `login_attempts` table, read by the lockout rules (SPEC R-AU-4). Kept in the database so
//! every instance behind a load balancer sees the same counts.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};

/// Takes the lock row of one throttled key until `tx` ends (PostgreSQL: a row lock, taken by the
/// upsert; SQLite: `BEGIN IMMEDIATE` already serializes writers). Callers lock the address before
/// the account, always in that order, so two sign-ins never wait on each other in a cycle.
pub async fn lock_key(
    conn: impl Into<Conn<'_>>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO login_locks (key, touched_at) VALUES ($1, $2) \
                       ON CONFLICT (key) DO UPDATE SET touched_at = excluded.touched_at";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(key).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records an attempt about to reach the password check. It counts as a failure until
/// `mark_succeeded` says otherwise, so an attempt still hashing already counts.
pub async fn insert_pending(
    conn: impl Into<Conn<'_>>,
    email: &str,
    ip: &str,
    at: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES ($1, $2, FALSE, $3) RETURNING id";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(email).bind(ip).bind(at).fetch_one(conn).await)?,
    )
}

pub async fn mark_succeeded(conn: impl Into<Conn<'_>>, id: i64) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE login_attempts SET succeeded = TRUE WHERE id = $1";
    on_conn!(conn.reborrow(), pool => sqlx::query(SQL).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Failures for `email` since `since`, not counting those before its last successful login.
pub async fn account_failures_since(
    conn: impl Into<Conn<'_>>,
    email: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT COUNT(*) FROM login_attempts a WHERE a.email = $1 AND a.succeeded = FALSE \
                       AND a.at >= $2 AND NOT EXISTS (SELECT 1 FROM login_attempts s WHERE s.email = $1 \
                       AND s.succeeded = TRUE AND s.at > a.at)";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(email).bind(since).fetch_one(conn).await)?,
    )
}

pub async fn address_failures_since(
    conn: impl Into<Conn<'_>>,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND succeeded = FALSE AND at >= $2";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(ip).bind(since).fetch_one(conn).await)?,
    )
}

/// Housekeeping: attempts and lock rows older than `before`.
pub async fn delete_before(
    conn: impl Into<Conn<'_>>,
    before: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let attempts = on_conn!(conn.reborrow(), pool => sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(before).execute(pool).await.map(|r| r.rows_affected()))?;
    let locks = on_conn!(conn.reborrow(), pool => sqlx::query("DELETE FROM login_locks WHERE touched_at < $1").bind(before).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(attempts + locks)
}
