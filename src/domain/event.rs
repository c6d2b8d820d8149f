//! The event log (SPEC R-AU-5): who did what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde_json::Value;

use std::fmt;

use super::ids::{
    ApiKeyId, BinRangeId, CampaignId, CustomerId, EventId, FulfillmentId, JobId, MappingId, MidId,
    OrderId, OutboxId, ProductId, ProfileId, ReasonId, RecycleProfileId, RefundQueueId, RoleId,
    SubscriptionId, TransactionId, UserId,
};

/// Every kind of event; the key is what the log stores and the filter offers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum EventKind {
    #[strum(serialize = "login.succeeded")]
    LoginSucceeded,
    #[strum(serialize = "login.failed")]
    LoginFailed,
    #[strum(serialize = "logout")]
    Logout,
    #[strum(serialize = "user.created")]
    UserCreated,
    #[strum(serialize = "user.role_changed")]
    UserRoleChanged,
    #[strum(serialize = "user.disabled")]
    UserDisabled,
    #[strum(serialize = "user.enabled")]
    UserEnabled,
    #[strum(serialize = "user.password_reset")]
    UserPasswordReset,
    #[strum(serialize = "role.created")]
    RoleCreated,
    #[strum(serialize = "role.updated")]
    RoleUpdated,
    #[strum(serialize = "role.deleted")]
    RoleDeleted,
    #[strum(serialize = "mid.created")]
    MidCreated,
    #[strum(serialize = "mid.updated")]
    MidUpdated,
    #[strum(serialize = "mid.enabled")]
    MidEnabled,
    #[strum(serialize = "mid.disabled")]
    MidDisabled,
    #[strum(serialize = "mid.deleted")]
    MidDeleted,
    #[strum(serialize = "secrets.rotated")]
    SecretsRotated,
    #[strum(serialize = "routing_profile.created")]
    ProfileCreated,
    #[strum(serialize = "routing_profile.updated")]
    ProfileUpdated,
    #[strum(serialize = "routing_profile.deleted")]
    ProfileDeleted,
    #[strum(serialize = "decline_mapping.created")]
    MappingCreated,
    #[strum(serialize = "decline_mapping.updated")]
    MappingUpdated,
    #[strum(serialize = "decline_mapping.deleted")]
    MappingDeleted,
    #[strum(serialize = "recycle_profile.created")]
    RecycleProfileCreated,
    #[strum(serialize = "recycle_profile.updated")]
    RecycleProfileUpdated,
    #[strum(serialize = "recycle_profile.deleted")]
    RecycleProfileDeleted,
    #[strum(serialize = "product.created")]
    ProductCreated,
    #[strum(serialize = "product.updated")]
    ProductUpdated,
    #[strum(serialize = "product.enabled")]
    ProductEnabled,
    #[strum(serialize = "product.disabled")]
    ProductDisabled,
    #[strum(serialize = "product.archived")]
    ProductArchived,
    #[strum(serialize = "campaign.created")]
    CampaignCreated,
    #[strum(serialize = "campaign.updated")]
    CampaignUpdated,
    #[strum(serialize = "campaign.enabled")]
    CampaignEnabled,
    #[strum(serialize = "campaign.disabled")]
    CampaignDisabled,
    #[strum(serialize = "campaign.archived")]
    CampaignArchived,
    #[strum(serialize = "bin_range.created")]
    BinRangeCreated,
    #[strum(serialize = "bin_range.deleted")]
    BinRangeDeleted,
    #[strum(serialize = "api_key.created")]
    ApiKeyCreated,
    #[strum(serialize = "api_key.revoked")]
    ApiKeyRevoked,
    #[strum(serialize = "mid.settled")]
    MidSettled,
    #[strum(serialize = "mid.test_sale")]
    MidTestSale,
    #[strum(serialize = "order.placed")]
    OrderPlaced,
    #[strum(serialize = "order.upsale_placed")]
    UpsalePlaced,
    #[strum(serialize = "transaction.refunded")]
    TransactionRefunded,
    #[strum(serialize = "transaction.voided")]
    TransactionVoided,
    #[strum(serialize = "customer.blacklisted")]
    CustomerBlacklisted,
    #[strum(serialize = "customer.unblacklisted")]
    CustomerUnblacklisted,
    #[strum(serialize = "customer.updated")]
    CustomerUpdated,
    #[strum(serialize = "customer.note_added")]
    CustomerNoteAdded,
    #[strum(serialize = "order.cancelled")]
    OrderCancelled,
    #[strum(serialize = "order.rerun")]
    OrderRerun,
    #[strum(serialize = "order.welcome_resent")]
    WelcomeResent,
    #[strum(serialize = "email.resent")]
    EmailResent,
    #[strum(serialize = "fulfillment.reshipped")]
    FulfillmentReshipped,
    #[strum(serialize = "fulfillment.cancelled")]
    FulfillmentCancelled,
    #[strum(serialize = "subscription.updated")]
    SubscriptionUpdated,
    #[strum(serialize = "subscription.trial_changed")]
    SubscriptionTrialChanged,
    #[strum(serialize = "subscription.cancelled")]
    SubscriptionCancelled,
    #[strum(serialize = "subscription.paused")]
    SubscriptionPaused,
    #[strum(serialize = "subscription.resumed")]
    SubscriptionResumed,
    #[strum(serialize = "subscription.force_billed")]
    SubscriptionForceBilled,
    #[strum(serialize = "refund_queue.queued")]
    RefundQueued,
    #[strum(serialize = "refund_queue.retried")]
    RefundQueueRetried,
    #[strum(serialize = "refund_queue.removed")]
    RefundQueueRemoved,
    #[strum(serialize = "reason.created")]
    ReasonCreated,
    #[strum(serialize = "reason.updated")]
    ReasonUpdated,
    #[strum(serialize = "reason.archived")]
    ReasonArchived,
    #[strum(serialize = "job.retried")]
    JobRetried,
}

