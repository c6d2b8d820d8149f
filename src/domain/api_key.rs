//! Keys of the order API (SPEC 4.7) and the `Idempotency-Key` header, as pure rules: the shape of
//! a key, what is stored of it, when its last use is worth writing down, and which keys a
//! client may send.
//!
//! A key reads `rcp_<prefix>_<secret>`: 8 hex characters that find the row without revealing
//! anything, and 32 random bytes as hex. Only the SHA-256 of the whole key is stored, so the
//! database never holds a usable key; the prefix lets a person tell keys apart on the page.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ids::{ApiKeyId, UserId};

const SCHEME: &str = "rcp_";
const PREFIX_BYTES: usize = 4;
const SECRET_BYTES: usize = 32;

/// A key's name, as people tell keys apart ("Checkout page", "Warehouse sync").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyName(String);

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ApiKeyNameError {
    #[error("Enter a name that says who uses the key, like Checkout page.")]
    Missing,
    #[error("Use at most {} characters.", ApiKeyName::MAX_LEN)]
    TooLong,
    #[error("Use letters, numbers and punctuation only.")]
    ControlCharacters,
}

impl ApiKeyName {
    pub const MAX_LEN: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, ApiKeyNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ApiKeyNameError::Missing);
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(ApiKeyNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(ApiKeyNameError::ControlCharacters);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key as the list shows it; never its secret.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    /// The 8 characters after `rcp_`, shown so a person can match a key to its row.
    pub prefix: String,
    pub created_by: Option<UserId>,
    /// Who created it: the user's name, or the system actor's key (`cli`, `demo`) from the log.
    pub creator: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// What a person reads to recognise the key: `rcp_1a2b3c4d_…`.
    pub fn masked(&self) -> String {
        format!("{SCHEME}{}_…", self.prefix)
    }
}

/// A newly made key: the whole key (shown once, never stored) and what is stored of it.
pub struct GeneratedKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

impl GeneratedKey {
    /// A key from `random`: 4 bytes for the prefix, then 32 for the secret.
    pub fn from_random(random: &[u8; PREFIX_BYTES + SECRET_BYTES]) -> Self {
        let prefix = hex::encode(&random[..PREFIX_BYTES]);
        let secret = hex::encode(&random[PREFIX_BYTES..]);
        let key = format!("{SCHEME}{prefix}_{secret}");
        let hash = hash_key(&key);
        Self { key, prefix, hash }
    }

    pub const RANDOM_BYTES: usize = PREFIX_BYTES + SECRET_BYTES;
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// What is stored of a key: the SHA-256 of all of it, as hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A key as a client presented it, when it has the shape of one: its prefix finds the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresentedKey<'a> {
    pub prefix: &'a str,
    key: &'a str,
}

impl<'a> PresentedKey<'a> {
    /// `None` for anything that is not `rcp_` + 8 hex + `_` + 64 hex: no row to look for.
    pub fn parse(key: &'a str) -> Option<Self> {
        let rest = key.strip_prefix(SCHEME)?;
        let (prefix, secret) = rest.split_once('_')?;
        let lower_hex = |s: &str, len: usize| {
            s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        (lower_hex(prefix, PREFIX_BYTES * 2) && lower_hex(secret, SECRET_BYTES * 2))
            .then_some(Self { prefix, key })
    }

    /// Whether this is the key whose stored hash is `stored`, compared in constant time.
    pub fn matches(&self, stored: &str) -> bool {
        bool::from(hash_key(self.key).as_bytes().ct_eq(stored.as_bytes()))
    }
}

/// The last use of a key is written at most this often, so a busy key does not turn every API
/// call into a write.
pub const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

/// Whether a use at `now` should be written down, given the one stored.
pub fn last_use_is_stale(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
}

/// The `Idempotency-Key` header: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("Send 1 to 255 printable ASCII characters, such as a UUID.")]
pub struct IdempotencyKeyError;

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &[u8]) -> Result<Self, IdempotencyKeyError> {
        let printable = raw.iter().all(|b| (0x20..=0x7e).contains(b));
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !printable {
            return Err(IdempotencyKeyError);
        }
        String::from_utf8(raw.to_vec())
            .map(Self)
            .map_err(|_| IdempotencyKeyError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request with an `Idempotency-Key` is compared by: its method, path and body. The same
/// key with another fingerprint is another request, and is refused.
pub fn request_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b" ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_generated_key_is_found_by_its_prefix_and_matches_only_its_own_hash() {
        let mut random = [7u8; GeneratedKey::RANDOM_BYTES];
        random[0] = 0xab;
        let generated = GeneratedKey::from_random(&random);
        assert!(generated.key.starts_with("rcp_ab070707_"));
        assert_eq!(generated.key.len(), 4 + 8 + 1 + 64);
        assert!(!generated.hash.contains(&generated.key[13..]));
        let presented = PresentedKey::parse(&generated.key).unwrap();
        assert_eq!(presented.prefix, generated.prefix);
        assert!(presented.matches(&generated.hash));
        let other = GeneratedKey::from_random(&[8u8; GeneratedKey::RANDOM_BYTES]);
        assert!(!presented.matches(&other.hash));
        assert!(!format!("{generated:?}").contains(&generated.key));
    }

    #[test]
    fn anything_but_the_shape_of_a_key_is_no_key() {
        let good = format!("rcp_0a1b2c3d_{}", "f".repeat(64));
        assert!(PresentedKey::parse(&good).is_some());
        for bad in [
            String::new(),
            "rcp_".to_owned(),
            format!("rcp_0a1b2c3d_{}", "f".repeat(63)),
            format!("rcp_0a1b2c3d_{}", "F".repeat(64)),
            format!("rcp_0a1b2c3_{}", "f".repeat(65)),
            format!("xyz_0a1b2c3d_{}", "f".repeat(64)),
            format!("rcp_0a1b2c3d-{}", "f".repeat(64)),
            format!(" rcp_0a1b2c3d_{}", "f".repeat(64)),
        ] {
            assert_eq!(PresentedKey::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert!(last_use_is_stale(None, t));
        assert!(!last_use_is_stale(Some(t), t + Duration::seconds(59)));
        assert!(last_use_is_stale(Some(t), t + Duration::seconds(60)));
    }

    #[test]
    fn idempotency_keys_are_short_printable_ascii() {
        assert!(IdempotencyKey::parse(b"order-123 retry").is_ok());
        assert!(IdempotencyKey::parse(&[b'a'; 255]).is_ok());
        let long = [b'a'; 256];
        let bad: [&[u8]; 5] = [b"", &long, b"tab\there", "caf\u{e9}".as_bytes(), b"nl\n"];
        for bad in bad {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            ApiKeyName::parse("  Checkout  ").unwrap().as_str(),
            "Checkout"
        );
        assert_eq!(ApiKeyName::parse(" "), Err(ApiKeyNameError::Missing));
        assert_eq!(
            ApiKeyName::parse(&"x".repeat(81)),
            Err(ApiKeyNameError::TooLong)
        );
        assert_eq!(
            ApiKeyName::parse("a\u{7}b"),
            Err(ApiKeyNameError::ControlCharacters)
        );
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let base = request_fingerprint("POST", "/api/v1/orders", b"{}");
        assert_eq!(base, request_fingerprint("POST", "/api/v1/orders", b"{}"));
        assert_ne!(base, request_fingerprint("POST", "/api/v1/orders", b"{ }"));
        assert_ne!(
            base,
            request_fingerprint("POST", "/api/v1/orders/1/upsales", b"{}")
        );
    }
}
