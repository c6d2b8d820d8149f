//! Use cases. Every rule of SPEC.md section 4 lives here, and this is the only layer that changes
//! data. Functions take parsed domain types and return errors named for what went wrong.

pub mod auth;
pub mod dashboard;
pub mod declines;
pub mod demo;
pub mod events;
pub mod mids;
pub mod passwords;
pub mod recycle;
pub mod roles;
pub mod routing;
pub mod users;

use std::sync::Arc;

use crate::clock::Clock;
use crate::crypto::SecretCipher;
use crate::db::Db;
use crate::domain::auth::SessionPolicy;
use passwords::PasswordHasher;

/// What every service needs, built once at start-up and shared by all requests.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub cipher: Arc<SecretCipher>,
    pub session_policy: SessionPolicy,
}

/// A failure that is nobody's input mistake: shown as a generic error page with a request id.
#[derive(Debug, thiserror::Error)]
pub enum Unexpected {
    #[error("database error")]
    Db(#[from] crate::db::DbError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("could not generate randomness: {0}")]
    Random(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("configuration: {0}")]
    Config(String),
}

/// A single field error, for the checks only the service can make (taken names, conflicts).
pub fn field_error(field: &'static str, message: impl Into<String>) -> crate::domain::FieldErrors {
    let mut errors = crate::domain::FieldErrors::default();
    errors.push(field, message);
    errors
}

/// Random bytes as hex, for tokens and generated passwords.
pub fn random_token(bytes: usize) -> Result<String, Unexpected> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Unexpected::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}
