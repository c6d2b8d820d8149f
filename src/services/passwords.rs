//! argon2id hashing, run off the async workers with a bound on how many hashes run at once, so a
//! flood of logins queues here instead of stalling page rendering.

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use super::Unexpected;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so that costs the same as a wrong password.
    dummy_hash: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("too many sign-ins at once")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

/// How long a login waits for a hashing slot before being told to retry.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Result<Self, Unexpected> {
        let dummy = hash_blocking("recoup-dummy-password-for-timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is no account, and
    /// answers false in that case.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, HashError> {
        let password = password.to_owned();
        let known = stored.is_some();
        let hash: String = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let matches = self
            .run(move || {
                Ok(Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, Unexpected> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = tokio::time::timeout(QUEUE_WAIT, self.permits.acquire())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Unexpected::Hashing(e.to_string()))?
            .map_err(HashError::from)
    }
}

fn hash_blocking(password: &str) -> Result<String, Unexpected> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Unexpected::Hashing(e.to_string()))
}
