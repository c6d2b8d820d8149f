//! Voids and refunds of a charge (R-CS-1, R-CS-2, R-CS-3). Each is reserved first: in one
//! database transaction that holds the charge (`FOR UPDATE` on PostgreSQL, the one writer on
//! SQLite) the rules are checked against every approved *and pending* reversal, and the
//! reversal is written as `pending` with its idempotency key. Only then is the gateway called,
//! outside any database transaction, and its answer written. So two agents refunding at once
//! never refund more than was captured, and the gateway is called once per recorded reversal.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Unexpected, random_token, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::orders::{ChargeFacts, NewTransaction};
use crate::db::outbox::NewEmail;
use crate::db::refund_queue::NewQueueEntry;
use crate::db::{Db, DbError};
use crate::domain::FieldErrors;
use crate::domain::decline::DeclineClass;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::{RefundQueueId, TransactionId};
use crate::domain::money::{MinorUnits, Money};
use crate::domain::notice;
use crate::domain::payment::{Refusal, TransactionKind, TransactionResult};
use crate::domain::refund_queue;
use crate::gateway::{Gateways, RefundRequest, Reply, VoidRequest};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("No such transaction.")]
    NotFound,
    /// The rules refuse it (R-CS-1, R-CS-2); the message says what to do instead.
    #[error("{0}")]
    Refused(Refusal),
    /// The gateway did not answer; the reversal stays pending until its outcome is known.
    #[error("The gateway did not answer ({0}); the {1} is pending and will be checked again.")]
    GatewayFailed(String, &'static str),
    #[error("{0}")]
    Invalid(FieldErrors),
    /// A reversal with this idempotency key was requested already.
    #[error("This request was made already.")]
    AlreadyRequested,
    /// Resend Refund Email on a transaction that is no approved refund or void.
    #[error("Only an approved refund or void has a confirmation to send again.")]
    NotReversed,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(PaymentError {
    NotFound => NotFound, "transaction_not_found",
    Invalid(_) => Invalid, "invalid",
    AlreadyRequested => Conflict, "already_requested",
    NotReversed => Conflict, "not_reversed",
    Refused(_) => Conflict, "reversal_refused",
    GatewayFailed(..) => Busy, "gateway_failed",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for PaymentError {
    fn from(e: DbError) -> Self {
        PaymentError::Unexpected(e.into())
    }
}

/// At most this many characters of reason.
pub const REASON_MAX: usize = 200;

/// What the agent or client gave with a reversal: a reason, and an idempotency key the
/// reversal's gateway key derives from (a double click, or a retried API call, reverses once).
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    pub reason: &'a str,
    pub key: Option<String>,
}

/// What a void or refund came to: its transaction and the gateway's answer.
#[derive(Debug, Clone)]
pub struct Reversal {
    pub id: TransactionId,
    pub kind: TransactionKind,
    pub amount: Money,
    pub reply: Reply,
    pub class: Option<DeclineClass>,
    /// A refund the gateway failed enters the refund queue (R-CS-4): its entry.
    pub queued: Option<RefundQueueId>,
}

/// Who asked for a reversal: an agent or API client (a failed refund is queued), or the refund
/// queue retrying one (its own failures are counted by the queue instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Asked,
    /// R-CS-3's refund after a failed void: it may refund money that has not settled yet.
    AfterVoid,
    Queue,
}

impl Reversal {
    pub fn approved(&self) -> bool {
        self.reply.approved()
    }
}

#[derive(Clone)]
pub struct PaymentService {
    db: Db,
    clock: Arc<dyn Clock>,
    gateways: Gateways,
}

impl PaymentService {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gateways: Gateways) -> Self {
        Self {
            db,
            clock,
            gateways,
        }
    }

    /// A charge as a confirmation names it: its order, amount and card.
    pub async fn describe(
        &self,
        id: TransactionId,
    ) -> Result<(crate::domain::ids::OrderId, Money, String), PaymentError> {
        db::orders::describe_charge(&self.db, id)
            .await?
            .ok_or(PaymentError::NotFound)
    }

    /// R-CS-1: voids an unsettled charge, whole.
    pub async fn void(
        &self,
        actor: &Actor,
        id: TransactionId,
        asked: &Asked<'_>,
    ) -> Result<Reversal, PaymentError> {
        self.reverse(actor, id, TransactionKind::Void, None, asked, Origin::Asked)
            .await
    }

    /// R-CS-2: refunds `amount` (minor units of the charge's currency; all that is left when
    /// `None`), never more than is left, also under concurrent refunds.
    pub async fn refund(
        &self,
        actor: &Actor,
        id: TransactionId,
        amount: Option<MinorUnits>,
        asked: &Asked<'_>,
    ) -> Result<Reversal, PaymentError> {
        self.reverse(
            actor,
            id,
            TransactionKind::Refund,
            amount,
            asked,
            Origin::Asked,
        )
        .await
    }

    /// A retry of the refund queue: like [`Self::refund`], but a failure is the queue's to count.
    pub(crate) async fn refund_from_queue(
        &self,
        actor: &Actor,
        id: TransactionId,
        amount: MinorUnits,
        asked: &Asked<'_>,
    ) -> Result<Reversal, PaymentError> {
        let kind = TransactionKind::Refund;
        self.reverse(actor, id, kind, Some(amount), asked, Origin::Queue)
            .await
    }

    /// R-CS-3: the order summary's Refund: a void first while the charge is unsettled and
    /// untouched, and a refund when the void is refused or declined.
    pub async fn refund_or_void(
        &self,
        actor: &Actor,
        id: TransactionId,
        asked: &Asked<'_>,
    ) -> Result<Reversal, PaymentError> {
        match self.void(actor, id, asked).await {
            Ok(void) if void.approved() => Ok(void),
            Ok(_) | Err(PaymentError::Refused(_)) => {
                let again = Asked {
                    key: asked.key.as_ref().map(|k| format!("{k}:refund")),
                    ..asked.clone()
                };
                let kind = TransactionKind::Refund;
                self.reverse(actor, id, kind, None, &again, Origin::AfterVoid)
                    .await
            }
            Err(e) => Err(e),
        }
    }

    async fn reverse(
        &self,
        actor: &Actor,
        id: TransactionId,
        kind: TransactionKind,
        amount: Option<MinorUnits>,
        asked: &Asked<'_>,
        origin: Origin,
    ) -> Result<Reversal, PaymentError> {
        let now = self.clock.now();
        let reason = asked.reason.trim();
        if reason.chars().count() > REASON_MAX || reason.chars().any(char::is_control) {
            return Err(PaymentError::Invalid(super::field_error(
                "reason",
                format!("A reason is one line of at most {REASON_MAX} characters."),
            )));
        }
        let key = match &asked.key {
            Some(key) => format!("{}:{key}", kind.key()),
            None => format!("{}:{}", kind.key(), random_token(16)?),
        };
        let wanted = Wanted {
            kind,
            amount,
            reason,
            key: &key,
            origin,
        };
        let (charge, amount) = self.reserve(id, &wanted, now).await?;
        let reversal = charge.reversal_id;
        let gateway = match self.gateways.for_mid(&charge.mid) {
            Ok(gateway) => gateway,
            Err(e) => return Err(PaymentError::GatewayFailed(e.to_string(), kind.key())),
        };
        let reference = charge.reference.as_str();
        let answered = match kind {
            TransactionKind::Void => {
                let request = VoidRequest {
                    mid: &charge.mid,
                    key: &key,
                    reference,
                };
                gateway.void(request).await
            }
            _ => {
                let request = RefundRequest {
                    mid: &charge.mid,
                    key: &key,
                    amount,
                    reference,
                };
                gateway.refund(request).await
            }
        };
        let reply = match answered {
            Ok(reply) => reply,
            // Unknown: ask by key once; still unknown, it stays pending for a later check.
            Err(first) => match gateway.outcome(&charge.mid, &key).await {
                Ok(Some(reply)) => reply,
                _ => return Err(PaymentError::GatewayFailed(first.to_string(), kind.key())),
            },
        };
        let class = super::declines::class_of(&self.db, &reply, charge.mid.provider).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        db::orders::answer_reversal(&mut tx, reversal, &reply, class).await?;
        let noun = match kind {
            TransactionKind::Void => "Void",
            _ => "Refund",
        };
        let because = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        let mut queued = None;
        let said = if reply.approved() {
            db::orders::mark_reversed(&mut tx, charge.order_id, now).await?;
            confirm_by_email(&mut tx, &charge, kind, amount, now).await?;
            format!("{noun} of {amount} issued{because}; confirmation emailed.")
        } else if kind == TransactionKind::Refund && origin != Origin::Queue {
            let error = format!("{} {}", reply.code, reply.text);
            let entry = NewQueueEntry {
                transaction_id: charge.id,
                order_id: charge.order_id,
                customer_id: charge.customer_id,
                amount,
                reason,
                last_error: &error,
                next_try_at: now + refund_queue::retry_wait(),
                requested_by: actor.user_id,
            };
            let id = db::refund_queue::insert(&mut tx, &entry, now).await?;
            super::refund_queue::schedule(&mut tx, id, 1, entry.next_try_at, now).await?;
            let event = NewEvent {
                kind: EventKind::RefundQueued,
                subject: Subject::RefundQueueEntry(id),
                change: Change::Action(Some(json!({
                    "transaction": charge.id.0,
                    "amount": amount.to_string(),
                    "error": error,
                }))),
            };
            db::events::insert(&mut tx, actor, &event, now).await?;
            queued = Some(id);
            format!(
                "Refund of {amount} failed ({error}){because}: in the refund queue, retried once a day for {} days.",
                refund_queue::RETRIES
            )
        } else {
            format!(
                "{noun} of {amount} declined ({} {}){because}.",
                reply.code, reply.text
            )
        };
        let entry = NewHistoryEntry::automatic(
            match kind {
                TransactionKind::Void => HistoryKind::Void,
                _ => HistoryKind::Refund,
            },
            charge.customer_id,
            Some(charge.order_id),
            actor.user_id,
            &said,
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: match kind {
                TransactionKind::Void => EventKind::TransactionVoided,
                _ => EventKind::TransactionRefunded,
            },
            subject: Subject::Transaction(charge.id),
            change: Change::Action(Some(json!({
                "order": charge.order_id.0,
                "amount": amount.to_string(),
                "result": reply.result().key(),
                "response": format!("{} {}", reply.code, reply.text),
                "reason": reason,
            }))),
        };
        db::events::insert(&mut tx, actor, &event, now).await?;
        tx.commit().await?;
        Ok(Reversal {
            id: reversal,
            kind,
            amount,
            reply,
            class,
            queued,
        })
    }

    /// Resend Refund Email (R-CS-7): the confirmation of an approved refund or void, written to
    /// the outbox again.
    pub async fn resend_confirmation(
        &self,
        actor: &Actor,
        id: TransactionId,
    ) -> Result<(), PaymentError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let reversal = db::order_actions::reversal(&mut tx, id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        let approved_reversal = matches!(
            reversal.kind,
            TransactionKind::Refund | TransactionKind::Void
        ) && reversal.result == TransactionResult::Approved;
        if !approved_reversal {
            return Err(PaymentError::NotReversed);
        }
        let parent = reversal.parent_id.ok_or(PaymentError::NotReversed)?;
        let charge = db::orders::charge_for_update(&mut tx, parent, now)
            .await?
            .ok_or(PaymentError::NotFound)?;
        confirm_by_email(&mut tx, &charge, reversal.kind, reversal.amount, now).await?;
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Email,
            charge.customer_id,
            Some(charge.order_id),
            actor.user_id,
            &format!(
                "{} confirmation of {} emailed again.",
                if reversal.kind == TransactionKind::Void {
                    "Void"
                } else {
                    "Refund"
                },
                reversal.amount
            ),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::EmailResent,
            subject: Subject::Transaction(id),
            change: Change::Action(Some(
                json!({ "email": notice::reversal_kind(reversal.kind) }),
            )),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// Checks the rules against the charge as it is, with every approved and pending reversal
    /// counted, and writes the reversal as pending, in one transaction that holds the charge.
    async fn reserve(
        &self,
        id: TransactionId,
        wanted: &Wanted<'_>,
        now: DateTime<Utc>,
    ) -> Result<(ChargeFacts, Money), PaymentError> {
        let Wanted {
            kind,
            amount,
            reason,
            key,
            origin,
        } = *wanted;
        let mut tx = self.db.begin().await?;
        let Some(mut charge) = db::orders::charge_for_update(&mut tx, id, now).await? else {
            return Err(PaymentError::NotFound);
        };
        let amount = match kind {
            TransactionKind::Void => {
                charge.charged.may_void().map_err(PaymentError::Refused)?;
                charge.charged.amount
            }
            _ => {
                let currency = charge.charged.amount.currency();
                let amount = amount.map(|minor| Money::new(minor, currency));
                let allowed = match origin {
                    Origin::AfterVoid => charge.charged.may_refund_unsettled(amount),
                    Origin::Asked | Origin::Queue => charge.charged.may_refund(amount),
                };
                allowed.map_err(PaymentError::Refused)?
            }
        };
        let reversal = NewTransaction {
            order_id: charge.order_id,
            parent_id: Some(id),
            mid_id: charge.mid.id,
            payment_method_id: charge.payment_method_id,
            kind,
            amount,
            result: TransactionResult::Pending,
            response_code: "",
            response_text: "",
            decline_class: None,
            gateway_reference: None,
            idempotency_key: key,
            settled_at: None,
            reason,
        };
        charge.reversal_id = match db::orders::insert_transaction(&mut tx, &reversal, now).await {
            Ok(id) => id,
            Err(DbError::Unique { .. }) => return Err(PaymentError::AlreadyRequested),
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok((charge, amount))
    }
}

/// A reversal as asked for, checked and reserved by `reserve`.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    kind: TransactionKind,
    amount: Option<MinorUnits>,
    reason: &'a str,
    key: &'a str,
    origin: Origin,
}

/// Writes the customer's confirmation of an approved refund or void to the outbox, in the
/// transaction that records it.
async fn confirm_by_email(
    tx: &mut db::Tx,
    charge: &ChargeFacts,
    kind: TransactionKind,
    amount: Money,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let Some(customer) = db::orders::find_customer(&mut *tx, charge.customer_id).await? else {
        return Ok(());
    };
    let notice = notice::reversal_confirmation(kind, &customer.first_name, charge.order_id, amount);
    let email = NewEmail {
        customer_id: Some(customer.id),
        order_id: Some(charge.order_id),
        kind: notice::reversal_kind(kind),
        to: &customer.email,
        subject: &notice.subject,
        body: &notice.body,
    };
    db::outbox::queue(&mut *tx, &email, now).await.map(drop)
}
