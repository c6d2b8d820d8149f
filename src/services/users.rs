//! Managing users (admin pages and the CLI). Every change is written to the event log in the
//! same transaction.

use std::sync::Arc;

use serde_json::{Value, json};

use super::passwords::HashError;
use super::passwords::PasswordHasher;
use super::{Unexpected, random_token, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::ceiling::{Grantor, Overreach, RoleReach};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::permission::BuiltinRole;
use crate::domain::user::{NewUser, Password, RoleName, User};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such user.")]
    NotFound,
    #[error("{0}")]
    Refused(&'static str),
    /// R-AU-6: the actor would reach above their own role.
    #[error(transparent)]
    Overreach(#[from] Overreach),
    #[error("The server is busy. Try again in a moment.")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(UserError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "user_not_found",
    Refused(_) => Conflict, "user_change_refused",
    Overreach(_) => Forbidden, "beyond_your_role",
    Busy => Busy, "busy",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<crate::db::DbError> for UserError {
    fn from(e: crate::db::DbError) -> Self {
        UserError::Unexpected(e.into())
    }
}

impl From<HashError> for UserError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => UserError::Busy,
            HashError::Unexpected(u) => UserError::Unexpected(u),
        }
    }
}

fn field(field: &'static str, message: &str) -> UserError {
    let mut errors = FieldErrors::default();
    errors.push(field, message);
    UserError::Invalid(errors)
}

/// What the event log keeps of a user; never the password hash.
fn snapshot(user: &User) -> Value {
    json!({ "email": user.email, "name": user.name, "role": user.role_name, "active": user.active })
}

const LAST_ADMIN: &str = "At least one active admin must remain.";

/// Users: create, change role, disable, reset password.
#[derive(Clone)]
pub struct UserService {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
}

impl UserService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>, hasher: PasswordHasher) -> Self {
        Self { db, clock, hasher }
    }
}

