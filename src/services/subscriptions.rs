//! Purchase details (seed 004, R-CS-6, R-CS-7): restart, skip or stop a trial; change the
//! product option, the quantity and unit price (price = quantity x unit price), the next
//! billing date; cancel with a reason; pause and resume; force bill the current cycle on the
//! subscription's MID with the card on file. Every change is logged in the event log and the
//! customer's history in the transaction that makes it.
//!
//! "Stop a trial" ends the trial without charging anything and cancels the subscription (reason
//! "Trial stopped"): the customer keeps what the trial gave them and is never billed. To end a
//! trial early and start billing, skip it instead.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde_json::json;

use super::orders::{OnFileCharge, OrderService, SaleError};
use super::{Unexpected, field_error, random_token, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::{Db, DbError, Tx};
use crate::domain::FieldErrors;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject, SystemActor};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::{CustomerId, SubscriptionId, TransactionId};
use crate::domain::job::Job;
use crate::domain::money::{Currency, Money};
use crate::domain::order::SubscriptionStatus;
use crate::domain::subscription::{
    Action, NextBillDate, PauseUntil, PriceChange, Purchase, Refusal, SubscriptionDetails,
    bill_day, check_action, next_cycle, price_of, resumed_next_bill, trial_restart_ends,
};

/// A bill's claim older than this is a crashed request's, and another bill may take over.
const CLAIM_LEASE_MINUTES: i64 = 5;

/// The reason a stopped trial's subscription is cancelled with.
pub const TRIAL_STOPPED: &str = "Trial stopped";

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("No such subscription.")]
    NotFound,
    #[error("This subscription is cancelled: it cannot be changed.")]
    Cancelled,
    #[error("{0}")]
    Refused(Refusal),
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("This product offers no trial now, so there is none to restart.")]
    NoTrial,
    #[error("No card is on file for this subscription.")]
    NoCard,
    #[error("The subscription's MID cannot take this bill: {0}.")]
    MidRefuses(String),
    #[error("This bill was made already: the form it came from was sent before.")]
    AlreadyBilled,
    #[error("Another bill of this subscription is under way; try again in a moment.")]
    BillingUnderWay,
    #[error("The gateway did not answer: {0}")]
    GatewayFailed(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(SubscriptionError {
    NotFound => NotFound, "subscription_not_found",
    Cancelled => Conflict, "subscription_cancelled",
    Refused(_) => Conflict, "subscription_state",
    Invalid(_) => Invalid, "invalid",
    NoTrial => Conflict, "no_trial",
    NoCard => Conflict, "no_card_on_file",
    MidRefuses(_) => Conflict, "mid_refuses",
    AlreadyBilled => Conflict, "already_billed",
    BillingUnderWay => Conflict, "billing_under_way",
    GatewayFailed(_) => Busy, "gateway_failed",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for SubscriptionError {
    fn from(e: DbError) -> Self {
        SubscriptionError::Unexpected(e.into())
    }
}

impl From<Refusal> for SubscriptionError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Cancelled => SubscriptionError::Cancelled,
            other => SubscriptionError::Refused(other),
        }
    }
}

impl From<SaleError> for SubscriptionError {
    fn from(e: SaleError) -> Self {
        match e {
            SaleError::Unexpected(u) => SubscriptionError::Unexpected(u),
            SaleError::AlreadyRecorded => SubscriptionError::AlreadyBilled,
            other => SubscriptionError::GatewayFailed(other.to_string()),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> SubscriptionError {
    SubscriptionError::Invalid(field_error(field, message))
}

/// Which subscription an action is for: by id (the API), or by id as shown on a page for one
/// customer, so a subscription of another customer posted by hand is not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub id: SubscriptionId,
    pub customer: Option<CustomerId>,
}

impl Target {
    pub fn any(id: SubscriptionId) -> Self {
        Self { id, customer: None }
    }

    pub fn of(id: SubscriptionId, customer: Option<CustomerId>) -> Self {
        Self { id, customer }
    }

    fn matches(&self, s: &SubscriptionDetails) -> bool {
        self.customer.is_none_or(|c| c == s.customer_id)
    }
}

/// A change of option as it will be made: the option and the prices it brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChange {
    pub option: String,
    pub unit_price: Money,
    pub price: Money,
}

/// Why a bill is made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillKind {
    /// Force bill the current cycle.
    Force,
    /// Skip the trial: bill the recurring price now and go active.
    SkipTrial,
}

