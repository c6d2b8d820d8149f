//! The refund queue (R-CS-4): a refund the gateway failed is retried once a day for 3 days by a
//! background job; after the third failed retry it leaves the queue and an email goes to the
//! campaign's notify emails. Agents see it on `/refund-queue`, with Retry now and Remove.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::payments::{Asked, PaymentError, PaymentService};
use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::outbox::NewEmail;
use crate::db::{Conn, Db, DbError};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject, SystemActor};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::RefundQueueId;
use crate::domain::job::Job;
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::domain::refund_queue::{self, AfterFailure, QueueCounts, QueueEntry, QueueStatus};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("No such queued refund.")]
    NotFound,
    #[error("This refund is no longer in the queue ({0}).")]
    NotQueued(&'static str),
    #[error("This refund is being retried right now; reload the page in a moment.")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(QueueError {
    NotFound => NotFound, "queued_refund_not_found",
    NotQueued(_) => Conflict, "not_queued",
    Busy => Conflict, "retry_in_progress",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for QueueError {
    fn from(e: DbError) -> Self {
        QueueError::Unexpected(e.into())
    }
}

/// What a retry came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retried {
    Refunded,
    /// Failed; queued again for this time.
    TryAgainAt(DateTime<Utc>),
    /// Failed for the last time: out of the queue, the notify emails told.
    GaveUp,
    /// The charge can no longer be refunded (refunded some other way meanwhile): removed.
    Dropped(String),
}

/// Schedules the retry job of entry `id`'s retry number `attempt` at `at`, in the caller's
/// transaction, so the entry and its job are written together.
pub(crate) async fn schedule(
    conn: impl Into<Conn<'_>>,
    id: RefundQueueId,
    attempt: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let job = Job::RetryRefund {
        refund_queue_id: id,
        attempt,
    };
    let key = format!("refund-queue:{id}:{attempt}");
    db::jobs::enqueue(conn, &job, at, Some(&key), now).await?;
    Ok(())
}

#[derive(Clone)]
pub struct RefundQueueService {
    db: Db,
    clock: Arc<dyn Clock>,
    payments: PaymentService,
}

