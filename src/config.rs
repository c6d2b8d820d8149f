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
    #[error("could not read or create the dev key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "refusing the dev key file {path}: it {reason}. Remove it to have new development keys made, or set the keys in the environment"
    )]
    KeyFileUnsafe { path: PathBuf, reason: &'static str },
    #[error(
        "the dev key file {path} holds no {name}: set {name} in the environment, or remove the file to have new development keys made (this signs everyone out)"
    )]
    KeyFileIncomplete { path: PathBuf, name: &'static str },
    #[error(
        "RECOUP_PUBLIC_URL is required when RECOUP_ENV=prod: the address people type to reach the portal, such as https://portal.example.com"
    )]
    MissingPublicUrl,
    #[error(
        "RECOUP_PUBLIC_URL must be an http:// or https:// address with a host and no path, such as https://portal.example.com, not `{0}`"
    )]
    BadPublicUrl(String),
    #[error("could not generate a random key: {0}")]
    Random(getrandom::Error),
    #[error("RECOUP_WORKER must be `on` or `off`, not `{0}`")]
    BadWorker(String),
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
    /// The origin browsers reach the portal at (`https://portal.example.com`), from
    /// `RECOUP_PUBLIC_URL`; the CSRF check accepts no other. `None` in dev means the address the
    /// server is bound to.
    pub public_origin: Option<String>,
    /// `RECOUP_SMTP_URL` and `RECOUP_SMTP_FROM`: where the outbox is delivered. Without them,
    /// emails are kept and shown as not sent.
    pub smtp: Option<crate::mail::SmtpSettings>,
    /// Whether `recoup serve` runs the background job runner too (`RECOUP_WORKER=off` for a
    /// web-only instance beside a `recoup worker`).
    pub worker: bool,
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
                    let keys = match dev_keys.take() {
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
        let public_origin = match lookup("RECOUP_PUBLIC_URL") {
            Some(url) => Some(parse_public_url(&url)?),
            None if environment == Environment::Prod => return Err(ConfigError::MissingPublicUrl),
            None => None,
        };

        let smtp = lookup("RECOUP_SMTP_URL").map(|url| crate::mail::SmtpSettings {
            url: secrecy::SecretString::from(url.trim().to_owned()),
            from: lookup("RECOUP_SMTP_FROM").map_or_else(
                || crate::mail::DEFAULT_FROM.to_owned(),
                |f| f.trim().to_owned(),
            ),
        });
        let worker = match lookup("RECOUP_WORKER").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(ConfigError::BadWorker(other.to_owned())),
        };

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
            public_origin,
            smtp,
            worker,
        })
    }
}

/// `https://portal.example.com[:port][/]` as the origin a browser sends in `Origin`.
fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::BadPublicUrl(value.to_owned());
    let url = url::Url::parse(value.trim()).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
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

/// The keys a development key file holds; all are generated together when the file is made.
const DEV_KEYS: [(&str, usize); 2] = [
    ("RECOUP_SESSION_KEY", SESSION_KEY_BYTES),
    ("RECOUP_SECRET_KEY", SECRET_KEY_BYTES),
];

/// `NAME=hex` lines. The file is created once, exclusively and readable by its owner only, and
/// never written again: an existing file is only read, and only when it is a regular file (not a
/// symbolic link) that no other user can read or write, so nobody else can plant or read keys.
struct DevKeyFile {
    path: PathBuf,
    lines: Vec<(String, String)>,
}

impl DevKeyFile {
    fn load_or_create(path: &Path) -> Result<Self, ConfigError> {
        match Self::create(path) {
            Ok(file) => Ok(file),
            // Made by an earlier start (or a second process this very moment): read it.
            Err(ConfigError::KeyFile { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Self::load(path)
            }
            Err(e) => Err(e),
        }
    }

    fn io(path: &Path) -> impl Fn(std::io::Error) -> ConfigError + '_ {
        move |source| ConfigError::KeyFile {
            path: path.to_owned(),
            source,
        }
    }

