//! The `roles` and `role_permissions` tables. Built-in roles keep their permissions in code.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::RoleId;
use crate::domain::permission::{BuiltinRole, Permission, PermissionSet};
use crate::domain::user::Role;

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: i64,
    name: String,
    description: String,
    user_count: i64,
}

const SELECT_ROLES: &str = "SELECT r.id, r.name, r.description, \
     (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) AS user_count FROM roles r";

async fn permissions_of(conn: impl Into<Conn<'_>>, role: RoleId) -> Result<PermissionSet, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT permission FROM role_permissions WHERE role_id = $1";
    let keys: Vec<String> = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(SQL).bind(role.0).fetch_all(pool).await)?;
    keys.iter()
        .map(|k| {
            Permission::from_key(k)
                .ok_or_else(|| DbError::corrupt("role_permissions", role.0, "permission", k))
        })
        .collect()
}

async fn resolve(conn: impl Into<Conn<'_>>, row: RoleRow) -> Result<Role, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let builtin = BuiltinRole::from_name(&row.name);
    let permissions = match builtin {
        Some(b) => b.permissions(),
        None => permissions_of(&mut conn, RoleId(row.id)).await?,
    };
    Ok(Role {
        id: RoleId(row.id),
        name: row.name,
        description: row.description,
        builtin,
        permissions,
        user_count: row.user_count,
    })
}

/// Built-in roles first, then custom roles by name.
pub async fn list(conn: impl Into<Conn<'_>>) -> Result<Vec<Role>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " ORDER BY r.builtin DESC, r.id");
    let rows: Vec<RoleRow> =
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    let mut roles = Vec::with_capacity(rows.len());
    for row in rows {
        roles.push(resolve(&mut conn, row).await?);
    }
    Ok(roles)
}

pub async fn find(conn: impl Into<Conn<'_>>, id: RoleId) -> Result<Option<Role>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " WHERE r.id = $1");
    let row: Option<RoleRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(id.0).fetch_optional(pool).await)?;
    match row {
        Some(row) => Ok(Some(resolve(&mut conn, row).await?)),
        None => Ok(None),
    }
}

pub async fn find_by_name(conn: impl Into<Conn<'_>>, name: &str) -> Result<Option<Role>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " WHERE r.name = $1");
    let row: Option<RoleRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(name).fetch_optional(pool).await)?;
    match row {
        Some(row) => Ok(Some(resolve(&mut conn, row).await?)),
        None => Ok(None),
    }
}

/// The permissions of one user's role, read on every request.
pub async fn permissions_for_role(
    conn: impl Into<Conn<'_>>,
    role: RoleId,
    role_name: &str,
) -> Result<PermissionSet, DbError> {
    let mut conn: Conn<'_> = conn.into();
    match BuiltinRole::from_name(role_name) {
        Some(b) => Ok(b.permissions()),
        None => permissions_of(&mut conn, role).await,
    }
}

pub struct RoleWrite<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permissions: &'a PermissionSet,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: impl Into<Conn<'_>>, role: &RoleWrite<'_>) -> Result<RoleId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO roles (name, description, builtin, created_at) VALUES ($1, $2, FALSE, $3) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(role.name)
        .bind(role.description)
        .bind(role.now)
        .fetch_one(conn)
        .await)?;
    replace_permissions(&mut conn, RoleId(id), role.permissions).await?;
    Ok(RoleId(id))
}

pub async fn update(
    conn: impl Into<Conn<'_>>,
    id: RoleId,
    role: &RoleWrite<'_>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        "UPDATE roles SET name = $2, description = $3 WHERE id = $1 AND builtin = FALSE";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(role.name).bind(role.description).execute(conn).await.map(|r| r.rows_affected()))?;
    replace_permissions(&mut conn, id, role.permissions).await
}

async fn replace_permissions(
    conn: impl Into<Conn<'_>>,
    id: RoleId,
    permissions: &PermissionSet,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const DELETE: &str = "DELETE FROM role_permissions WHERE role_id = $1";
    const INSERT: &str = "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)";
    on_conn!(conn.reborrow(), conn => sqlx::query(DELETE).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    for permission in permissions.iter() {
        on_conn!(conn.reborrow(), conn => sqlx::query(INSERT).bind(id.0).bind(permission.key()).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Deletes a custom role; answers how many rows went (0 when it is built-in or in use).
pub async fn delete_unused(conn: impl Into<Conn<'_>>, id: RoleId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "DELETE FROM roles WHERE id = $1 AND builtin = FALSE \
                       AND NOT EXISTS (SELECT 1 FROM users WHERE role_id = $1)";
    let done = on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
