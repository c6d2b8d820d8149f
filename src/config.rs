//! Settings from the environment. Keys are held in `secrecy` types so they never reach a log.

use std::path::{Path, PathBuf};

use chrono::Duration;
use secrecy::{ExposeSecret, SecretSlice};
use thiserror::Error;

use crate::domain::auth::SessionPolicy;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://recoup.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// actix-web's cookie key needs 64 bytes: 32 to sign, 32 to encrypt.
pub const SESSION_KEY_BYTES: usize = 64;
pub const SECRET_KEY_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Prod,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("RECOUP_ENV must be `dev` or `prod`, not `{0}`")]
    BadEnvironment(String),
    #[error(
        "{name} is required when RECOUP_ENV=prod: set it to {bytes} random bytes as hex (for example `openssl rand -hex {bytes}`)"
    )]
    MissingKey { name: &'static str, bytes: usize },
    #[error("{name} must be at least {bytes} bytes written as hex ({hex_len} hex characters)", hex_len = bytes * 2)]
    WeakKey { name: &'static str, bytes: usize },
    #[error("{name} must be a whole number of minutes or hours greater than 0")]
    BadDuration { name: &'static str },
    #[error("could not read or write the dev key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not generate a random key: {0}")]
    Random(getrandom::Error),
}

/// Everything the application needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub environment: Environment,
    pub session_key: SecretSlice<u8>,
    pub secret_key: SecretSlice<u8>,
    /// Earlier secret keys, still accepted to decrypt until `recoup secrets rotate` has run.
    pub previous_secret_keys: Vec<SecretSlice<u8>>,
    pub session_policy: SessionPolicy,
    pub secure_cookies: bool,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = match lookup("RECOUP_ENV").as_deref().map(str::trim) {
            None | Some("dev") => Environment::Dev,
            Some("prod") => Environment::Prod,
            Some(other) => return Err(ConfigError::BadEnvironment(other.to_owned())),
        };
        let database_url =
            lookup("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let bind = lookup("RECOUP_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let idle = positive(
            lookup("RECOUP_IDLE_TIMEOUT_MINUTES"),
            "RECOUP_IDLE_TIMEOUT_MINUTES",
            30,
        )?;
        let lifetime = positive(
            lookup("RECOUP_SESSION_LIFETIME_HOURS"),
            "RECOUP_SESSION_LIFETIME_HOURS",
            12,
        )?;

        let mut dev_keys = None;
        let mut key = |name: &'static str, bytes: usize| -> Result<SecretSlice<u8>, ConfigError> {
            match lookup(name) {
                Some(hex_value) => decode_key(name, &hex_value, bytes),
                None if environment == Environment::Prod => {
                    Err(ConfigError::MissingKey { name, bytes })
                }
                None => {
                    let mut keys = match dev_keys.take() {
                        Some(keys) => keys,
                        None => DevKeyFile::load_or_create(&key_file_path(&database_url))?,
                    };
                    let value = keys.get(name, bytes);
                    dev_keys = Some(keys);
                    value
                }
            }
        };
        let session_key = key("RECOUP_SESSION_KEY", SESSION_KEY_BYTES)?;
        let secret_key = key("RECOUP_SECRET_KEY", SECRET_KEY_BYTES)?;
        let previous_secret_keys = lookup("RECOUP_SECRET_KEY_PREVIOUS")
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(|k| decode_key("RECOUP_SECRET_KEY_PREVIOUS", k, SECRET_KEY_BYTES))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Self {
            database_url,
            bind,
            environment,
            session_key,
            secret_key,
            previous_secret_keys,
            session_policy: SessionPolicy {
                idle_timeout: Duration::minutes(idle),
                absolute_lifetime: Duration::hours(lifetime),
            },
            secure_cookies: environment == Environment::Prod,
        })
    }
}

fn positive(value: Option<String>, name: &'static str, default: i64) -> Result<i64, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or(ConfigError::BadDuration { name }),
    }
}