impl EventKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// What happened, as a person reads it in the log and its filter.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::LoginSucceeded => "Signed in",
            EventKind::LoginFailed => "Sign-in failed",
            EventKind::Logout => "Signed out",
            EventKind::UserCreated => "User created",
            EventKind::UserRoleChanged => "User's role changed",
            EventKind::UserDisabled => "User disabled",
            EventKind::UserEnabled => "User enabled",
            EventKind::UserPasswordReset => "Password reset",
            EventKind::RoleCreated => "Role created",
            EventKind::RoleUpdated => "Role updated",
            EventKind::RoleDeleted => "Role deleted",
            EventKind::MidCreated => "MID created",
            EventKind::MidUpdated => "MID updated",
            EventKind::MidEnabled => "MID enabled",
            EventKind::MidDisabled => "MID disabled",
            EventKind::MidDeleted => "MID deleted",
            EventKind::SecretsRotated => "Credentials re-encrypted",
            EventKind::ProfileCreated => "Routing profile created",
            EventKind::ProfileUpdated => "Routing profile updated",
            EventKind::ProfileDeleted => "Routing profile deleted",
            EventKind::MappingCreated => "Decline mapping created",
            EventKind::MappingUpdated => "Decline mapping updated",
            EventKind::MappingDeleted => "Decline mapping deleted",
            EventKind::RecycleProfileCreated => "Recycle profile created",
            EventKind::RecycleProfileUpdated => "Recycle profile updated",
            EventKind::RecycleProfileDeleted => "Recycle profile deleted",
            EventKind::ProductCreated => "Product created",
            EventKind::ProductUpdated => "Product updated",
            EventKind::ProductEnabled => "Product enabled",
            EventKind::ProductDisabled => "Product disabled",
            EventKind::ProductArchived => "Product archived",
            EventKind::CampaignCreated => "Campaign created",
            EventKind::CampaignUpdated => "Campaign updated",
            EventKind::CampaignEnabled => "Campaign enabled",
            EventKind::CampaignDisabled => "Campaign disabled",
            EventKind::CampaignArchived => "Campaign archived",
            EventKind::BinRangeCreated => "BIN mapping added",
            EventKind::BinRangeDeleted => "BIN mapping removed",
            EventKind::ApiKeyCreated => "API key created",
            EventKind::ApiKeyRevoked => "API key revoked",
            EventKind::MidSettled => "Test MID settled",
            EventKind::MidTestSale => "Test sale run",
            EventKind::OrderPlaced => "Order placed",
            EventKind::UpsalePlaced => "Upsale placed",
            EventKind::TransactionRefunded => "Refund",
            EventKind::TransactionVoided => "Void",
            EventKind::CustomerBlacklisted => "Customer blacklisted",
            EventKind::CustomerUnblacklisted => "Customer taken off the blacklist",
            EventKind::CustomerUpdated => "Customer details changed",
            EventKind::CustomerNoteAdded => "Note added",
            EventKind::OrderCancelled => "Order cancelled",
            EventKind::OrderRerun => "Declined sale rerun",
            EventKind::WelcomeResent => "Welcome email resent",
            EventKind::EmailResent => "Email resent",
            EventKind::FulfillmentReshipped => "Reship requested",
            EventKind::FulfillmentCancelled => "Fulfillment cancelled",
            EventKind::SubscriptionUpdated => "Purchase changed",
            EventKind::SubscriptionTrialChanged => "Trial restarted, skipped or stopped",
            EventKind::SubscriptionCancelled => "Subscription cancelled",
            EventKind::SubscriptionPaused => "Subscription paused",
            EventKind::SubscriptionResumed => "Subscription resumed",
            EventKind::SubscriptionForceBilled => "Subscription force billed",
            EventKind::RefundQueued => "Refund queued for retry",
            EventKind::RefundQueueRetried => "Queued refund retried",
            EventKind::RefundQueueRemoved => "Queued refund removed",
            EventKind::ReasonCreated => "Reason added",
            EventKind::ReasonUpdated => "Reason renamed",
            EventKind::ReasonArchived => "Reason archived",
            EventKind::JobRetried => "Background job retried",
        }
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// A stored event kind compares equal to its key.
impl PartialEq<&str> for EventKind {
    fn eq(&self, key: &&str) -> bool {
        self.key() == *key
    }
}

