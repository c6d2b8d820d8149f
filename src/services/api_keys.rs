//! Keys of the order API (SPEC 4.7): created by admins and shown once, stored hashed, revoked,
//! their last use recorded; and `Idempotency-Key` replay for the calls made with them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::{Db, DbError};
use crate::domain::FieldErrors;
use crate::domain::api_key::{
    ApiKey, ApiKeyName, GeneratedKey, IdempotencyKey, LAST_USED_GRANULARITY, PresentedKey,
    last_use_is_stale,
};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::ApiKeyId;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such API key.")]
    NotFound,
    #[error("This API key is already revoked.")]
    AlreadyRevoked,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(ApiKeyError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "api_key_not_found",
    AlreadyRevoked => Conflict, "api_key_revoked",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for ApiKeyError {
    fn from(e: DbError) -> Self {
        ApiKeyError::Unexpected(e.into())
    }
}

/// Why a request with an `Idempotency-Key` was not run and has no answer to replay.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error(
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."
    )]
    KeyReused,
    #[error(
        "The first request with this Idempotency-Key is still running. Try again in a few seconds."
    )]
    InProgress,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(IdempotencyError {
    KeyReused => Invalid, "idempotency_key_reused",
    InProgress => Conflict, "idempotency_key_in_progress",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for IdempotencyError {
    fn from(e: DbError) -> Self {
        IdempotencyError::Unexpected(e.into())
    }
}

/// A newly created key. `key` is the only copy there will ever be: show it once.
pub struct CreatedKey {
    pub id: ApiKeyId,
    pub name: String,
    pub key: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The live key an API call came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub id: ApiKeyId,
    pub name: String,
}

/// An answer of the API as stored for replay: status and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// True when this is the stored answer of an earlier request with the same key.
    pub replayed: bool,
}

/// How long a duplicate waits for the first request with its key to finish.
const WAIT_FOR_FIRST: StdDuration = StdDuration::from_secs(10);
/// A claim this old whose request never finished belonged to a process that died.
const ABANDONED_AFTER: Duration = Duration::seconds(60);
/// A key that collides with a stored prefix is drawn again, this many times at most.
const PREFIX_DRAWS: usize = 3;

fn snapshot(key: &ApiKey) -> Value {
    json!({ "name": key.name, "prefix": key.prefix, "revoked": key.is_revoked() })
}

#[derive(Clone)]
pub struct ApiKeyService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl ApiKeyService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl ApiKeyService {
    /// Every key, live ones first.
    pub async fn list(&self) -> Result<Vec<ApiKey>, Unexpected> {
        Ok(db::api_keys::list(&self.db).await?)
    }

    pub async fn find(&self, id: ApiKeyId) -> Result<ApiKey, ApiKeyError> {
        db::api_keys::find(&self.db, id)
            .await?
            .ok_or(ApiKeyError::NotFound)
    }

    /// Makes a key and stores its hash; the key itself is in the answer and nowhere else.
    pub async fn create(&self, actor: &Actor, name: &str) -> Result<CreatedKey, ApiKeyError> {
        let name = ApiKeyName::parse(name)
            .map_err(|e| ApiKeyError::Invalid(field_error("name", e.to_string())))?;
        let now = self.clock.now();
        for _ in 0..PREFIX_DRAWS {
            let mut random = [0u8; GeneratedKey::RANDOM_BYTES];
            getrandom::fill(&mut random).map_err(|e| Unexpected::Random(e.to_string()))?;
            let generated = GeneratedKey::from_random(&random);
            let write = db::api_keys::KeyWrite {
                name: name.as_str(),
                prefix: &generated.prefix,
                secret_hash: &generated.hash,
                created_by: actor.user_id,
                now,
            };
            let mut tx = self.db.begin().await?;
            let id = match db::api_keys::insert(&mut tx, &write).await {
                Ok(id) => id,
                Err(DbError::Unique { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let event = NewEvent {
                kind: EventKind::ApiKeyCreated,
                subject: Subject::ApiKey(id),
                change: Change::Created(json!({
                    "name": name.as_str(),
                    "prefix": generated.prefix,
                })),
            };
            db::events::insert_and_commit(tx, actor, &event, now).await?;
            return Ok(CreatedKey {
                id,
                name: name.to_string(),
                key: generated.key,
            });
        }
        Err(Unexpected::Random("every drawn key prefix was taken".into()).into())
    }

    /// Revokes a key: from now on it authenticates nothing.
    pub async fn revoke(&self, actor: &Actor, id: ApiKeyId) -> Result<(), ApiKeyError> {
        let before = self.find(id).await?;
        if before.is_revoked() {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !db::api_keys::revoke(&mut tx, id, now).await? {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        let after = ApiKey {
            revoked_at: Some(now),
            ..before.clone()
        };
        let event = NewEvent {
            kind: EventKind::ApiKeyRevoked,
            subject: Subject::ApiKey(id),
            change: Change::Updated {
                before: snapshot(&before),
                after: snapshot(&after),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// The live key `presented` is, or `None` (no such key, a wrong secret, revoked). Records
    /// the use, at most once a minute per key.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<KeyHolder>, Unexpected> {
        let Some(presented) = PresentedKey::parse(presented) else {
            return Ok(None);
        };
        let Some(stored) = db::api_keys::credential(&self.db, presented.prefix).await? else {
            return Ok(None);
        };
        if !presented.matches(&stored.secret_hash) || stored.revoked_at.is_some() {
            return Ok(None);
        }
        let id = ApiKeyId(stored.id);
        let now = self.clock.now();
        if last_use_is_stale(stored.last_used_at, now) {
            // The call itself must not fail because its bookkeeping could not be written.
            if let Err(e) =
                db::api_keys::touch(&self.db, id, now, now - LAST_USED_GRANULARITY).await
            {
                tracing::warn!(api_key = id.0, error = %e, "could not record the key's last use");
            }
        }
        Ok(Some(KeyHolder {
            id,
            name: stored.name,
        }))
    }

    /// Runs `work` once per (key, `idempotency_key`): the first request claims the key, runs,
    /// and stores its answer; a later request with the same fingerprint gets that answer again
    /// (waiting up to 10 s while the first still runs); one with another fingerprint is
    /// refused. An answer of 500 or more is not stored: the claim is released so a retry runs.
    pub async fn idempotent<F, Fut>(
        &self,
        key: ApiKeyId,
        idempotency_key: &IdempotencyKey,
        fingerprint: &str,
        work: F,
    ) -> Result<Answer, IdempotencyError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Answer>,
    {
        let idem = idempotency_key.as_str();
        let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
        let mut pause = StdDuration::from_millis(10);
        loop {
            let now = self.clock.now();
            if db::api_requests::claim(&self.db, key, idem, fingerprint, now).await? {
                return Ok(self.run_claimed(key, idem, work).await);
            }
            if let Some(stored) = db::api_requests::find(&self.db, key, idem).await? {
                if stored.request_hash != fingerprint {
                    return Err(IdempotencyError::KeyReused);
                }
                if let Some(status) = stored.status {
                    return Ok(replay(key, status, stored.response_body)?);
                }
                let abandoned_before = now - ABANDONED_AFTER;
                if stored.created_at < abandoned_before
                    && db::api_requests::take_over(&self.db, key, idem, abandoned_before, now)
                        .await?
                {
                    tracing::warn!(
                        api_key = key.0,
                        "taking over an Idempotency-Key whose first request never finished"
                    );
                    return Ok(self.run_claimed(key, idem, work).await);
                }
            }
            // Still running (or released a moment ago: the next round claims it).
            if tokio::time::Instant::now() + pause > deadline {
                return Err(IdempotencyError::InProgress);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(StdDuration::from_millis(200));
        }
    }

    /// Runs `work` under a claim this request holds and stores (or releases) the claim.
    async fn run_claimed<F, Fut>(&self, key: ApiKeyId, idem: &str, work: F) -> Answer
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Answer>,
    {
        let mut claim = Claim {
            db: self.db.clone(),
            key,
            idem: idem.to_owned(),
            open: true,
        };
        let answer = work().await;
        claim.open = false;
        let stored = if answer.status >= 500 {
            db::api_requests::release(&self.db, key, idem).await
        } else {
            db::api_requests::finish(&self.db, key, idem, answer.status, &answer.body).await
        };
        if let Err(e) = stored {
            // The work is done and its answer goes to the client all the same; a retry waits
            // and, once the claim counts as abandoned, runs again.
            tracing::error!(api_key = key.0, error = %e, "could not store an idempotent answer");
        }
        answer
    }
}

fn replay(key: ApiKeyId, status: i64, body: Option<String>) -> Result<Answer, DbError> {
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| DbError::corrupt("api_requests", key.0, "status", status))?;
    let body =
        body.ok_or_else(|| DbError::corrupt("api_requests", key.0, "response_body", "NULL"))?;
    Ok(Answer {
        status,
        body,
        replayed: true,
    })
}

/// A claim whose request was dropped half-way (the client went away and the server dropped the
/// handler) is released, so a retry does not wait for it to be counted as abandoned.
struct Claim {
    db: Db,
    key: ApiKeyId,
    idem: String,
    open: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (db, key, idem) = (self.db.clone(), self.key, std::mem::take(&mut self.idem));
        runtime.spawn(async move {
            if let Err(e) = db::api_requests::release(&db, key, &idem).await {
                tracing::warn!(api_key = key.0, error = %e, "could not release an abandoned claim");
            }
        });
    }
}
