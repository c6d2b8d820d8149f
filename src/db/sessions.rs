//! The `sessions` table: one row per signed-in browser, keyed by a hash of the cookie's token,
//! so deleting the row signs that browser out on its next request.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::{RoleId, UserId};

/// A live session joined with its user, as the request guard needs it.
#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub role_id: i64,
    pub role_name: String,
}

impl SessionRow {
    pub fn user_id(&self) -> UserId {
        UserId(self.user_id)
    }

    pub fn role_id(&self) -> RoleId {
        RoleId(self.role_id)
    }
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    token_hash: &str,
    user: UserId,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4)";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(token_hash).bind(user.0).bind(now).bind(ip).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find(
    conn: impl Into<Conn<'_>>,
    token_hash: &str,
) -> Result<Option<SessionRow>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT s.user_id, s.created_at, s.last_seen_at, u.email, u.name, u.active, u.role_id, \
                       r.name AS role_name FROM sessions s JOIN users u ON u.id = s.user_id \
                       JOIN roles r ON r.id = u.role_id WHERE s.token_hash = $1";
    Ok(
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(token_hash).fetch_optional(pool).await)?,
    )
}

pub async fn touch(
    conn: impl Into<Conn<'_>>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1";
    on_conn!(conn.reborrow(), pool => sqlx::query(SQL).bind(token_hash).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(conn: impl Into<Conn<'_>>, token_hash: &str) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    on_conn!(conn.reborrow(), pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Signs a user out everywhere (disabled, password reset).
pub async fn delete_for_user(conn: impl Into<Conn<'_>>, user: UserId) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    on_conn!(conn.reborrow(), conn => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Drops sessions idle or older than the limits; run now and then so the table stays small.
pub async fn delete_expired(
    conn: impl Into<Conn<'_>>,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2";
    Ok(
        on_conn!(conn.reborrow(), pool => sqlx::query(SQL).bind(idle_before).bind(created_before).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}