    /// `O_CREAT | O_EXCL`, mode 0600: fails if anything, even a dangling link, is at `path`.
    fn create(path: &Path) -> Result<Self, ConfigError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(Self::io(path))?;
        let mut lines = Vec::new();
        for (name, bytes) in DEV_KEYS {
            lines.push((name.to_owned(), hex::encode(random_bytes(bytes)?)));
        }
        let body: String = lines.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::io::Write::write_all(&mut file, body.as_bytes()).map_err(Self::io(path))?;
        tracing::warn!(path = %path.display(), "generated development keys; set RECOUP_SESSION_KEY and RECOUP_SECRET_KEY in the environment for production");
        Ok(Self {
            path: path.to_owned(),
            lines,
        })
    }

    fn load(path: &Path) -> Result<Self, ConfigError> {
        let unsafe_file = |reason| ConfigError::KeyFileUnsafe {
            path: path.to_owned(),
            reason,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        let mut file = match options.open(path) {
            Ok(file) => file,
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(unsafe_file("is a symbolic link"));
            }
            Err(e) => return Err(Self::io(path)(e)),
        };
        let meta = file.metadata().map_err(Self::io(path))?;
        if !meta.is_file() {
            return Err(unsafe_file("is not a regular file"));
        }
        #[cfg(unix)]
        if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o077 != 0 {
            return Err(unsafe_file(
                "can be read or written by other users (make it owner-only with chmod 600)",
            ));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).map_err(Self::io(path))?;
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

    fn get(&self, name: &'static str, bytes: usize) -> Result<SecretSlice<u8>, ConfigError> {
        match self.lines.iter().find(|(k, _)| k == name) {
            Some((_, v)) => decode_key(name, v, bytes),
            None => Err(ConfigError::KeyFileIncomplete {
                path: self.path.clone(),
                name,
            }),
        }
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
            "RECOUP_PUBLIC_URL" => Some("https://portal.example.com/".to_owned()),
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

    fn scratch_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "recoup-keys-{}",
            hex::encode(random_bytes(6).expect("rng"))
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    fn dev_settings(dir: &Path) -> Result<Settings, ConfigError> {
        let url = format!("sqlite://{}/x.db", dir.display());
        Settings::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone()))
    }

    #[cfg(unix)]
    #[test]
    fn a_new_dev_key_file_is_owner_only_and_holds_both_keys() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch_dir();
        dev_settings(&dir).expect("settings");
        let path = dir.join("recoup.keys");
        let mode = std::fs::metadata(&path)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("RECOUP_SESSION_KEY=") && text.contains("RECOUP_SECRET_KEY="));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_dev_key_file_is_refused_and_its_target_untouched() {
        let dir = scratch_dir();
        let planted = dir.join("planted");
        std::fs::write(&planted, "").expect("planted file");
        std::os::unix::fs::symlink(&planted, dir.join("recoup.keys")).expect("symlink");
        let err = dev_settings(&dir).err();
        assert!(
            matches!(err, Some(ConfigError::KeyFileUnsafe { reason, .. }) if reason.contains("symbolic link")),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&planted).expect("read"), "");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_dev_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch_dir();
        dev_settings(&dir).expect("first start makes the file");
        let path = dir.join("recoup.keys");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = dev_settings(&dir).err();
        assert!(
            matches!(err, Some(ConfigError::KeyFileUnsafe { reason, .. }) if reason.contains("other users")),
            "{err:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn keys_are_never_written_into_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch_dir();
        let path = dir.join("recoup.keys");
        std::fs::write(&path, "SOMETHING_ELSE=1\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = dev_settings(&dir).err();
        assert!(
            matches!(
                err,
                Some(ConfigError::KeyFileIncomplete {
                    name: "RECOUP_SESSION_KEY",
                    ..
                })
            ),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "SOMETHING_ELSE=1\n"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn prod_needs_a_plain_public_url() {
        let session = hex::encode([7u8; 64]);
        let secret = hex::encode([9u8; 32]);
        let with_url = |url: Option<&str>| {
            Settings::from_lookup(|name| match name {
                "RECOUP_ENV" => Some("prod".to_owned()),
                "RECOUP_SESSION_KEY" => Some(session.clone()),
                "RECOUP_SECRET_KEY" => Some(secret.clone()),
                "RECOUP_PUBLIC_URL" => url.map(str::to_owned),
                _ => None,
            })
        };
        assert!(matches!(
            with_url(None).err(),
            Some(ConfigError::MissingPublicUrl)
        ));
        for bad in [
            "portal.example.com",
            "ftp://portal.example.com",
            "https://portal.example.com/app",
            "https://u:p@portal.example.com",
        ] {
            assert!(
                matches!(
                    with_url(Some(bad)).err(),
                    Some(ConfigError::BadPublicUrl(_))
                ),
                "{bad}"
            );
        }
        let settings = with_url(Some("https://Portal.Example.com:443/")).expect("valid");
        assert_eq!(
            settings.public_origin.as_deref(),
            Some("https://portal.example.com")
        );
    }
}
