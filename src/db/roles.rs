//! The `roles` and `role_permissions` tables. Built-in roles keep their permissions in code.

use chrono::{DateTime, Utc};

use super::{Db, Tx, on_db, on_tx};
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

async fn permissions_of(db: &Db, role: RoleId) -> Result<PermissionSet, sqlx::Error> {
    const SQL: &str = "SELECT permission FROM role_permissions WHERE role_id = $1";
    let keys: Vec<String> =
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(role.0).fetch_all(pool).await)?;
    // A key no longer in the fixed list grants nothing.
    Ok(keys
        .iter()
        .filter_map(|k| Permission::from_key(k))
        .collect())
}

async fn resolve(db: &Db, row: RoleRow) -> Result<Role, sqlx::Error> {
    let builtin = BuiltinRole::from_name(&row.name);
    let permissions = match builtin {
        Some(b) => b.permissions(),
        None => permissions_of(db, RoleId(row.id)).await?,
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
pub async fn list(db: &Db) -> Result<Vec<Role>, sqlx::Error> {
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " ORDER BY r.builtin DESC, r.id");
    let rows: Vec<RoleRow> = on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    let mut roles = Vec::with_capacity(rows.len());
    for row in rows {
        roles.push(resolve(db, row).await?);
    }
    Ok(roles)
}

pub async fn find(db: &Db, id: RoleId) -> Result<Option<Role>, sqlx::Error> {
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " WHERE r.id = $1");
    let row: Option<RoleRow> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(id.0).fetch_optional(pool).await)?;
    match row {
        Some(row) => Ok(Some(resolve(db, row).await?)),
        None => Ok(None),
    }
}

pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<Role>, sqlx::Error> {
    const SQL: &str = const_format::concatcp!(SELECT_ROLES, " WHERE r.name = $1");
    let row: Option<RoleRow> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(name).fetch_optional(pool).await)?;
    match row {
        Some(row) => Ok(Some(resolve(db, row).await?)),
        None => Ok(None),
    }
}

/// The permissions of one user's role, read on every request.
pub async fn permissions_for_role(
    db: &Db,
    role: RoleId,
    role_name: &str,
) -> Result<PermissionSet, sqlx::Error> {
    match BuiltinRole::from_name(role_name) {
        Some(b) => Ok(b.permissions()),
        None => permissions_of(db, role).await,
    }
}

pub struct RoleWrite<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permissions: &'a PermissionSet,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, role: &RoleWrite<'_>) -> Result<RoleId, sqlx::Error> {
    const SQL: &str = "INSERT INTO roles (name, description, builtin, created_at) VALUES ($1, $2, FALSE, $3) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(role.name)
        .bind(role.description)
        .bind(role.now)
        .fetch_one(conn)
        .await)?;
    replace_permissions(tx, RoleId(id), role.permissions).await?;
    Ok(RoleId(id))
}

pub async fn update(tx: &mut Tx, id: RoleId, role: &RoleWrite<'_>) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "UPDATE roles SET name = $2, description = $3 WHERE id = $1 AND builtin = FALSE";
    on_tx!(tx, conn => sqlx::query(SQL).bind(id.0).bind(role.name).bind(role.description).execute(conn).await.map(|r| r.rows_affected()))?;
    replace_permissions(tx, id, role.permissions).await
}

async fn replace_permissions(
    tx: &mut Tx,
    id: RoleId,
    permissions: &PermissionSet,
) -> Result<(), sqlx::Error> {
    const DELETE: &str = "DELETE FROM role_permissions WHERE role_id = $1";
    const INSERT: &str = "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)";
    on_tx!(tx, conn => sqlx::query(DELETE).bind(id.0).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    for permission in permissions.iter() {
        on_tx!(tx, conn => sqlx::query(INSERT).bind(id.0).bind(permission.key()).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Deletes a custom role; answers how many rows went (0 when it is built-in or in use).
pub async fn delete_unused(tx: &mut Tx, id: RoleId) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM roles WHERE id = $1 AND builtin = FALSE \
                       AND NOT EXISTS (SELECT 1 FROM users WHERE role_id = $1)";
    let done = on_tx!(tx, conn => sqlx::query(SQL).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
