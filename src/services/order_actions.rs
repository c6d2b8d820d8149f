//! The order summary's own actions (R-CS-7): cancel the order (its subscriptions and pending
//! fulfillments with it, and a refund of its charges when asked: R-CS-3), resend the welcome
//! email, and the fulfillment actions Reship and Cancel. Transaction actions are the payment
//! service's.

use std::sync::Arc;

use serde_json::json;

use super::payments::{Asked, PaymentError, PaymentService, Reversal};
use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::outbox::NewEmail;
use crate::db::{Db, DbError};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::{FulfillmentId, OrderId};
use crate::domain::order::{FulfillmentStatus, OrderStatus};
use crate::domain::payment::{Refusal, TransactionKind, TransactionResult};

#[derive(Debug, thiserror::Error)]
pub enum OrderActionError {
    #[error("No such order.")]
    OrderNotFound,
    #[error("No such fulfillment.")]
    FulfillmentNotFound,
    #[error("This order was cancelled already.")]
    AlreadyCancelled,
    #[error("This campaign sends no welcome email, so there is none to send again.")]
    NoWelcomeEmail,
    #[error("Only a pending fulfillment can be cancelled; this one is {0}.")]
    NotPending(&'static str),
    #[error(
        "A {0} fulfillment cannot be reshipped; only one that was shipped, delivered or returned."
    )]
    NotReshippable(&'static str),
    #[error("{0}")]
    Invalid(crate::domain::FieldErrors),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(OrderActionError {
    OrderNotFound => NotFound, "order_not_found",
    FulfillmentNotFound => NotFound, "fulfillment_not_found",
    AlreadyCancelled => Conflict, "order_cancelled",
    NoWelcomeEmail => Conflict, "no_welcome_email",
    NotPending(_) => Conflict, "fulfillment_not_pending",
    NotReshippable(_) => Conflict, "fulfillment_not_reshippable",
    Invalid(_) => Invalid, "invalid",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for OrderActionError {
    fn from(e: DbError) -> Self {
        OrderActionError::Unexpected(e.into())
    }
}

/// At most this many characters of reason, as for refunds.
const REASON_MAX: usize = super::payments::REASON_MAX;

fn checked_reason(reason: &str) -> Result<&str, OrderActionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OrderActionError::Invalid(super::field_error(
            "reason",
            "Choose a reason.",
        )));
    }
    if reason.chars().count() > REASON_MAX || reason.chars().any(char::is_control) {
        return Err(OrderActionError::Invalid(super::field_error(
            "reason",
            format!("A reason is one line of at most {REASON_MAX} characters."),
        )));
    }
    Ok(reason)
}

/// What cancelling an order came to.
#[derive(Debug)]
pub struct OrderCancelled {
    pub subscriptions: u64,
    pub fulfillments: u64,
    /// With "refund too": each charge's void or refund, or why it could not be.
    pub reversals: Vec<Result<Reversal, PaymentError>>,
}

#[derive(Clone)]
pub struct OrderActionService {
    db: Db,
    clock: Arc<dyn Clock>,
    payments: PaymentService,
}

