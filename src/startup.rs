//! Builds the application: database, services, middleware and routes, bound to a listener.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::web::{Data, FormConfig};
use actix_web::{App, HttpServer};

use crate::clock::Clock;
use crate::config::{Environment, Settings, expose};
use crate::crypto::SecretCipher;
use crate::db::Db;
use crate::services::Services;
use crate::services::passwords::PasswordHasher;
use crate::web as portal;
use crate::web::middleware::PublicOrigin;

pub struct Application {
    port: u16,
    server: Server,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Services(#[from] crate::services::Unexpected),
    #[error("{0}")]
    Mail(#[from] crate::mail::MailConfigError),
}

/// Opens and migrates the database named by the settings.
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// The shared service context.
pub fn services(
    db: Db,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<Services, StartupError> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let cipher = SecretCipher::new(&settings.secret_key, &settings.previous_secret_keys)
        .ok_or_else(|| {
            crate::services::Unexpected::Config("RECOUP_SECRET_KEY must be 32 bytes".into())
        })?;
    Ok(Services::new(crate::services::Deps {
        db,
        clock,
        hasher: PasswordHasher::new(cores)?,
        cipher: Arc::new(cipher),
        session_policy: settings.session_policy,
        fingerprint_key: Arc::new(crate::crypto::derive_key(
            &settings.secret_key,
            "card-fingerprint",
        )),
        mailer: settings
            .smtp
            .as_ref()
            .map(crate::mail::Mailer::new)
            .transpose()?,
    }))
}

/// `RECOUP_PUBLIC_URL`, or in dev the address the server is bound to (with `localhost` too when
/// that is a loopback address, since that is what people type).
fn public_origin(settings: &Settings, local: SocketAddr) -> PublicOrigin {
    if let Some(origin) = &settings.public_origin {
        return PublicOrigin::new(vec![origin.clone()]);
    }
    let mut origins = vec![format!("http://{local}")];
    if local.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", local.port()));
    }
    PublicOrigin::new(origins)
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port, as tests do) and prepares the server.
    pub fn build(
        settings: &Settings,
        services: Services,
        workers: usize,
    ) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            bind: settings.bind.clone(),
            source,
        })?;
        let local = listener.local_addr().map_err(|source| StartupError::Bind {
            bind: settings.bind.clone(),
            source,
        })?;
        let port = local.port();
        let public_origin = Data::new(public_origin(settings, local));
        let headers = portal::middleware::SecurityHeaders {
            hsts: settings.environment == Environment::Prod,
        };
        let key = Key::from(expose(&settings.session_key));
        let secure = settings.secure_cookies;
        let services = Data::new(services);
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name(if secure {
                    "__Host-recoup".to_owned()
                } else {
                    "recoup".to_owned()
                })
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_path("/".to_owned())
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(BrowserSession::default())
                .build();
            App::new()
                .app_data(services.clone())
                .app_data(public_origin.clone())
                .app_data(FormConfig::default().limit(1 << 20))
                .configure(portal::configure)
                .wrap(from_fn(portal::middleware::load_viewer))
                .wrap(sessions)
                .wrap(from_fn(move |req, next| {
                    portal::middleware::security_headers(headers, req, next)
                }))
                .wrap(from_fn(portal::middleware::request_context))
        })
        .workers(workers.max(1))
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            bind: settings.bind.clone(),
            source,
        })?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
