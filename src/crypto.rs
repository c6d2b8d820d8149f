//! Secrets at rest (R-MID-1): AES-256-GCM with a fresh random nonce per value, the record and
//! field bound in as associated data, and a key id stored beside each ciphertext so keys can be
//! rotated. A value that fails to authenticate is an error, never a silent fallback.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("a stored secret was encrypted under key {0}, which is not configured")]
    UnknownKey(String),
    #[error("a stored secret failed to decrypt: it was altered or belongs to another record")]
    Tampered,
    #[error("encryption failed")]
    Encrypt,
    #[error("could not generate a nonce")]
    Random,
}

/// A ciphertext as stored: which key, and `nonce ‖ ciphertext` as hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub blob: String,
}

struct Keyed {
    id: String,
    cipher: Aes256Gcm,
}

/// The current key (used to encrypt) and earlier keys (still accepted to decrypt).
pub struct SecretCipher {
    current: Keyed,
    previous: Vec<Keyed>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCipher")
            .field("current", &self.current.id)
            .finish_non_exhaustive()
    }
}

fn keyed(key: &SecretSlice<u8>) -> Option<Keyed> {
    let bytes = key.expose_secret();
    let cipher = Aes256Gcm::new_from_slice(bytes).ok()?;
    let mut hasher = Sha256::new();
    hasher.update(b"recoup-key-id:");
    hasher.update(bytes);
    Some(Keyed {
        id: hex::encode(&hasher.finalize()[..8]),
        cipher,
    })
}

impl SecretCipher {
    /// `None` when a key is not 32 bytes (config already guarantees it).
    pub fn new(current: &SecretSlice<u8>, previous: &[SecretSlice<u8>]) -> Option<Self> {
        Some(Self {
            current: keyed(current)?,
            previous: previous.iter().map(keyed).collect::<Option<Vec<_>>>()?,
        })
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    pub fn seal(&self, plaintext: &str, context: &str) -> Result<Sealed, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| CryptoError::Encrypt)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: self.current.id.clone(),
            blob: hex::encode(blob),
        })
    }

    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<String, CryptoError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        let blob = hex::decode(&sealed.blob).map_err(|_| CryptoError::Tampered)?;
        if blob.len() <= NONCE_LEN {
            return Err(CryptoError::Tampered);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Tampered)?;
        let plain = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Tampered)
    }
}

/// A key for one `purpose`, derived from a configured key with HMAC-SHA256, so one secret in
/// the configuration serves several uses without any of them revealing it (the card
/// fingerprint key of R-TG-2 is `derive_key(secret, "card-fingerprint")`).
pub fn derive_key(master: &SecretSlice<u8>, purpose: &str) -> SecretSlice<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(b"recoup-derived-key:");
    mac.update(purpose.as_bytes());
    SecretSlice::from(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretSlice<u8> {
        SecretSlice::from(vec![b; 32])
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_own_context() {
        let cipher = SecretCipher::new(&key(1), &[]).unwrap();
        let sealed = cipher.seal("sk_live_123", "mid:1:apikey").unwrap();
        assert!(!sealed.blob.contains("sk_live"));
        assert_eq!(cipher.open(&sealed, "mid:1:apikey").unwrap(), "sk_live_123");
        assert_eq!(
            cipher.open(&sealed, "mid:2:apikey"),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn a_tampered_ciphertext_is_an_error() {
        let cipher = SecretCipher::new(&key(1), &[]).unwrap();
        let mut sealed = cipher.seal("sk_live_123", "ctx").unwrap();
        let last = sealed.blob.pop().unwrap();
        sealed.blob.push(if last == '0' { '1' } else { '0' });
        assert_eq!(cipher.open(&sealed, "ctx"), Err(CryptoError::Tampered));
    }

    #[test]
    fn previous_keys_still_open_old_values() {
        let old = SecretCipher::new(&key(1), &[]).unwrap();
        let sealed = old.seal("v", "ctx").unwrap();
        let rotated = SecretCipher::new(&key(2), &[key(1)]).unwrap();
        assert_eq!(rotated.open(&sealed, "ctx").unwrap(), "v");
        assert_ne!(rotated.current_key_id(), sealed.key_id);
        let fresh = SecretCipher::new(&key(2), &[]).unwrap();
        assert!(matches!(
            fresh.open(&sealed, "ctx"),
            Err(CryptoError::UnknownKey(_))
        ));
    }
}
