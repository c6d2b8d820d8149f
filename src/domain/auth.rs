//! Who is making a request, and the rules of a session's life (SPEC R-AU-1, R-AU-4).

use chrono::{DateTime, Duration, Utc};

use super::ids::UserId;
use super::permission::{Permission, PermissionSet};

/// The signed-in user behind a request, loaded fresh from the database on every request so a
/// role change or a disabled account takes effect at once.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role_name: String,
    pub permissions: PermissionSet,
}

impl Viewer {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }
}

/// How long sessions live and how hard failed logins are throttled.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_timeout: Duration,
    pub absolute_lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_lifetime: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    pub fn is_expired(
        &self,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - last_seen_at > self.idle_timeout || now - created_at > self.absolute_lifetime
    }
}

/// Lockout rules: an account locks after `MAX_ACCOUNT_FAILURES` failures within `WINDOW`; one
/// address is refused after `MAX_ADDRESS_FAILURES` failures within the same window.
pub struct LoginThrottle;

impl LoginThrottle {
    pub const WINDOW_MINUTES: i64 = 15;
    pub const MAX_ACCOUNT_FAILURES: i64 = 5;
    pub const MAX_ADDRESS_FAILURES: i64 = 30;

    pub fn window() -> Duration {
        Duration::minutes(Self::WINDOW_MINUTES)
    }
}
