//! The event log (SPEC R-AU-5): who did what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ids::{EventId, UserId};

/// Every kind of event; the key is what the log stores and the filter offers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum EventKind {
    #[strum(serialize = "login.succeeded")]
    LoginSucceeded,
    #[strum(serialize = "login.failed")]
    LoginFailed,
    #[strum(serialize = "logout")]
    Logout,
    #[strum(serialize = "user.created")]
    UserCreated,
    #[strum(serialize = "user.role_changed")]
    UserRoleChanged,
    #[strum(serialize = "user.disabled")]
    UserDisabled,
    #[strum(serialize = "user.enabled")]
    UserEnabled,
    #[strum(serialize = "user.password_reset")]
    UserPasswordReset,
    #[strum(serialize = "role.created")]
    RoleCreated,
    #[strum(serialize = "role.updated")]
    RoleUpdated,
    #[strum(serialize = "role.deleted")]
    RoleDeleted,
    #[strum(serialize = "mid.created")]
    MidCreated,
    #[strum(serialize = "mid.updated")]
    MidUpdated,
    #[strum(serialize = "mid.enabled")]
    MidEnabled,
    #[strum(serialize = "mid.disabled")]
    MidDisabled,
    #[strum(serialize = "mid.deleted")]
    MidDeleted,
    #[strum(serialize = "secrets.rotated")]
    SecretsRotated,
    #[strum(serialize = "routing_profile.created")]
    ProfileCreated,
    #[strum(serialize = "routing_profile.updated")]
    ProfileUpdated,
    #[strum(serialize = "routing_profile.deleted")]
    ProfileDeleted,
    #[strum(serialize = "decline_mapping.created")]
    MappingCreated,
    #[strum(serialize = "decline_mapping.updated")]
    MappingUpdated,
    #[strum(serialize = "decline_mapping.deleted")]
    MappingDeleted,
    #[strum(serialize = "recycle_profile.created")]
    RecycleProfileCreated,
    #[strum(serialize = "recycle_profile.updated")]
    RecycleProfileUpdated,
    #[strum(serialize = "recycle_profile.deleted")]
    RecycleProfileDeleted,
}

impl EventKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// Who acted: a signed-in user, or a person at the login form who is not signed in yet.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_owned(),
            ip: None,
        }
    }
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub subject: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// An event as stored.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    pub kind: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub ip: Option<String>,
}

/// Filters of the event log page; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub actor_id: Option<UserId>,
    pub kind: Option<EventKind>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}