/// Who acted: a signed-in user, a person at the login form who is not signed in yet, a program
/// calling the order API with a key, or the portal itself (see [`SystemActor`]).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: String,
    pub ip: Option<String>,
    /// The API key a call to the order API came with; `label` is then the key's name.
    pub api_key_id: Option<ApiKeyId>,
}

impl Actor {
    /// An actor that is no person; `label` is stored as is, and a [`SystemActor`] key reads as
    /// that actor's label in the log.
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.to_owned(),
            ip: None,
            api_key_id: None,
        }
    }

    /// A call to the order API, attributed to the key it came with.
    pub fn api_key(id: ApiKeyId, name: &str, ip: Option<&str>) -> Self {
        Self {
            user_id: None,
            label: name.to_owned(),
            ip: ip.map(str::to_owned),
            api_key_id: Some(id),
        }
    }
}

/// The parts of the portal that change data on their own; the key is the stored actor label.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum SystemActor {
    /// `recoup serve --demo` filling an empty database.
    #[strum(serialize = "demo")]
    Demo,
    /// A `recoup` command run on the server (`user create`, `secrets rotate`).
    #[strum(serialize = "cli")]
    CommandLine,
    /// The background job runner (a queued refund's daily retry, say).
    #[strum(serialize = "jobs")]
    Jobs,
}

impl SystemActor {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    pub fn actor(self) -> Actor {
        Actor::system(self.key())
    }

    pub fn label(self) -> &'static str {
        match self {
            SystemActor::Demo => "demo data",
            SystemActor::CommandLine => "command line",
            SystemActor::Jobs => "background jobs",
        }
    }
}

/// The kinds of record an event can be about; the key is the prefix of its stored subject.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum RecordKind {
    #[strum(serialize = "user")]
    User,
    #[strum(serialize = "role")]
    Role,
    #[strum(serialize = "mid")]
    Mid,
    #[strum(serialize = "routing_profile")]
    RoutingProfile,
    #[strum(serialize = "decline_mapping")]
    DeclineMapping,
    #[strum(serialize = "recycle_profile")]
    RecycleProfile,
    #[strum(serialize = "product")]
    Product,
    #[strum(serialize = "campaign")]
    Campaign,
    #[strum(serialize = "customer")]
    Customer,
    #[strum(serialize = "order")]
    Order,
    #[strum(serialize = "transaction")]
    Transaction,
    #[strum(serialize = "api_key")]
    ApiKey,
    #[strum(serialize = "bin_range")]
    BinRange,
    #[strum(serialize = "subscription")]
    Subscription,
    #[strum(serialize = "fulfillment")]
    Fulfillment,
    #[strum(serialize = "refund_queue")]
    RefundQueueEntry,
    #[strum(serialize = "reason")]
    Reason,
    #[strum(serialize = "job")]
    Job,
    #[strum(serialize = "outbox")]
    OutboxEmail,
}

