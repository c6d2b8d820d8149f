//! The `users` table.

use chrono::{DateTime, Utc};
use const_format::concatcp;

use super::{Conn, DbError, on_conn};
use crate::domain::contact::Email;
use crate::domain::ids::{RoleId, UserId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::User;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role_id: i64,
    role_name: String,
    active: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            role_id: RoleId(r.role_id),
            role_name: r.role_name,
            active: r.active,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
        }
    }
}

const SELECT_USER: &str = "SELECT u.id, u.email, u.name, u.role_id, r.name AS role_name, u.active, \
     u.last_login_at, u.created_at FROM users u JOIN roles r ON r.id = u.role_id";

/// What login needs: the stored hash and whether the account may sign in.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role_id: RoleId,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: impl Into<Conn<'_>>, user: &NewUser<'_>) -> Result<UserId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO users (email, name, password_hash, role_id, active, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(user.email)
        .bind(user.name)
        .bind(user.password_hash)
        .bind(user.role_id.0)
        .bind(user.now)
        .fetch_one(conn)
        .await)?;
    Ok(UserId(id))
}

pub async fn find(conn: impl Into<Conn<'_>>, id: UserId) -> Result<Option<User>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(SELECT_USER, " WHERE u.id = $1");
    let row: Option<UserRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(id.0).fetch_optional(pool).await)?;
    Ok(row.map(User::from))
}

pub async fn credentials(
    conn: impl Into<Conn<'_>>,
    email: &str,
) -> Result<Option<Credentials>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, password_hash, active FROM users WHERE email = $1";
    Ok(
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(email).fetch_optional(pool).await)?,
    )
}

pub async fn count(conn: impl Into<Conn<'_>>) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    Ok(
        on_conn!(conn.reborrow(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await)?,
    )
}

/// Users ordered by email, optionally narrowed by a text search on email or name.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    search: Option<&str>,
    page: PageRequest,
) -> Result<Page<User>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const WHERE: &str = " WHERE ($1 = '' OR LOWER(u.email) LIKE $2 ESCAPE '\\' OR LOWER(u.name) LIKE $2 ESCAPE '\\')";
    const SQL: &str = concatcp!(SELECT_USER, WHERE, " ORDER BY u.email LIMIT $3 OFFSET $4");
    const COUNT: &str = concatcp!("SELECT COUNT(*) FROM users u", WHERE);
    let search = search.unwrap_or_default().trim().to_lowercase();
    let pattern = like_pattern(&search);
    let rows: Vec<UserRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL)
        .bind(&search)
        .bind(&pattern)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(pool)
        .await)?;
    let total: i64 = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(COUNT).bind(&search).bind(&pattern).fetch_one(pool).await)?;
    Ok(Page {
        items: rows.into_iter().map(User::from).collect(),
        number: page.number,
        size: page.size,
        total,
    })
}

/// The user with `email` (stored lowercase and unique), for the event log's user filter.
pub async fn id_by_email(
    conn: impl Into<Conn<'_>>,
    email: &Email,
) -> Result<Option<UserId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let id: Option<i64> = on_conn!(conn.reborrow(), pool => sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(pool)
        .await)?;
    Ok(id.map(UserId))
}

pub async fn set_role(
    conn: impl Into<Conn<'_>>,
    id: UserId,
    role: RoleId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE users SET role_id = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(role.0).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_active(
    conn: impl Into<Conn<'_>>,
    id: UserId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE users SET active = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(active).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_password(
    conn: impl Into<Conn<'_>>,
    id: UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(hash).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_last_login(
    conn: impl Into<Conn<'_>>,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE users SET last_login_at = $2 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many active users hold a role; guards against disabling or demoting the last admin.
pub async fn count_active_with_role(
    conn: impl Into<Conn<'_>>,
    role: RoleId,
) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE role_id = $1 AND active = TRUE";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(role.0).fetch_one(conn).await)?,
    )
}

/// Escapes LIKE wildcards so a search for `%` or `_` matches them literally (`ESCAPE '\\'`).
pub(crate) fn like_pattern(search: &str) -> String {
    let mut out = String::from("%");
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
