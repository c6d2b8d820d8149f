//! The event log (SPEC R-AU-5): who did what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ids::{EventId, UserId};

/// Every kind of event; the key is what the log stores and the filter offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    LoginSucceeded,
    LoginFailed,
    Logout,
    UserCreated,
    UserRoleChanged,
    UserDisabled,
    UserEnabled,
    UserPasswordReset,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    MidCreated,
    MidUpdated,
    MidEnabled,
    MidDisabled,
    MidDeleted,
    SecretsRotated,
    ProfileCreated,
    ProfileUpdated,
    ProfileDeleted,
    MappingCreated,
    MappingUpdated,
    MappingDeleted,
    RecycleProfileCreated,
    RecycleProfileUpdated,
    RecycleProfileDeleted,
}

impl EventKind {
    pub const ALL: [EventKind; 26] = [
        EventKind::LoginSucceeded,
        EventKind::LoginFailed,
        EventKind::Logout,
        EventKind::UserCreated,
        EventKind::UserRoleChanged,
        EventKind::UserDisabled,
        EventKind::UserEnabled,
        EventKind::UserPasswordReset,
        EventKind::RoleCreated,
        EventKind::RoleUpdated,
        EventKind::RoleDeleted,
        EventKind::MidCreated,
        EventKind::MidUpdated,
        EventKind::MidEnabled,
        EventKind::MidDisabled,
        EventKind::MidDeleted,
        EventKind::SecretsRotated,
        EventKind::ProfileCreated,
        EventKind::ProfileUpdated,
        EventKind::ProfileDeleted,
        EventKind::MappingCreated,
        EventKind::MappingUpdated,
        EventKind::MappingDeleted,
        EventKind::RecycleProfileCreated,
        EventKind::RecycleProfileUpdated,
        EventKind::RecycleProfileDeleted,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EventKind::LoginSucceeded => "login.succeeded",
            EventKind::LoginFailed => "login.failed",
            EventKind::Logout => "logout",
            EventKind::UserCreated => "user.created",
            EventKind::UserRoleChanged => "user.role_changed",
            EventKind::UserDisabled => "user.disabled",
            EventKind::UserEnabled => "user.enabled",
            EventKind::UserPasswordReset => "user.password_reset",
            EventKind::RoleCreated => "role.created",
            EventKind::RoleUpdated => "role.updated",
            EventKind::RoleDeleted => "role.deleted",
            EventKind::MidCreated => "mid.created",
            EventKind::MidUpdated => "mid.updated",
            EventKind::MidEnabled => "mid.enabled",
            EventKind::MidDisabled => "mid.disabled",
            EventKind::MidDeleted => "mid.deleted",
            EventKind::SecretsRotated => "secrets.rotated",
            EventKind::ProfileCreated => "routing_profile.created",
            EventKind::ProfileUpdated => "routing_profile.updated",
            EventKind::ProfileDeleted => "routing_profile.deleted",
            EventKind::MappingCreated => "decline_mapping.created",
            EventKind::MappingUpdated => "decline_mapping.updated",
            EventKind::MappingDeleted => "decline_mapping.deleted",
            EventKind::RecycleProfileCreated => "recycle_profile.created",
            EventKind::RecycleProfileUpdated => "recycle_profile.updated",
            EventKind::RecycleProfileDeleted => "recycle_profile.deleted",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
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