impl RecordKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    /// The record's noun, as in "MID #3".
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::User => "User",
            RecordKind::Role => "Role",
            RecordKind::Mid => "MID",
            RecordKind::RoutingProfile => "Routing profile",
            RecordKind::DeclineMapping => "Decline mapping",
            RecordKind::RecycleProfile => "Recycle profile",
            RecordKind::Product => "Product",
            RecordKind::Campaign => "Campaign",
            RecordKind::Customer => "Customer",
            RecordKind::Order => "Order",
            RecordKind::Transaction => "Transaction",
            RecordKind::ApiKey => "API key",
            RecordKind::BinRange => "BIN mapping",
            RecordKind::Subscription => "Subscription",
            RecordKind::Fulfillment => "Fulfillment",
            RecordKind::RefundQueueEntry => "Queued refund",
            RecordKind::Reason => "Reason",
            RecordKind::Job => "Background job",
            RecordKind::OutboxEmail => "Email",
        }
    }
}

/// What an event is about; stored as `mid:12`, `user:3`, ... so the log can be filtered by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(UserId),
    Role(RoleId),
    Mid(MidId),
    RoutingProfile(ProfileId),
    DeclineMapping(MappingId),
    RecycleProfile(RecycleProfileId),
    Product(ProductId),
    Campaign(CampaignId),
    Customer(CustomerId),
    Order(OrderId),
    Transaction(TransactionId),
    ApiKey(ApiKeyId),
    BinRange(BinRangeId),
    Subscription(SubscriptionId),
    Fulfillment(FulfillmentId),
    RefundQueueEntry(RefundQueueId),
    Reason(ReasonId),
    Job(JobId),
    OutboxEmail(OutboxId),
    /// A sign-in attempt, by the email typed (the user may not exist).
    Email(String),
    /// The encryption key credentials were re-sealed under.
    SecretKey(String),
}

const EMAIL_PREFIX: &str = "email";
const KEY_PREFIX: &str = "key";

impl Subject {
    /// The record this is about, as its kind and id; `None` for an email or a key.
    pub fn record(&self) -> Option<(RecordKind, i64)> {
        match self {
            Subject::User(id) => Some((RecordKind::User, id.0)),
            Subject::Role(id) => Some((RecordKind::Role, id.0)),
            Subject::Mid(id) => Some((RecordKind::Mid, id.0)),
            Subject::RoutingProfile(id) => Some((RecordKind::RoutingProfile, id.0)),
            Subject::DeclineMapping(id) => Some((RecordKind::DeclineMapping, id.0)),
            Subject::RecycleProfile(id) => Some((RecordKind::RecycleProfile, id.0)),
            Subject::Product(id) => Some((RecordKind::Product, id.0)),
            Subject::Campaign(id) => Some((RecordKind::Campaign, id.0)),
            Subject::Customer(id) => Some((RecordKind::Customer, id.0)),
            Subject::Order(id) => Some((RecordKind::Order, id.0)),
            Subject::Transaction(id) => Some((RecordKind::Transaction, id.0)),
            Subject::ApiKey(id) => Some((RecordKind::ApiKey, id.0)),
            Subject::BinRange(id) => Some((RecordKind::BinRange, id.0)),
            Subject::Subscription(id) => Some((RecordKind::Subscription, id.0)),
            Subject::Fulfillment(id) => Some((RecordKind::Fulfillment, id.0)),
            Subject::RefundQueueEntry(id) => Some((RecordKind::RefundQueueEntry, id.0)),
            Subject::Reason(id) => Some((RecordKind::Reason, id.0)),
            Subject::Job(id) => Some((RecordKind::Job, id.0)),
            Subject::OutboxEmail(id) => Some((RecordKind::OutboxEmail, id.0)),
            Subject::Email(_) | Subject::SecretKey(_) => None,
        }
    }

    fn of_record(kind: RecordKind, id: i64) -> Self {
        match kind {
            RecordKind::User => Subject::User(UserId(id)),
            RecordKind::Role => Subject::Role(RoleId(id)),
            RecordKind::Mid => Subject::Mid(MidId(id)),
            RecordKind::RoutingProfile => Subject::RoutingProfile(ProfileId(id)),
            RecordKind::DeclineMapping => Subject::DeclineMapping(MappingId(id)),
            RecordKind::RecycleProfile => Subject::RecycleProfile(RecycleProfileId(id)),
            RecordKind::Product => Subject::Product(ProductId(id)),
            RecordKind::Campaign => Subject::Campaign(CampaignId(id)),
            RecordKind::Customer => Subject::Customer(CustomerId(id)),
            RecordKind::Order => Subject::Order(OrderId(id)),
            RecordKind::Transaction => Subject::Transaction(TransactionId(id)),
            RecordKind::ApiKey => Subject::ApiKey(ApiKeyId(id)),
            RecordKind::BinRange => Subject::BinRange(BinRangeId(id)),
            RecordKind::Subscription => Subject::Subscription(SubscriptionId(id)),
            RecordKind::Fulfillment => Subject::Fulfillment(FulfillmentId(id)),
            RecordKind::RefundQueueEntry => Subject::RefundQueueEntry(RefundQueueId(id)),
            RecordKind::Reason => Subject::Reason(ReasonId(id)),
            RecordKind::Job => Subject::Job(JobId(id)),
            RecordKind::OutboxEmail => Subject::OutboxEmail(OutboxId(id)),
        }
    }