impl OrderActionService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>, payments: PaymentService) -> Self {
        Self {
            db,
            clock,
            payments,
        }
    }

    /// Cancels the order, its subscriptions and pending fulfillments (one transaction, logged,
    /// in the customer's history); with `refund`, then reverses each approved charge with money
    /// left the R-CS-3 way (void first, refund when the void fails or the money settled). `key`
    /// makes the reversals once-only, as a form's one-time key does.
    pub async fn cancel(
        &self,
        actor: &Actor,
        order: OrderId,
        reason: &str,
        refund: bool,
        key: Option<&str>,
    ) -> Result<OrderCancelled, OrderActionError> {
        let reason = checked_reason(reason)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::orders::find_order(&mut tx, order)
            .await?
            .ok_or(OrderActionError::OrderNotFound)?;
        let Some(cancelled) = db::order_actions::cancel_order(&mut tx, order, reason, now).await?
        else {
            return Err(OrderActionError::AlreadyCancelled);
        };
        let said = format!(
            "Order #{order} cancelled ({reason}): {} subscription(s) and {} pending fulfillment(s) cancelled{}.",
            cancelled.subscriptions,
            cancelled.fulfillments,
            if refund { ", refund requested" } else { "" }
        );
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Order,
            before.customer_id,
            Some(order),
            actor.user_id,
            &said,
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::OrderCancelled,
            subject: Subject::Order(order),
            change: Change::Updated {
                before: json!({ "status": before.status.key() }),
                after: json!({
                    "status": OrderStatus::Cancelled.key(),
                    "reason": reason,
                    "subscriptions_cancelled": cancelled.subscriptions,
                    "fulfillments_cancelled": cancelled.fulfillments,
                    "refund": refund,
                }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        let reversals = if refund {
            self.reverse_charges(actor, order, reason, key).await?
        } else {
            Vec::new()
        };
        Ok(OrderCancelled {
            subscriptions: cancelled.subscriptions,
            fulfillments: cancelled.fulfillments,
            reversals,
        })
    }

    /// The order summary's Refund (R-CS-3): each approved charge with money left is voided, or
    /// refunded when the void fails or the money has settled; logged per charge.
    pub async fn give_back(
        &self,
        actor: &Actor,
        order: OrderId,
        reason: &str,
        key: Option<&str>,
    ) -> Result<Vec<Result<Reversal, PaymentError>>, OrderActionError> {
        let reason = checked_reason(reason)?;
        self.reverse_charges(actor, order, reason, key).await
    }

    async fn reverse_charges(
        &self,
        actor: &Actor,
        order: OrderId,
        reason: &str,
        key: Option<&str>,
    ) -> Result<Vec<Result<Reversal, PaymentError>>, OrderActionError> {
        let details = db::orders::order_details(&self.db, order)
            .await?
            .ok_or(OrderActionError::OrderNotFound)?;
        let charges = details
            .transactions
            .iter()
            .filter(|t| t.kind.takes_money() && t.result == TransactionResult::Approved);
        let mut reversals = Vec::new();
        for charge in charges {
            let asked = Asked {
                reason,
                key: key.map(|k| format!("{k}:order:{}", charge.id)),
            };
            match self.payments.refund_or_void(actor, charge.id, &asked).await {
                // Given back whole already: nothing to do, nothing to say.
                Err(PaymentError::Refused(Refusal::Voided | Refusal::NothingLeft)) => {}
                outcome => reversals.push(outcome),
            }
        }
        Ok(reversals)
    }

    /// Resend the welcome email (R-CS-7): the order's welcome email, written to the outbox again.
    pub async fn resend_welcome(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> Result<(), OrderActionError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let found = db::orders::find_order(&mut tx, order)
            .await?
            .ok_or(OrderActionError::OrderNotFound)?;
        let sent = db::order_actions::latest_email(&mut tx, order, &["welcome"])
            .await?
            .ok_or(OrderActionError::NoWelcomeEmail)?;
        let email = NewEmail {
            customer_id: sent.customer_id,
            order_id: Some(order),
            kind: "welcome",
            to: &sent.to,
            subject: &sent.subject,
            body: &sent.body,
        };
        db::outbox::queue(&mut tx, &email, now).await?;
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Email,
            found.customer_id,
            Some(order),
            actor.user_id,
            &format!("Welcome email \"{}\" sent again.", sent.subject),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::WelcomeResent,
            subject: Subject::Order(order),
            change: Change::Action(Some(json!({ "to": sent.to, "copy_of": sent.id.0 }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// The order a fulfillment belongs to (where its actions go back to).
    pub async fn fulfillment_order(&self, id: FulfillmentId) -> Result<OrderId, OrderActionError> {
        Ok(db::order_actions::fulfillment(&self.db, id)
            .await?
            .ok_or(OrderActionError::FulfillmentNotFound)?
            .order_id)
    }

    /// Reship: a new pending fulfillment of the same item, with why.
    pub async fn reship(
        &self,
        actor: &Actor,
        id: FulfillmentId,
        reason: &str,
    ) -> Result<FulfillmentId, OrderActionError> {
        let reason = checked_reason(reason)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let from = db::order_actions::fulfillment(&mut tx, id)
            .await?
            .ok_or(OrderActionError::FulfillmentNotFound)?;
        if matches!(
            from.status,
            FulfillmentStatus::Pending | FulfillmentStatus::Cancelled
        ) {
            return Err(OrderActionError::NotReshippable(from.status.label()));
        }
        let new = db::order_actions::reship(&mut tx, &from, reason, now).await?;
        let what = from.product_name.as_deref().unwrap_or("the order");
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Fulfillment,
            from.customer_id,
            Some(from.order_id),
            actor.user_id,
            &format!("Reship of {what} requested ({reason})."),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::FulfillmentReshipped,
            subject: Subject::Fulfillment(new),
            change: Change::Created(json!({
                "order": from.order_id.0,
                "reshipped_from": id.0,
                "reason": reason,
            })),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(new)
    }

    /// Cancels a pending fulfillment.
    pub async fn cancel_fulfillment(
        &self,
        actor: &Actor,
        id: FulfillmentId,
        reason: &str,
    ) -> Result<(), OrderActionError> {
        let reason = checked_reason(reason)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let found = db::order_actions::fulfillment(&mut tx, id)
            .await?
            .ok_or(OrderActionError::FulfillmentNotFound)?;
        if !db::order_actions::cancel_fulfillment(&mut tx, id, reason, now).await? {
            return Err(OrderActionError::NotPending(found.status.label()));
        }
        let what = found.product_name.as_deref().unwrap_or("the order");
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Fulfillment,
            found.customer_id,
            Some(found.order_id),
            actor.user_id,
            &format!("Fulfillment of {what} cancelled ({reason})."),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::FulfillmentCancelled,
            subject: Subject::Fulfillment(id),
            change: Change::Updated {
                before: json!({ "status": found.status.key() }),
                after: json!({ "status": FulfillmentStatus::Cancelled.key(), "reason": reason }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}

/// Whether a transaction kind is a reversal (for the pages' Resend Refund Email).
pub fn is_reversal(kind: TransactionKind) -> bool {
    matches!(kind, TransactionKind::Refund | TransactionKind::Void)
}
