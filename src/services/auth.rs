//! Signing in and out, and resuming a session on each request (SPEC R-AU-1, R-AU-4).

use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::passwords::HashError;
use super::passwords::PasswordHasher;
use super::{Unexpected, random_token};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::auth::SessionPolicy;
use crate::domain::auth::{LoginThrottle, Viewer};
use crate::domain::contact::Email;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email, wrong password and disabled account all look the same from outside.
    #[error("The email or password is not right.")]
    InvalidCredentials,
    #[error(
        "Too many failed sign-ins for this account. Try again in {} minutes.",
        LoginThrottle::WINDOW_MINUTES
    )]
    AccountLocked,
    #[error(
        "Too many failed sign-ins from your network. Try again in {} minutes.",
        LoginThrottle::WINDOW_MINUTES
    )]
    AddressThrottled,
    #[error("The server is busy signing other people in. Try again in a moment.")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl From<crate::db::DbError> for LoginError {
    fn from(e: crate::db::DbError) -> Self {
        LoginError::Unexpected(e.into())
    }
}

impl From<HashError> for LoginError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => LoginError::Busy,
            HashError::Unexpected(u) => LoginError::Unexpected(u),
        }
    }
}

/// The secret a browser holds; only its hash is stored.
pub struct SessionToken(String);

impl SessionToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
}

/// Signing in and out, and resuming sessions.
#[derive(Clone)]
pub struct AuthService {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    session_policy: SessionPolicy,
}

impl AuthService {
    pub(super) fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        session_policy: SessionPolicy,
    ) -> Self {
        Self {
            db,
            clock,
            hasher,
            session_policy,
        }
    }
}

impl AuthService {
    /// Checks the throttles, then the password; on success opens a new server-side session.
    pub async fn login(
        &self,
        attempt: &LoginAttempt<'_>,
    ) -> Result<(SessionToken, Viewer), LoginError> {
        let now = self.clock.now();
        // An email that does not parse still counts against its exact text, so probing with
        // variants of one address is throttled too.
        let email = Email::parse(attempt.email)
            .map_or_else(|_| attempt.email.trim().to_lowercase(), |e| e.to_string());
        let actor = Actor {
            user_id: None,
            label: email.clone(),
            ip: Some(attempt.ip.to_owned()),
            api_key_id: None,
        };

        let attempt_id = match self.reserve_login(&email, attempt.ip).await? {
            Ok(id) => id,
            Err(refused) => {
                let reason = match refused {
                    LoginError::AddressThrottled => "address throttled",
                    _ => "account locked",
                };
                self.record_failed_login(&actor, reason).await?;
                return Err(refused);
            }
        };

        let credentials = db::users::credentials(&self.db, &email).await?;
        let matches = self
            .hasher
            .verify(
                attempt.password,
                credentials.as_ref().map(|c| c.password_hash.as_str()),
            )
            .await?;
        let user = match credentials {
            Some(c) if matches && c.active => c,
            other => {
                let reason = match other {
                    None => "unknown email",
                    Some(c) if !c.active => "account disabled",
                    Some(_) => "wrong password",
                };
                self.record_failed_login(&actor, reason).await?;
                return Err(LoginError::InvalidCredentials);
            }
        };

        let token = SessionToken(random_token(32)?);
        let user_id = crate::domain::ids::UserId(user.id);
        let mut tx = self.db.begin().await?;
        db::sessions::insert(
            &mut tx,
            &token_hash(token.as_str()),
            user_id,
            Some(attempt.ip),
            now,
        )
        .await?;
        db::users::set_last_login(&mut tx, user_id, now).await?;
        let actor = Actor {
            user_id: Some(user_id),
            ..actor
        };
        let event = NewEvent {
            kind: EventKind::LoginSucceeded,
            subject: Subject::User(user_id),
            change: Change::Action(None),
        };
        db::events::insert_and_commit(tx, &actor, &event, now).await?;
        db::login_attempts::mark_succeeded(&self.db, attempt_id).await?;

        let viewer = self
            .resume_session(token.as_str())
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        Ok((token, viewer))
    }