impl RefundQueueService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>, payments: PaymentService) -> Self {
        Self {
            db,
            clock,
            payments,
        }
    }

    pub async fn list(
        &self,
        status: QueueStatus,
        page: KeysetRequest<RefundQueueId>,
    ) -> Result<KeysetPage<QueueEntry, RefundQueueId>, Unexpected> {
        Ok(db::refund_queue::list(&self.db, status, page).await?)
    }

    pub async fn counts(&self) -> Result<QueueCounts, Unexpected> {
        Ok(db::refund_queue::counts(&self.db, self.clock.now()).await?)
    }

    pub async fn find(&self, id: RefundQueueId) -> Result<QueueEntry, QueueError> {
        db::refund_queue::find(&self.db, id)
            .await?
            .ok_or(QueueError::NotFound)
    }

    /// The daily job's retry number `attempt` of entry `id` (R-CS-4). Nothing to do when the
    /// entry has moved on meanwhile: an agent retried it already, removed it, or it is not due
    /// yet (an agent's Retry now pushed the next try a day on).
    pub async fn run_job(
        &self,
        id: RefundQueueId,
        attempt: i64,
    ) -> Result<Option<Retried>, QueueError> {
        let entry = match self.find(id).await {
            Ok(entry) => entry,
            Err(QueueError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let due = entry.next_try_at.is_some_and(|at| at <= self.clock.now());
        if entry.status != QueueStatus::Queued || entry.attempts + 1 != attempt || !due {
            return Ok(None);
        }
        match self.retry(&SystemActor::Jobs.actor(), id).await {
            Ok(retried) => Ok(Some(retried)),
            // Someone else (an agent's Retry now) took this retry at the same moment.
            Err(QueueError::Busy | QueueError::NotQueued(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Retries a queued refund now (the job at its time, or an agent's Retry now). The retry is
    /// claimed first, so two at once retry it once; its refund carries a key of its own.
    pub async fn retry(&self, actor: &Actor, id: RefundQueueId) -> Result<Retried, QueueError> {
        let entry = self.find(id).await?;
        if entry.status != QueueStatus::Queued {
            return Err(QueueError::NotQueued(entry.status.label()));
        }
        let attempt = entry.attempts + 1;
        if !db::refund_queue::claim(&self.db, id, entry.attempts, self.clock.now()).await? {
            return Err(QueueError::Busy);
        }
        let asked = Asked {
            reason: &entry.reason,
            key: Some(format!("queue-{id}-{attempt}")),
        };
        let outcome = self
            .payments
            .refund_from_queue(actor, entry.transaction_id, entry.amount.amount(), &asked)
            .await;
        let now = self.clock.now();
        let (retried, error) = match outcome {
            Ok(reversal) if reversal.approved() => (Retried::Refunded, String::new()),
            Ok(reversal) => {
                let error = format!("{} {}", reversal.reply.code, reversal.reply.text);
                match refund_queue::after_failure(attempt, now) {
                    AfterFailure::TryAgainAt(at) => (Retried::TryAgainAt(at), error),
                    AfterFailure::GiveUp => (Retried::GaveUp, error),
                }
            }
            Err(PaymentError::Refused(refusal)) => {
                (Retried::Dropped(refusal.to_string()), refusal.to_string())
            }
            Err(PaymentError::Unexpected(e)) => return Err(e.into()),
            Err(other) => {
                let error = other.to_string();
                match refund_queue::after_failure(attempt, now) {
                    AfterFailure::TryAgainAt(at) => (Retried::TryAgainAt(at), error),
                    AfterFailure::GiveUp => (Retried::GaveUp, error),
                }
            }
        };
        self.record(actor, &entry, attempt, &retried, &error, now)
            .await?;
        Ok(retried)
    }

    /// Writes where the entry stands after retry `attempt`, its next job, the email of a give-up,
    /// the customer's history and the event, in one transaction.
    async fn record(
        &self,
        actor: &Actor,
        entry: &QueueEntry,
        attempt: i64,
        retried: &Retried,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), QueueError> {
        let id = entry.id;
        let mut tx = self.db.begin().await?;
        let (status, next, said) = match retried {
            Retried::Refunded => (
                QueueStatus::Refunded,
                None,
                format!(
                    "Queued refund of {} went through on retry {attempt}.",
                    entry.amount
                ),
            ),
            Retried::TryAgainAt(at) => (
                QueueStatus::Queued,
                Some(*at),
                format!(
                    "Queued refund of {} failed again on retry {attempt} ({error}); next try {}.",
                    entry.amount,
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            Retried::GaveUp => (
                QueueStatus::Failed,
                None,
                format!(
                    "Queued refund of {} failed on its last retry ({error}); it left the queue and the campaign's notify emails were told.",
                    entry.amount
                ),
            ),
            Retried::Dropped(why) => (
                QueueStatus::Removed,
                None,
                format!("Queued refund of {} dropped: {why}", entry.amount),
            ),
        };
        db::refund_queue::set_status(&mut tx, id, status, error, next, now).await?;
        if let Some(at) = next {
            schedule(&mut tx, id, attempt + 1, at, now).await?;
        }
        if *retried == Retried::GaveUp {
            let subject = format!(
                "Refund failed: order #{} ({}) could not be refunded",
                entry.order_id, entry.amount
            );
            let body = format!(
                "A refund of {amount} on order #{order} for {customer} failed {tries} times and has left the refund queue.\n\n\
                 Last gateway answer: {error}\nReason given: {reason}\n\n\
                 Refund the customer another way, or retry from the order page.",
                amount = entry.amount,
                order = entry.order_id,
                customer = entry.customer_name,
                tries = refund_queue::RETRIES + 1,
                reason = if entry.reason.is_empty() {
                    "none"
                } else {
                    &entry.reason
                },
            );
            for to in db::refund_queue::notify_emails(&mut tx, entry.order_id).await? {
                let email = NewEmail {
                    customer_id: Some(entry.customer_id),
                    order_id: Some(entry.order_id),
                    kind: "refund_failed",
                    to: &to,
                    subject: &subject,
                    body: &body,
                };
                db::outbox::queue(&mut tx, &email, now).await?;
            }
        }
        let history = NewHistoryEntry::automatic(
            HistoryKind::RefundQueue,
            entry.customer_id,
            Some(entry.order_id),
            actor.user_id,
            &said,
        );
        db::history::add(&mut tx, &history, now).await?;
        let event = NewEvent {
            kind: EventKind::RefundQueueRetried,
            subject: Subject::RefundQueueEntry(id),
            change: Change::Action(Some(json!({
                "attempt": attempt,
                "outcome": status.key(),
                "error": error,
            }))),
        };
        db::events::insert(&mut tx, actor, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a queued refund out of the queue without refunding it.
    pub async fn remove(&self, actor: &Actor, id: RefundQueueId) -> Result<(), QueueError> {
        let entry = self.find(id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !db::refund_queue::remove(&mut tx, id, now).await? {
            return Err(QueueError::NotQueued(entry.status.label()));
        }
        let history = NewHistoryEntry::automatic(
            HistoryKind::RefundQueue,
            entry.customer_id,
            Some(entry.order_id),
            actor.user_id,
            &format!("Queued refund of {} removed from the queue.", entry.amount),
        );
        db::history::add(&mut tx, &history, now).await?;
        let event = NewEvent {
            kind: EventKind::RefundQueueRemoved,
            subject: Subject::RefundQueueEntry(id),
            change: Change::Updated {
                before: json!({ "status": entry.status.key(), "attempts": entry.attempts }),
                after: json!({ "status": QueueStatus::Removed.key(), "attempts": entry.attempts }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
