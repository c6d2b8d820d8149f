//! Email delivery over SMTP with `lettre`: the one place that speaks SMTP. The job runner hands
//! it an outbox email; nothing above it knows how mail travels.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::outbox::OutboxEmail;

/// Where mail goes: `RECOUP_SMTP_URL` (`smtp://user:pass@host:587?tls=required`,
/// `smtps://host`, or `smtp://localhost:25` for a local relay) and the sender,
/// `RECOUP_SMTP_FROM`.
#[derive(Clone)]
pub struct SmtpSettings {
    pub url: SecretString,
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

/// The sender when `RECOUP_SMTP_FROM` is not set.
pub const DEFAULT_FROM: &str = "Recoup <no-reply@localhost>";

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error(
        "RECOUP_SMTP_URL is not a usable SMTP address ({0}); expected smtp://host:port or smtps://host"
    )]
    Url(String),
    #[error("RECOUP_SMTP_FROM is not an email address with an optional name ({0})")]
    From(String),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the address {address:?} is not one SMTP can deliver to")]
    Address { address: String },
    #[error("the email could not be built: {0}")]
    Build(String),
    #[error("the SMTP server refused or failed: {0}")]
    Smtp(String),
}

/// A connection pool to one SMTP server, and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailConfigError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.expose_secret())
                // lettre's message can name the password; say only what kind of problem it is.
                .map_err(|e| MailConfigError::Url(kind_of(&e)))?
                .timeout(Some(Duration::from_secs(30)))
                .build();
        Ok(Self { transport, from })
    }

    /// Sends one email of the outbox as plain text.
    pub async fn send(&self, email: &OutboxEmail) -> Result<(), MailError> {
        let to: Mailbox = email.to.parse().map_err(|_| MailError::Address {
            address: email.to.clone(),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

fn kind_of(error: &lettre::transport::smtp::Error) -> String {
    if error.is_client() {
        "bad scheme, host or parameters".to_owned()
    } else {
        "unreadable address".to_owned()
    }
}
