//! Use cases. Every rule of SPEC.md section 4 lives here, and this is the only layer that changes
//! data. Functions take parsed domain types and return errors named for what went wrong.

pub mod api_keys;
pub mod auth;
pub mod bins;
pub mod blacklist;
pub mod catalogue;
pub mod customers;
pub mod dashboard;
pub mod declines;
pub mod demo;
pub mod emails;
pub mod events;
pub mod generate;
pub mod jobs;
pub mod mids;
pub mod order_actions;
pub mod orders;
pub mod passwords;
pub mod payments;
pub mod reasons;
pub mod recycle;
pub mod refund_queue;
pub mod roles;
pub mod routing;
pub mod subscriptions;
pub mod users;

use std::sync::Arc;

use crate::clock::Clock;
use crate::crypto::SecretCipher;
use crate::db::Db;
use crate::domain::auth::SessionPolicy;
use passwords::PasswordHasher;

pub use api_keys::ApiKeyService;
pub use auth::AuthService;
pub use bins::BinService;
pub use blacklist::BlacklistService;
pub use catalogue::CatalogueService;
pub use customers::CustomerService;
pub use declines::DeclineService;
pub use emails::EmailService;
pub use events::EventService;
pub use jobs::{JobRunner, JobService};
pub use mids::MidService;
pub use order_actions::OrderActionService;
pub use orders::OrderService;
pub use payments::PaymentService;
pub use reasons::ReasonService;
pub use recycle::RecycleService;
pub use refund_queue::RefundQueueService;
pub use roles::RoleService;
pub use routing::RoutingService;
pub use subscriptions::SubscriptionService;
pub use users::UserService;

/// What the services are built from, once at start-up.
pub struct Deps {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub cipher: Arc<SecretCipher>,
    pub session_policy: SessionPolicy,
    /// The key card fingerprints are made with (R-TG-2).
    pub fingerprint_key: Arc<secrecy::SecretSlice<u8>>,
    /// Where the job runner delivers the outbox; `None` keeps emails unsent.
    pub mailer: Option<crate::mail::Mailer>,
}

/// One service per area, shared by all requests. Each keeps its dependencies private; handlers
/// (and the JSON API to come) call `services.mids.create(..)`, never the database.
#[derive(Clone)]
pub struct Services {
    pub auth: AuthService,
    pub users: UserService,
    pub roles: RoleService,
    pub mids: MidService,
    pub routing: RoutingService,
    pub declines: DeclineService,
    pub recycle: RecycleService,
    pub events: EventService,
    pub api_keys: ApiKeyService,
    pub catalogue: CatalogueService,
    pub bins: BinService,
    pub orders: OrderService,
    pub payments: PaymentService,
    pub blacklist: BlacklistService,
    pub reasons: ReasonService,
    pub refund_queue: RefundQueueService,
    pub order_actions: OrderActionService,
    pub jobs: JobService,
    pub emails: EmailService,
    pub customers: CustomerService,
    pub subscriptions: SubscriptionService,
    db: Db,
    clock: Arc<dyn Clock>,
    mailer: Option<crate::mail::Mailer>,
    /// The card fingerprint key (R-TG-2), for the cards `generate` stores.
    fingerprint_key: Arc<secrecy::SecretSlice<u8>>,
}

impl Services {
    pub fn new(deps: Deps) -> Self {
        let Deps {
            db,
            clock,
            hasher,
            cipher,
            session_policy,
            fingerprint_key,
            mailer,
        } = deps;
        let gateways = crate::gateway::Gateways::new(db.clone(), clock.clone());
        let payments = PaymentService::new(db.clone(), clock.clone(), gateways.clone());
        Self {
            refund_queue: RefundQueueService::new(db.clone(), clock.clone(), payments.clone()),
            order_actions: OrderActionService::new(db.clone(), clock.clone(), payments.clone()),
            payments,
            blacklist: BlacklistService::new(db.clone(), clock.clone()),
            reasons: ReasonService::new(db.clone(), clock.clone()),
            subscriptions: SubscriptionService::new(
                db.clone(),
                clock.clone(),
                OrderService::new(
                    db.clone(),
                    clock.clone(),
                    gateways.clone(),
                    fingerprint_key.clone(),
                ),
            ),
            orders: OrderService::new(db.clone(), clock.clone(), gateways, fingerprint_key.clone()),
            auth: AuthService::new(db.clone(), clock.clone(), hasher.clone(), session_policy),
            users: UserService::new(db.clone(), clock.clone(), hasher),
            roles: RoleService::new(db.clone(), clock.clone()),
            mids: MidService::new(db.clone(), clock.clone(), cipher),
            routing: RoutingService::new(db.clone(), clock.clone()),
            declines: DeclineService::new(db.clone(), clock.clone()),
            bins: BinService::new(db.clone(), clock.clone()),
            catalogue: CatalogueService::new(db.clone(), clock.clone()),
            api_keys: ApiKeyService::new(db.clone(), clock.clone()),
            jobs: JobService::new(db.clone(), clock.clone()),
            emails: EmailService::new(db.clone(), clock.clone()),
            customers: CustomerService::new(db.clone(), clock.clone()),
            recycle: RecycleService::new(db.clone(), clock.clone()),
            clock,
            mailer,
            events: EventService::new(db.clone()),
            db,
            fingerprint_key,
        }
    }

    /// A job runner working as `worker` (a name unique among the running workers).
    pub fn runner(&self, worker: &str) -> JobRunner {
        JobRunner::new(
            self.db.clone(),
            self.clock.clone(),
            self.refund_queue.clone(),
            self.subscriptions.clone(),
            self.mailer.clone(),
            worker.to_owned(),
        )
    }

    /// Whether the database answers (the health check).
    pub async fn health(&self) -> Result<(), Unexpected> {
        Ok(self.db.ping().await?)
    }
}

/// How a service failure answers, whatever area named it. The web layer turns each class into a
/// status with one exhaustive match (`crate::error`); the JSON API will do the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The input is not valid: field messages say why (422).
    Invalid,
    /// The actor may not do this (403).
    Forbidden,
    /// No such record (404).
    NotFound,
    /// The current state forbids it: a record in use, a race lost, a built-in (409).
    Conflict,
    /// The server is busy; try again shortly (503 with `Retry-After`).
    Busy,
    /// Nobody's mistake: logged with its cause, shown with a request id (500).
    Unexpected,
}

/// Every service error names its class and a stable machine code (`mid_in_use`,
/// `role_beyond_reach`, ...) that clients may rely on; its `Display` is the message a user reads.
pub trait ServiceError: std::error::Error {
    fn class(&self) -> ErrorClass;
    fn code(&self) -> &'static str;
}

/// Implements [`ServiceError`] from one table per error enum: variant, class, code.
macro_rules! service_error {
    ($error:ident { $($variant:ident $(($($field:tt)*))? $({$($named:tt)*})? => $class:ident, $code:literal),* $(,)? }) => {
        impl $crate::services::ServiceError for $error {
            fn class(&self) -> $crate::services::ErrorClass {
                match self {
                    $($error::$variant $(($($field)*))? $({$($named)*})? => $crate::services::ErrorClass::$class),*
                }
            }
            fn code(&self) -> &'static str {
                match self {
                    $($error::$variant $(($($field)*))? $({$($named)*})? => $code),*
                }
            }
        }
    };
}

pub(crate) use service_error;

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
