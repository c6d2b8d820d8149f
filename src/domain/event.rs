//! The event log (SPEC R-AU-5): who did what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde_json::Value;

use std::fmt;

use super::ids::{EventId, MappingId, MidId, ProfileId, RecycleProfileId, RoleId, UserId};

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

/// What an event is about; stored as `mid:12`, `user:3`, ... so the log can be filtered by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(UserId),
    Role(RoleId),
    Mid(MidId),
    RoutingProfile(ProfileId),
    DeclineMapping(MappingId),
    RecycleProfile(RecycleProfileId),
    /// A sign-in attempt, by the email typed (the user may not exist).
    Email(String),
    /// The encryption key credentials were re-sealed under.
    SecretKey(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(id) => write!(f, "user:{id}"),
            Subject::Role(id) => write!(f, "role:{id}"),
            Subject::Mid(id) => write!(f, "mid:{id}"),
            Subject::RoutingProfile(id) => write!(f, "routing_profile:{id}"),
            Subject::DeclineMapping(id) => write!(f, "decline_mapping:{id}"),
            Subject::RecycleProfile(id) => write!(f, "recycle_profile:{id}"),
            Subject::Email(email) => write!(f, "email:{email}"),
            Subject::SecretKey(key) => write!(f, "key:{key}"),
        }
    }
}

/// What happened to the subject: a record created, updated (before and after), deleted, or an
/// action that changes no record of its own (a sign-in, a password reset, a key rotation).
#[derive(Debug, Clone)]
pub enum Change {
    Created(Value),
    Updated { before: Value, after: Value },
    Deleted(Value),
    Action(Option<Value>),
}

impl Change {
    pub fn before(&self) -> Option<&Value> {
        match self {
            Change::Updated { before, .. } | Change::Deleted(before) => Some(before),
            Change::Created(_) | Change::Action(_) => None,
        }
    }

    pub fn after(&self) -> Option<&Value> {
        match self {
            Change::Created(after) | Change::Updated { after, .. } => Some(after),
            Change::Action(detail) => detail.as_ref(),
            Change::Deleted(_) => None,
        }
    }
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub subject: Subject,
    pub change: Change,
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
