//! The `login_attempts` table, read by the lockout rules (SPEC R-AU-4). Kept in the database so
//! every instance behind a load balancer sees the same counts.

use chrono::{DateTime, Utc};

use super::{Db, on_db};

pub async fn record(
    db: &Db,
    email: &str,
    ip: &str,
    succeeded: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES ($1, $2, $3, $4)";
    on_db!(db, pool => sqlx::query(SQL).bind(email).bind(ip).bind(succeeded).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Failures for `email` since `since`, not counting those before its last successful login.
pub async fn account_failures_since(
    db: &Db,
    email: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM login_attempts a WHERE a.email = $1 AND a.succeeded = FALSE \
                       AND a.at >= $2 AND NOT EXISTS (SELECT 1 FROM login_attempts s WHERE s.email = $1 \
                       AND s.succeeded = TRUE AND s.at > a.at)";
    on_db!(db, pool => sqlx::query_scalar(SQL).bind(email).bind(since).fetch_one(pool).await)
}

pub async fn address_failures_since(
    db: &Db,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const SQL: &str =
        "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND succeeded = FALSE AND at >= $2";
    on_db!(db, pool => sqlx::query_scalar(SQL).bind(ip).bind(since).fetch_one(pool).await)
}

pub async fn delete_before(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(before).execute(pool).await.map(|r| r.rows_affected()))
}