impl UserService {
    pub async fn list(
        &self,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<User>, Unexpected> {
        Ok(db::users::list(&self.db, search, page).await?)
    }

    pub async fn find(&self, id: UserId) -> Result<User, UserError> {
        db::users::find(&self.db, id)
            .await?
            .ok_or(UserError::NotFound)
    }

    pub async fn create(&self, actor: &Actor, new: NewUser) -> Result<User, UserError> {
        let role = db::roles::find_by_name(&self.db, new.role.as_str())
            .await?
            .ok_or_else(|| {
                field(
                    "role",
                    &format!("There is no role named `{}`.", new.role.as_str()),
                )
            })?;
        grantor(&self.db, actor)
            .await?
            .may_reach(RoleReach::new(role.builtin, &role.permissions))?;
        let hash = self.hasher.hash(new.password.expose()).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let insert = db::users::NewUser {
            email: new.email.as_str(),
            name: new.name.as_str(),
            password_hash: &hash,
            role_id: role.id,
            now,
        };
        let id = match db::users::insert(&mut tx, &insert).await {
            Ok(id) => id,
            Err(e) if e.is_unique(db::Constraint::UserEmail) => {
                return Err(field("email", "A user with this email already exists."));
            }
            Err(e) => return Err(e.into()),
        };
        let user = db::users::find(&mut tx, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let event = NewEvent {
            kind: EventKind::UserCreated,
            subject: Subject::User(id),
            change: Change::Created(snapshot(&user)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(user)
    }

    /// Gives a user another role; effective on their next request, since permissions are read
    /// per request.
    pub async fn change_role(
        &self,
        actor: &Actor,
        id: UserId,
        role_name: &RoleName,
    ) -> Result<User, UserError> {
        let role = db::roles::find_by_name(&self.db, role_name.as_str())
            .await?
            .ok_or_else(|| {
                field(
                    "role",
                    &format!("There is no role named `{}`.", role_name.as_str()),
                )
            })?;
        if actor.user_id == Some(id) {
            return Err(UserError::Refused("You cannot change your own role."));
        }
        let grantor = grantor(&self.db, actor).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::users::find(&mut tx, id)
            .await?
            .ok_or(UserError::NotFound)?;
        self.may_manage(&grantor, &before).await?;
        grantor.may_reach(RoleReach::new(role.builtin, &role.permissions))?;
        if before.role_id == role.id {
            return Ok(before);
        }
        self.keep_an_admin(&mut tx, &before).await?;
        db::users::set_role(&mut tx, id, role.id, now).await?;
        let after = db::users::find(&mut tx, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let event = NewEvent {
            kind: EventKind::UserRoleChanged,
            subject: Subject::User(id),
            change: Change::Updated {
                before: snapshot(&before),
                after: snapshot(&after),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(after)
    }

    /// Disables or re-enables a user. Disabling ends every session of theirs at once.
    pub async fn set_active(
        &self,
        actor: &Actor,
        id: UserId,
        active: bool,
    ) -> Result<User, UserError> {
        if actor.user_id == Some(id) && !active {
            return Err(UserError::Refused("You cannot disable your own account."));
        }
        let grantor = grantor(&self.db, actor).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::users::find(&mut tx, id)
            .await?
            .ok_or(UserError::NotFound)?;
        self.may_manage(&grantor, &before).await?;
        if before.active == active {
            return Ok(before);
        }
        if !active {
            self.keep_an_admin(&mut tx, &before).await?;
            db::sessions::delete_for_user(&mut tx, id).await?;
        }
        db::users::set_active(&mut tx, id, active, now).await?;
        let after = db::users::find(&mut tx, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let kind = if active {
            EventKind::UserEnabled
        } else {
            EventKind::UserDisabled
        };
        let event = NewEvent {
            kind,
            subject: Subject::User(id),
            change: Change::Updated {
                before: snapshot(&before),
                after: snapshot(&after),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(after)
    }

    /// Sets a new random password, shown once to the admin, and signs the user out everywhere.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: UserId,
    ) -> Result<(User, String), UserError> {
        let user = self.find(id).await?;
        self.may_manage(&grantor(&self.db, actor).await?, &user)
            .await?;
        let password = generate_password()?;
        let hash = self.hasher.hash(&password).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        db::users::set_password(&mut tx, id, &hash, now).await?;
        db::sessions::delete_for_user(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventKind::UserPasswordReset,
            subject: Subject::User(id),
            change: Change::Action(Some(json!({ "password": "(new password set, not shown)" }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok((user, password))
    }

    /// Refuses to act on a user whose role holds more than the grantor's (R-AU-6).
    async fn may_manage(&self, grantor: &Grantor, user: &User) -> Result<(), UserError> {
        let held = db::roles::permissions_for_role(&self.db, user.role_id, &user.role_name).await?;
        let builtin = BuiltinRole::from_name(&user.role_name);
        grantor.may_reach(RoleReach::new(builtin, &held))?;
        Ok(())
    }

    /// Refuses a change that would leave no active admin.
    async fn keep_an_admin(&self, tx: &mut db::Tx, user: &User) -> Result<(), UserError> {
        if user.role_name == BuiltinRole::Admin.name()
            && user.active
            && db::users::count_active_with_role(&mut *tx, user.role_id).await? <= 1
        {
            return Err(UserError::Refused(LAST_ADMIN));
        }
        Ok(())
    }
}

/// A random password that passes the policy: 4 groups of 5 hex characters.
pub fn generate_password() -> Result<String, Unexpected> {
    loop {
        let raw = random_token(10)?;
        let candidate: Vec<&str> = [&raw[0..5], &raw[5..10], &raw[10..15], &raw[15..20]].to_vec();
        let candidate = candidate.join("-");
        if Password::parse(&candidate, None).is_ok() {
            return Ok(candidate);
        }
    }
}

/// The actor as a grantor (R-AU-6), with their role as the database has it now: a role
/// changed a moment ago counts, not the one they signed in with.
pub(super) async fn grantor(db: &Db, actor: &Actor) -> Result<Grantor, Unexpected> {
    let Some(user_id) = actor.user_id else {
        return Ok(Grantor::Operator);
    };
    let Some(user) = db::users::find(db, user_id).await? else {
        return Ok(Grantor::Gone);
    };
    let builtin = BuiltinRole::from_name(&user.role_name);
    let permissions = db::roles::permissions_for_role(db, user.role_id, &user.role_name).await?;
    Ok(Grantor::User {
        role_id: user.role_id,
        is_admin: builtin == Some(BuiltinRole::Admin),
        permissions,
    })
}