    /// Reads a stored subject back (the inverse of `Display`); `None` when it is not one.
    pub fn parse(stored: &str) -> Option<Self> {
        let (prefix, rest) = stored.split_once(':')?;
        match prefix {
            EMAIL_PREFIX => Some(Subject::Email(rest.to_owned())),
            KEY_PREFIX => Some(Subject::SecretKey(rest.to_owned())),
            _ => {
                let kind = RecordKind::from_key(prefix)?;
                // Only plain decimal digits, as `Display` writes them.
                if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(Subject::of_record(kind, rest.parse().ok()?))
            }
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Email(email) => write!(f, "{EMAIL_PREFIX}:{email}"),
            Subject::SecretKey(key) => write!(f, "{KEY_PREFIX}:{key}"),
            record => {
                let (kind, id) = record.record().ok_or(fmt::Error)?;
                write!(f, "{}:{id}", kind.key())
            }
        }
    }
}

/// What happened to the subject: a record created, updated (before and after), deleted, or an
/// action that changes no record of its own (a sign-in, a password reset, a key rotation).
#[derive(Debug, Clone)]
pub enum Change {
    Created(Value),
    Updated { before: Value, after: Value },
    Deleted(Value),
    Action(Option<Value>),
}

impl Change {
    pub fn before(&self) -> Option<&Value> {
        match self {
            Change::Updated { before, .. } | Change::Deleted(before) => Some(before),
            Change::Created(_) | Change::Action(_) => None,
        }
    }

    pub fn after(&self) -> Option<&Value> {
        match self {
            Change::Created(after) | Change::Updated { after, .. } => Some(after),
            Change::Action(detail) => detail.as_ref(),
            Change::Deleted(_) => None,
        }
    }
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub subject: Subject,
    pub change: Change,
}

/// An event as stored, with what its subject is called today.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    /// Set when the actor was an API key; `actor_label` is then the key's name at the time.
    pub api_key_id: Option<ApiKeyId>,
    pub kind: EventKind,
    pub subject: Subject,
    /// The subject record's current name (a MID's title, a user's name, a decline mapping's
    /// code and text); `None` when the record is gone or the subject is no record.
    pub subject_name: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub ip: Option<String>,
}

/// Filters of the event log page; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub actor_id: Option<UserId>,
    pub kind: Option<EventKind>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_subject_reads_back_as_the_same_subject() {
        let subjects = [
            Subject::User(UserId(1)),
            Subject::Role(RoleId(2)),
            Subject::Mid(MidId(3)),
            Subject::RoutingProfile(ProfileId(4)),
            Subject::DeclineMapping(MappingId(5)),
            Subject::RecycleProfile(RecycleProfileId(6)),
            Subject::Email("ann:b@example.com".into()),
            Subject::SecretKey("k1".into()),
        ];
        for subject in subjects {
            assert_eq!(Subject::parse(&subject.to_string()), Some(subject.clone()));
        }
        assert_eq!(Subject::Mid(MidId(3)).to_string(), "mid:3");
        for bad in ["mid:", "mid:x", "mid:-1", "mid:+1", "widget:3", "mid3", ""] {
            assert_eq!(Subject::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_kind_has_its_own_phrase() {
        let labels: std::collections::BTreeSet<_> =
            EventKind::all().map(EventKind::label).collect();
        assert_eq!(labels.len(), EventKind::all().count());
        assert_eq!(
            EventKind::RecycleProfileCreated.label(),
            "Recycle profile created"
        );
        assert_eq!(EventKind::LoginFailed.label(), "Sign-in failed");
        assert!(EventKind::MidCreated == "mid.created");
    }

    #[test]
    fn system_actors_read_as_labels() {
        assert_eq!(
            SystemActor::from_key("demo").map(SystemActor::label),
            Some("demo data")
        );
        assert_eq!(SystemActor::Demo.actor().label, "demo");
        assert_eq!(SystemActor::from_key("ann@example.com"), None);
    }
}