fn decode_key(
    name: &'static str,
    hex_value: &str,
    bytes: usize,
) -> Result<SecretSlice<u8>, ConfigError> {
    match hex::decode(hex_value.trim()) {
        Ok(key) if key.len() >= bytes => Ok(SecretSlice::from(key[..bytes].to_vec())),
        _ => Err(ConfigError::WeakKey { name, bytes }),
    }
}

pub fn random_bytes(len: usize) -> Result<Vec<u8>, ConfigError> {
    let mut buf = vec![0u8; len];
    getrandom::fill(&mut buf).map_err(ConfigError::Random)?;
    Ok(buf)
}

/// The dev key file sits beside the SQLite database (or in the working directory for PostgreSQL).
fn key_file_path(database_url: &str) -> PathBuf {
    let db_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"));
    match db_file.and_then(|p| Path::new(p).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("recoup.keys"),
        _ => PathBuf::from("recoup.keys"),
    }
}

/// `NAME=hex` lines, written once with owner-only permissions and reused on every restart.
struct DevKeyFile {
    path: PathBuf,
    lines: Vec<(String, String)>,
}

impl DevKeyFile {
    fn load_or_create(path: &Path) -> Result<Self, ConfigError> {
        let io = |source| ConfigError::KeyFile {
            path: path.to_owned(),
            source,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let lines = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Ok(Self {
            path: path.to_owned(),
            lines,
        })
    }

    fn get(&mut self, name: &'static str, bytes: usize) -> Result<SecretSlice<u8>, ConfigError> {
        if let Some((_, v)) = self.lines.iter().find(|(k, _)| k == name) {
            return decode_key(name, v, bytes);
        }
        let key = random_bytes(bytes)?;
        self.lines.push((name.to_owned(), hex::encode(&key)));
        self.save()?;
        tracing::warn!(path = %self.path.display(), key = name, "generated a development key; set it in the environment for production");
        Ok(SecretSlice::from(key))
    }

    fn save(&self) -> Result<(), ConfigError> {
        let io = |source| ConfigError::KeyFile {
            path: self.path.clone(),
            source,
        };
        let body: String = self
            .lines
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(io)?;
        std::io::Write::write_all(&mut file, body.as_bytes()).map_err(io)
    }
}

/// Exposes a key's bytes to the one caller that needs them (cookie or cipher set-up).
pub fn expose(key: &SecretSlice<u8>) -> &[u8] {
    key.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prod_without_keys_refuses_to_start() {
        let err =
            Settings::from_lookup(|name| (name == "RECOUP_ENV").then(|| "prod".to_owned())).err();
        assert!(matches!(
            err,
            Some(ConfigError::MissingKey {
                name: "RECOUP_SESSION_KEY",
                ..
            })
        ));
    }

    #[test]
    fn prod_with_short_key_refuses_to_start() {
        let err = Settings::from_lookup(|name| match name {
            "RECOUP_ENV" => Some("prod".to_owned()),
            "RECOUP_SESSION_KEY" => Some("abcd".to_owned()),
            _ => None,
        })
        .err();
        assert!(matches!(err, Some(ConfigError::WeakKey { .. })));
    }

    #[test]
    fn settings_debug_hides_keys() {
        let session = hex::encode([7u8; 64]);
        let secret = hex::encode([9u8; 32]);
        let settings = Settings::from_lookup(|name| match name {
            "RECOUP_ENV" => Some("prod".to_owned()),
            "RECOUP_SESSION_KEY" => Some(session.clone()),
            "RECOUP_SECRET_KEY" => Some(secret.clone()),
            _ => None,
        })
        .expect("valid settings");
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains(&session[..16]) && !shown.contains(&secret[..16]),
            "{shown}"
        );
        assert!(settings.secure_cookies);
    }

    #[test]
    fn dev_keys_are_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!(
            "recoup-keys-{}",
            hex::encode(random_bytes(6).expect("rng"))
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}/x.db", dir.display());
        let load = || {
            Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone()))
                .expect("settings")
        };
        let (first, second) = (load(), load());
        assert_eq!(expose(&first.session_key), expose(&second.session_key));
        assert_eq!(expose(&first.secret_key).len(), SECRET_KEY_BYTES);
        std::fs::remove_dir_all(&dir).ok();
    }
}
