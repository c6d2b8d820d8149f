//! Roles: built-ins are read-only; admins build custom roles from the fixed permission list.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::ceiling::Overreach;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::RoleId;
use crate::domain::user::{Role, RoleDraft};

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such role.")]
    NotFound,
    #[error("Built-in roles cannot be changed.")]
    BuiltinReadOnly,
    #[error("{0} user(s) have this role. Give them another role first.")]
    InUse(i64),
    /// R-AU-6: the actor would grant what they do not hold, or edit their own role.
    #[error(transparent)]
    Overreach(#[from] Overreach),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(RoleError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "role_not_found",
    BuiltinReadOnly => Conflict, "role_builtin",
    InUse(_) => Conflict, "role_in_use",
    Overreach(_) => Forbidden, "beyond_your_role",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<crate::db::DbError> for RoleError {
    fn from(e: crate::db::DbError) -> Self {
        RoleError::Unexpected(e.into())
    }
}

fn snapshot(name: &str, description: &str, role_permissions: &[&str]) -> Value {
    json!({ "name": name, "description": description, "permissions": role_permissions })
}

fn name_taken() -> RoleError {
    let mut errors = FieldErrors::default();
    errors.push("name", "A role with this name already exists.");
    RoleError::Invalid(errors)
}

/// Roles: custom roles from the fixed permission list.
#[derive(Clone)]
pub struct RoleService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl RoleService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl RoleService {
    pub async fn list(&self) -> Result<Vec<Role>, Unexpected> {
        Ok(db::roles::list(&self.db).await?)
    }

    /// The roles `actor` may give someone (R-AU-6), for the pickers; the service checks again.
    pub async fn grantable_by(&self, actor: &Actor) -> Result<Vec<Role>, Unexpected> {
        let grantor = super::users::grantor(&self.db, actor).await?;
        let mut roles = self.list().await?;
        roles.retain(|role| {
            let reach = crate::domain::ceiling::RoleReach::new(role.builtin, &role.permissions);
            grantor.may_reach(reach).is_ok()
        });
        Ok(roles)
    }

    pub async fn find(&self, id: RoleId) -> Result<Role, RoleError> {
        db::roles::find(&self.db, id)
            .await?
            .ok_or(RoleError::NotFound)
    }

    pub async fn create(&self, actor: &Actor, draft: &RoleDraft) -> Result<RoleId, RoleError> {
        super::users::grantor(&self.db, actor)
            .await?
            .may_grant(&draft.permissions)?;
        let now = self.clock.now();
        let write = db::roles::RoleWrite {
            name: draft.name.as_str(),
            description: &draft.description,
            permissions: &draft.permissions,
            now,
        };
        let mut tx = self.db.begin().await?;
        let id = match db::roles::insert(&mut tx, &write).await {
            Ok(id) => id,
            Err(e) if e.is_unique(db::Constraint::RoleName) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        };
        let after = snapshot(write.name, write.description, &draft.permissions.keys());
        let event = NewEvent {
            kind: EventKind::RoleCreated,
            subject: Subject::Role(id),
            change: Change::Created(after),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: RoleId,
        draft: &RoleDraft,
    ) -> Result<(), RoleError> {
        let before = self.find(id).await?;
        if before.builtin.is_some() {
            return Err(RoleError::BuiltinReadOnly);
        }
        let grantor = super::users::grantor(&self.db, actor).await?;
        grantor.may_edit_role(id, &before.permissions)?;
        grantor.may_grant(&draft.permissions)?;
        let now = self.clock.now();
        let write = db::roles::RoleWrite {
            name: draft.name.as_str(),
            description: &draft.description,
            permissions: &draft.permissions,
            now,
        };
        let mut tx = self.db.begin().await?;
        match db::roles::update(&mut tx, id, &write).await {
            Ok(()) => {}
            Err(e) if e.is_unique(db::Constraint::RoleName) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent {
            kind: EventKind::RoleUpdated,
            subject: Subject::Role(id),
            change: Change::Updated {
                before: snapshot(
                    &before.name,
                    &before.description,
                    &before.permissions.keys(),
                ),
                after: snapshot(write.name, write.description, &draft.permissions.keys()),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    pub async fn delete(&self, actor: &Actor, id: RoleId) -> Result<(), RoleError> {
        let role = self.find(id).await?;
        if role.builtin.is_some() {
            return Err(RoleError::BuiltinReadOnly);
        }
        super::users::grantor(&self.db, actor)
            .await?
            .may_edit_role(id, &role.permissions)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // The delete itself re-checks "unused", so a user given this role meanwhile keeps it.
        if db::roles::delete_unused(&mut tx, id).await? == 0 {
            return Err(RoleError::InUse(role.user_count.max(1)));
        }
        let event = NewEvent {
            kind: EventKind::RoleDeleted,
            subject: Subject::Role(id),
            change: Change::Deleted(snapshot(
                &role.name,
                &role.description,
                &role.permissions.keys(),
            )),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