impl BillKind {
    fn action(self) -> Action {
        match self {
            BillKind::Force => Action::ForceBill,
            BillKind::SkipTrial => Action::SkipTrial,
        }
    }

    fn label(self) -> &'static str {
        match self {
            BillKind::Force => "Force bill",
            BillKind::SkipTrial => "Trial skipped, billed now",
        }
    }

    fn key(self) -> &'static str {
        match self {
            BillKind::Force => "force",
            BillKind::SkipTrial => "skip",
        }
    }
}

/// What a bill came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    pub approved: bool,
    pub amount: Money,
    /// The gateway's code and text.
    pub response: String,
    /// The charge, recorded on the subscription's order.
    pub transaction: Option<TransactionId>,
    pub subscription: SubscriptionDetails,
}

#[derive(Clone)]
pub struct SubscriptionService {
    db: Db,
    clock: Arc<dyn Clock>,
    orders: OrderService,
}

impl SubscriptionService {
    pub fn new(db: Db, clock: Arc<dyn Clock>, orders: OrderService) -> Self {
        Self { db, clock, orders }
    }

    /// Today, UTC, by the clock: the earliest next billing date.
    pub fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    /// The subscription and its product, for the purchase details page.
    pub async fn purchase(&self, target: Target) -> Result<Purchase, SubscriptionError> {
        let subscription = self.find(target).await?;
        let product = db::catalogue::find_product(&self.db, subscription.product_id).await?;
        Ok(Purchase {
            subscription,
            product,
        })
    }

    pub async fn find(&self, target: Target) -> Result<SubscriptionDetails, SubscriptionError> {
        db::subscriptions::find(&self.db, target.id)
            .await?
            .filter(|s| target.matches(s))
            .ok_or(SubscriptionError::NotFound)
    }

    /// Whether `action` may be done now: for the page, before it asks for confirmation.
    pub fn check(
        &self,
        subscription: &SubscriptionDetails,
        action: Action,
    ) -> Result<(), SubscriptionError> {
        Ok(check_action(subscription.status, action)?)
    }

    /// Opens the change of `target`: its row held, found for its customer, `action` allowed.
    async fn begin(
        &self,
        target: Target,
        action: Action,
    ) -> Result<(Tx, SubscriptionDetails), SubscriptionError> {
        let mut tx = self.db.begin().await?;
        if !db::subscriptions::lock(&mut tx, target.id).await? {
            return Err(SubscriptionError::NotFound);
        }
        let found = db::subscriptions::find(&mut tx, target.id)
            .await?
            .filter(|s| target.matches(s))
            .ok_or(SubscriptionError::NotFound)?;
        check_action(found.status, action)?;
        Ok((tx, found))
    }