    /// Counts this attempt before its password is checked (R-AU-4): under the address's and the
    /// account's lock rows, refuses it when either limit is reached, and otherwise records it as
    /// a failure until it succeeds. So of any number of concurrent attempts, at most the limit
    /// reach the (slow) password check; the rest are refused at once.
    async fn reserve_login(
        &self,
        email: &str,
        ip: &str,
    ) -> Result<Result<i64, LoginError>, crate::db::DbError> {
        let now = self.clock.now();
        let since = now - LoginThrottle::window();
        let mut tx = self.db.begin().await?;
        db::login_attempts::lock_key(&mut tx, &format!("ip:{ip}"), now).await?;
        db::login_attempts::lock_key(&mut tx, &format!("email:{email}"), now).await?;
        if db::login_attempts::address_failures_since(&mut tx, ip, since).await?
            >= LoginThrottle::MAX_ADDRESS_FAILURES
        {
            return Ok(Err(LoginError::AddressThrottled));
        }
        if db::login_attempts::account_failures_since(&mut tx, email, since).await?
            >= LoginThrottle::MAX_ACCOUNT_FAILURES
        {
            return Ok(Err(LoginError::AccountLocked));
        }
        let id = db::login_attempts::insert_pending(&mut tx, email, ip, now).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    async fn record_failed_login(
        &self,
        actor: &Actor,
        reason: &str,
    ) -> Result<(), crate::db::DbError> {
        let event = NewEvent {
            kind: EventKind::LoginFailed,
            subject: Subject::Email(actor.label.clone()),
            change: Change::Action(Some(json!({ "reason": reason }))),
        };
        db::events::insert_alone(&self.db, actor, &event, self.clock.now()).await
    }

    /// The viewer behind a session token, or `None` when the session is unknown, expired, or its
    /// user is disabled; an expired session is deleted. Role and permissions are read fresh.
    pub async fn resume_session(&self, token: &str) -> Result<Option<Viewer>, Unexpected> {
        let hash = token_hash(token);
        let Some(row) = db::sessions::find(&self.db, &hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !row.active
            || self
                .session_policy
                .is_expired(row.created_at, row.last_seen_at, now)
        {
            db::sessions::delete(&self.db, &hash).await?;
            return Ok(None);
        }
        // Writing on every request would make reads contend on SQLite; a minute's precision is
        // plenty for a 30-minute idle timeout.
        if now - row.last_seen_at > chrono::Duration::minutes(1) {
            db::sessions::touch(&self.db, &hash, now).await?;
        }
        let permissions =
            db::roles::permissions_for_role(&self.db, row.role_id(), &row.role_name).await?;
        Ok(Some(Viewer {
            user_id: row.user_id(),
            email: row.email,
            name: row.name,
            role_name: row.role_name,
            permissions,
        }))
    }

    /// Ends one session: the token stops working at once, wherever it is replayed from.
    pub async fn logout(
        &self,
        token: &str,
        viewer: &Viewer,
        ip: Option<&str>,
    ) -> Result<(), Unexpected> {
        db::sessions::delete(&self.db, &token_hash(token)).await?;
        let actor = Actor::from_viewer(viewer, ip);
        let event = NewEvent {
            kind: EventKind::Logout,
            subject: Subject::User(viewer.user_id),
            change: Change::Action(None),
        };
        db::events::insert_alone(&self.db, &actor, &event, self.clock.now()).await?;
        Ok(())
    }

    /// Housekeeping: drops expired sessions and old login attempts.
    pub async fn prune_sessions(&self) -> Result<u64, Unexpected> {
        let now = self.clock.now();
        let policy = self.session_policy;
        let sessions = db::sessions::delete_expired(
            &self.db,
            now - policy.idle_timeout,
            now - policy.absolute_lifetime,
        )
        .await?;
        let attempts =
            db::login_attempts::delete_before(&self.db, now - chrono::Duration::days(30)).await?;
        Ok(sessions + attempts)
    }
}

impl Actor {
    pub fn from_viewer(viewer: &Viewer, ip: Option<&str>) -> Self {
        Actor {
            user_id: Some(viewer.user_id),
            label: viewer.email.clone(),
            ip: ip.map(str::to_owned),
            api_key_id: None,
        }
    }
}