    /// Writes the history entry and the event of a change, and commits it; then reads the
    /// subscription as it is now.
    async fn finish(
        &self,
        mut tx: Tx,
        actor: &Actor,
        s: &SubscriptionDetails,
        said: &str,
        event: NewEvent,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let now = self.clock.now();
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Subscription,
            s.customer_id,
            Some(s.order_id),
            actor.user_id,
            said,
        );
        db::history::add(&mut tx, &entry, now).await?;
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        self.find(Target::any(s.id)).await
    }

    /// "#12 (Monthly refill, Large)".
    fn what(s: &SubscriptionDetails) -> String {
        match &s.option {
            Some(option) => format!("#{} ({}, {option})", s.id, s.product_name),
            None => format!("#{} ({})", s.id, s.product_name),
        }
    }

    /// Restart the trial: it begins again now and bills first after the product's trial days.
    pub async fn restart_trial(
        &self,
        actor: &Actor,
        target: Target,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let (mut tx, s) = self.begin(target, Action::RestartTrial).await?;
        let days = db::catalogue::find_product(&mut tx, s.product_id)
            .await?
            .and_then(|p| p.product.trial.map(|t| t.days))
            .ok_or(SubscriptionError::NoTrial)?;
        let now = self.clock.now();
        let next = trial_restart_ends(now, days);
        db::subscriptions::set_next_bill(&mut tx, s.id, next, now).await?;
        let said = format!(
            "Trial of subscription {} restarted: {days} days, first bill on {}.",
            Self::what(&s),
            bill_day(next)
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionTrialChanged,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "status": s.status.key(), "next_bill_at": s.next_bill_at }),
                after: json!({ "trial": "restarted", "status": s.status.key(), "next_bill_at": next, "trial_days": days }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// Stop the trial: nothing is charged and the subscription is cancelled.
    pub async fn stop_trial(
        &self,
        actor: &Actor,
        target: Target,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let (mut tx, s) = self.begin(target, Action::StopTrial).await?;
        let now = self.clock.now();
        db::subscriptions::cancel(&mut tx, s.id, TRIAL_STOPPED, now).await?;
        let said = format!(
            "Trial of subscription {} stopped: the subscription is cancelled and will not bill.",
            Self::what(&s)
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionTrialChanged,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "status": s.status.key(), "next_bill_at": s.next_bill_at }),
                after: json!({ "trial": "stopped", "status": SubscriptionStatus::Cancelled.key(), "reason": TRIAL_STOPPED }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// The option `raw` names among the product's options now, with the prices it brings (the
    /// option's own unit price, else the product's; price = quantity x unit price).
    pub fn plan_option(
        &self,
        purchase: &Purchase,
        raw: &str,
    ) -> Result<OptionChange, SubscriptionError> {
        let s = &purchase.subscription;
        let Some(product) = &purchase.product else {
            return Err(invalid(
                "option",
                "This product is no longer in the catalogue.",
            ));
        };
        let options = &product.product.options;
        if options.is_empty() {
            return Err(invalid("option", "This product has no options."));
        }
        let raw = raw.trim();
        let Some(option) = options.iter().find(|o| o.name.eq_ignore_ascii_case(raw)) else {
            let names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
            return Err(invalid(
                "option",
                format!("Pick one of: {}.", names.join(", ")),
            ));
        };
        if s.option.as_deref() == Some(option.name.as_str()) {
            return Err(invalid(
                "option",
                format!("The option is {} already.", option.name),
            ));
        }
        let unit_price = product.product.unit_price(Some(&option.name));
        if unit_price.currency() != s.price.currency() {
            return Err(invalid(
                "option",
                format!(
                    "This option is priced in {}, the subscription in {}.",
                    unit_price.currency(),
                    s.price.currency()
                ),
            ));
        }
        let price = price_of(s.quantity, unit_price)
            .map_err(|_| invalid("option", "This option makes the price too large."))?;
        Ok(OptionChange {
            option: option.name.clone(),
            unit_price,
            price,
        })
    }

    /// Select a different product option (from the catalogue's options of the product).
    pub async fn change_option(
        &self,
        actor: &Actor,
        target: Target,
        raw: &str,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let (mut tx, s) = self.begin(target, Action::ChangeOption).await?;
        let purchase = Purchase {
            product: db::catalogue::find_product(&mut tx, s.product_id).await?,
            subscription: s,
        };
        let change = self.plan_option(&purchase, raw)?;
        let s = purchase.subscription;
        let now = self.clock.now();
        db::subscriptions::set_option(
            &mut tx,
            s.id,
            &change.option,
            change.unit_price,
            change.price,
            now,
        )
        .await?;
        let said = format!(
            "Option of subscription {} changed to {}: {} each, {} a cycle.",
            Self::what(&s),
            change.option,
            change.unit_price,
            change.price
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionUpdated,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "option": s.option, "unit_price": s.unit_price.to_string(), "price": s.price.to_string() }),
                after: json!({ "option": change.option, "unit_price": change.unit_price.to_string(), "price": change.price.to_string() }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// R-CS-6: the quantity and unit price as typed, and the price they make.
    pub fn plan_price(
        &self,
        currency: Currency,
        quantity: &str,
        unit_price: &str,
    ) -> Result<PriceChange, SubscriptionError> {
        PriceChange::parse(quantity, unit_price, currency).map_err(SubscriptionError::Invalid)
    }

    /// Change the quantity and unit price; the price is quantity x unit price (R-CS-6).
    pub async fn change_price(
        &self,
        actor: &Actor,
        target: Target,
        quantity: &str,
        unit_price: &str,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let (mut tx, s) = self.begin(target, Action::ChangePrice).await?;
        let change = self.plan_price(s.price.currency(), quantity, unit_price)?;
        let now = self.clock.now();
        let quantity = change.quantity.get();
        db::subscriptions::set_price(
            &mut tx,
            s.id,
            quantity,
            change.unit_price,
            change.price,
            now,
        )
        .await?;
        let said = format!(
            "Price of subscription {} changed to {quantity} x {} = {} a cycle (was {} x {} = {}).",
            Self::what(&s),
            change.unit_price,
            change.price,
            s.quantity,
            s.unit_price,
            s.price
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionUpdated,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "quantity": s.quantity, "unit_price": s.unit_price.to_string(), "price": s.price.to_string() }),
                after: json!({ "quantity": quantity, "unit_price": change.unit_price.to_string(), "price": change.price.to_string() }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// A next billing date as typed: a real date, not in the past.
    pub fn plan_next_bill(&self, raw: &str) -> Result<NextBillDate, SubscriptionError> {
        NextBillDate::parse(raw, self.today()).map_err(|m| invalid("next_bill", m))
    }

    /// Change the next billing date.
    pub async fn change_next_bill(
        &self,
        actor: &Actor,
        target: Target,
        raw: &str,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let date = self.plan_next_bill(raw)?;
        let (mut tx, s) = self.begin(target, Action::ChangeNextBill).await?;
        let now = self.clock.now();
        let at = date.at(s.next_bill_at, now);
        db::subscriptions::set_next_bill(&mut tx, s.id, Some(at), now).await?;
        let said = format!(
            "Next bill of subscription {} moved from {} to {}.",
            Self::what(&s),
            bill_day(s.next_bill_at),
            bill_day(Some(at))
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionUpdated,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "next_bill_at": s.next_bill_at }),
                after: json!({ "next_bill_at": at }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// A cancellation reason: one line of at most 200 characters.
    pub fn check_reason<'r>(&self, reason: &'r str) -> Result<&'r str, SubscriptionError> {
        let reason = reason.trim();
        let max = super::payments::REASON_MAX;
        if reason.is_empty() {
            return Err(invalid("reason", "Choose a reason."));
        }
        if reason.chars().count() > max || reason.chars().any(char::is_control) {
            return Err(invalid(
                "reason",
                format!("A reason is one line of at most {max} characters."),
            ));
        }
        Ok(reason)
    }

    /// Cancel the subscription with `reason`: it bills no more.
    pub async fn cancel(
        &self,
        actor: &Actor,
        target: Target,
        reason: &str,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let reason = self.check_reason(reason)?;
        let (mut tx, s) = self.begin(target, Action::Cancel).await?;
        let now = self.clock.now();
        db::subscriptions::cancel(&mut tx, s.id, reason, now).await?;
        let said = format!("Subscription {} cancelled ({reason}).", Self::what(&s));
        let event = NewEvent {
            kind: EventKind::SubscriptionCancelled,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "status": s.status.key(), "next_bill_at": s.next_bill_at }),
                after: json!({ "status": SubscriptionStatus::Cancelled.key(), "reason": reason }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// How long a pause lasts, as typed (empty: until resumed).
    pub fn plan_pause(&self, until: Option<&str>) -> Result<PauseUntil, SubscriptionError> {
        PauseUntil::parse(until, self.today()).map_err(|m| invalid("until", m))
    }

    /// Pause until a day or until resumed: nothing is billed meanwhile.
    pub async fn pause(
        &self,
        actor: &Actor,
        target: Target,
        until: Option<&str>,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let until = self.plan_pause(until)?;
        let (mut tx, s) = self.begin(target, Action::Pause).await?;
        let now = self.clock.now();
        db::subscriptions::pause(&mut tx, s.id, s.status, until.until(), now).await?;
        if let (PauseUntil::Day(d), Some(at)) = (until, until.until()) {
            // The job that resumes it on the day; one per subscription and day, so pausing
            // again until the same day does not resume it twice.
            let job = Job::ResumeSubscription {
                subscription_id: s.id,
            };
            let unique = format!("resume-subscription-{}-{}", s.id, d.format("%Y-%m-%d"));
            db::jobs::enqueue(&mut tx, &job, at, Some(&unique), now).await?;
        }
        let how = match until {
            PauseUntil::Resumed => "until it is resumed".to_owned(),
            PauseUntil::Day(d) => format!("until {}", d.format("%Y-%m-%d")),
        };
        let said = format!("Subscription {} paused {how}.", Self::what(&s));
        let event = NewEvent {
            kind: EventKind::SubscriptionPaused,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "status": s.status.key() }),
                after: json!({ "status": SubscriptionStatus::Paused.key(), "until": until.until() }),
            },
        };
        self.finish(tx, actor, &s, &said, event).await
    }

    /// Resume a paused subscription: back to where it was (active, or its trial), billing next
    /// on its date, or at once if that passed during the pause.
    pub async fn resume(
        &self,
        actor: &Actor,
        target: Target,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let (tx, s) = self.begin(target, Action::Resume).await?;
        self.resumed(tx, actor, &s, "resumed").await
    }

    /// The background job's resume of a subscription paused until a day, once that day has
    /// come. `None`, changing nothing, when it is no longer paused until a day that has come:
    /// resumed by hand, cancelled, or paused again until later or until resumed.
    pub async fn resume_when_due(
        &self,
        id: SubscriptionId,
    ) -> Result<Option<SubscriptionDetails>, SubscriptionError> {
        let (tx, s) = match self.begin(Target::any(id), Action::Resume).await {
            Ok(found) => found,
            Err(
                SubscriptionError::NotFound
                | SubscriptionError::Cancelled
                | SubscriptionError::Refused(_),
            ) => return Ok(None),
            Err(e) => return Err(e),
        };
        if s.paused_until.is_none_or(|day| day > self.clock.now()) {
            return Ok(None);
        }
        let actor = SystemActor::Jobs.actor();
        let resumed = self
            .resumed(tx, &actor, &s, "resumed: its pause ended")
            .await?;
        Ok(Some(resumed))
    }

    /// Writes a resume of `s` (found paused, in `tx`): back to where it was, billing next on
    /// its date or at once if that passed during the pause; logged and noted in History.
    async fn resumed(
        &self,
        mut tx: Tx,
        actor: &Actor,
        s: &SubscriptionDetails,
        how: &str,
    ) -> Result<SubscriptionDetails, SubscriptionError> {
        let now = self.clock.now();
        let status = s.paused_from.unwrap_or(SubscriptionStatus::Active);
        let next = resumed_next_bill(s.next_bill_at, now);
        db::subscriptions::resume(&mut tx, s.id, status, next, now).await?;
        let said = format!(
            "Subscription {} {how} ({}); next bill on {}.",
            Self::what(s),
            status.label().to_lowercase(),
            bill_day(next)
        );
        let event = NewEvent {
            kind: EventKind::SubscriptionResumed,
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({ "status": s.status.key(), "paused_until": s.paused_until }),
                after: json!({ "status": status.key(), "next_bill_at": next }),
            },
        };
        self.finish(tx, actor, s, &said, event).await
    }

    /// Skip the trial: bill the recurring price now; approved, the subscription goes active and
    /// bills next one cycle on. `key` (the form's one-time token) bills once however often sent.
    pub async fn skip_trial(
        &self,
        actor: &Actor,
        target: Target,
        key: Option<&str>,
    ) -> Result<Billed, SubscriptionError> {
        self.bill(actor, target, key, BillKind::SkipTrial).await
    }

    /// Force bill the current cycle now, on the subscription's MID with the card on file.
    /// Approved: the cycle advances (one more billed, next bill one cycle on). Declined: the
    /// decline is recorded on the order and as the subscription's last decline. `key` (the
    /// form's one-time token, the API's idempotency key) bills once however often it is sent.
    pub async fn force_bill(
        &self,
        actor: &Actor,
        target: Target,
        key: Option<&str>,
    ) -> Result<Billed, SubscriptionError> {
        self.bill(actor, target, key, BillKind::Force).await
    }

    async fn bill(
        &self,
        actor: &Actor,
        target: Target,
        key: Option<&str>,
        kind: BillKind,
    ) -> Result<Billed, SubscriptionError> {
        let s = self.find(target).await?;
        check_action(s.status, kind.action())?;
        let key = match key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => key.to_owned(),
            None => random_token(16)?,
        };
        let base_key = format!("sub:{}:{}:{key}", s.id, kind.key());
        if db::orders::key_used(&self.db, &format!("{base_key}:1")).await? {
            return Err(SubscriptionError::AlreadyBilled);
        }
        let card = db::orders::payment_method(&self.db, s.payment_method_id)
            .await?
            .filter(|c| !c.token.is_empty())
            .ok_or(SubscriptionError::NoCard)?;
        let mid = db::mids::find(&self.db, s.mid_id)
            .await?
            .ok_or_else(|| DbError::corrupt("subscriptions", s.id.0, "mid_id", s.mid_id))?;
        if let Err(reason) = self.orders.may_charge_on_file(&mid, &card, s.price).await? {
            return Err(SubscriptionError::MidRefuses(reason.to_string()));
        }
        let now = self.clock.now();
        let stale = now - Duration::minutes(CLAIM_LEASE_MINUTES);
        if !db::subscriptions::claim_billing(&self.db, s.id, &base_key, now, stale).await? {
            let holder = db::subscriptions::billing_claim(&self.db, s.id).await?;
            return Err(match holder {
                Some(holder) if holder == base_key => SubscriptionError::AlreadyBilled,
                Some(_) => SubscriptionError::BillingUnderWay,
                // Nobody holds it: its state changed since it was read (a cancel).
                None => match self.find(target).await {
                    Ok(now) => check_action(now.status, kind.action())
                        .err()
                        .map_or(SubscriptionError::BillingUnderWay, Into::into),
                    Err(e) => e,
                },
            });
        }
        let outcome = match self
            .orders
            .charge_on_file(mid, &card.token, s.price, &base_key)
            .await
        {
            Ok(charge) => self.record_bill(actor, &s, &charge, kind, &base_key).await,
            Err(e) => Err(e.into()),
        };
        if outcome.is_err() {
            // Nothing of the bill was written: let the next one through at once.
            db::subscriptions::release_billing(&self.db, s.id, &base_key).await?;
        }
        outcome
    }

    /// Writes a bill's charge on the subscription's order, and what it did to the subscription,
    /// in one transaction.
    async fn record_bill(
        &self,
        actor: &Actor,
        s: &SubscriptionDetails,
        charge: &OnFileCharge,
        kind: BillKind,
        base_key: &str,
    ) -> Result<Billed, SubscriptionError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        db::subscriptions::lock(&mut tx, s.id).await?;
        let current = db::subscriptions::find(&mut tx, s.id)
            .await?
            .ok_or(SubscriptionError::NotFound)?;
        let note = format!(
            "{} of subscription #{} ({}) by {}.",
            kind.label(),
            s.id,
            s.product_name,
            actor.label
        );
        db::orders::insert_notes(&mut tx, s.order_id, &[note], now).await?;
        self.orders
            .record_on_file(&mut tx, s.order_id, s.payment_method_id, charge, now)
            .await?;
        let transaction = db::subscriptions::transaction_by_key(&mut tx, charge.key()).await?;
        let approved = charge.approved();
        let advanced = approved && !current.is_cancelled();
        let next = if advanced {
            next_cycle(now, s.cycle_days)
        } else {
            current.next_bill_at
        };
        if advanced {
            db::subscriptions::billed(&mut tx, s.id, next, now).await?;
        } else if let (false, Some(id)) = (approved, transaction) {
            db::subscriptions::declined(&mut tx, s.id, id, now).await?;
        } else {
            // Approved after a cancel made while the gateway answered: the money is recorded
            // on the order (an agent can refund it there); the subscription stays cancelled.
            db::subscriptions::release_billing(&mut tx, s.id, base_key).await?;
        }
        let result = if approved { "approved" } else { "declined" };
        let said = if approved {
            format!(
                "{} of subscription {}: {} approved; next bill on {}.",
                kind.label(),
                Self::what(s),
                charge.amount(),
                bill_day(next)
            )
        } else {
            format!(
                "{} of subscription {}: {} declined ({}).",
                kind.label(),
                Self::what(s),
                charge.amount(),
                charge.response()
            )
        };
        let event = NewEvent {
            kind: match kind {
                BillKind::Force => EventKind::SubscriptionForceBilled,
                BillKind::SkipTrial => EventKind::SubscriptionTrialChanged,
            },
            subject: Subject::Subscription(s.id),
            change: Change::Updated {
                before: json!({
                    "status": current.status.key(),
                    "cycles_billed": current.cycles_billed,
                    "next_bill_at": current.next_bill_at,
                }),
                after: json!({
                    "status": if advanced { SubscriptionStatus::Active } else { current.status }.key(),
                    "cycles_billed": current.cycles_billed + u32::from(advanced),
                    "next_bill_at": next,
                    "bill": kind.key(),
                    "amount": charge.amount().to_string(),
                    "result": result,
                    "response": charge.response(),
                    "decline_class": charge.decline_class().map(|c| c.key()),
                    "transaction": transaction.map(|t| t.0),
                    "order": s.order_id.0,
                }),
            },
        };
        let subscription = self.finish(tx, actor, s, &said, event).await?;
        Ok(Billed {
            approved,
            amount: charge.amount(),
            response: charge.response(),
            transaction,
            subscription,
        })
    }
}
