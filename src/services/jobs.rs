//! Background jobs: the runner that claims and runs them, and the admin's view of the queue.
//!
//! The queue is the `jobs` table, in the portal's own database, so a job is enqueued in the
//! transaction of the change that calls for it. No maintained job crate fits: apalis and
//! sqlxmq are built on other sqlx versions (a second sqlx cannot be linked beside ours, its
//! SQLite driver links the same C library), and none runs one code path on SQLite and
//! PostgreSQL inside the caller's transaction. The pattern is Oban's, River's and
//! graphile-worker's: claim a due row under a lease, run it, mark it done or queue it again
//! with backoff; a job whose worker died is claimed again when its lease runs out.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::refund_queue::RefundQueueService;
use super::subscriptions::SubscriptionService;
use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db::{self, Db, DbError};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::{JobId, OutboxId};
use crate::domain::job::{self, AfterFailure, Claimed, Job, JobCounts, JobRow, JobStatus};
use crate::domain::outbox::{self, EmailKind, EmailStatus};
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::mail::Mailer;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no such job")]
    NotFound,
    #[error("only a failed job can be retried; this one is {0}")]
    NotFailed(&'static str),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(JobError {
    NotFound => NotFound, "job_not_found",
    NotFailed(_) => Conflict, "job_not_failed",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::Unexpected(e.into())
    }
}

/// How long finished jobs are kept before housekeeping deletes them.
pub fn keep_done() -> Duration {
    Duration::days(7)
}

/// The admin's view of the queue (`/admin/jobs`).
#[derive(Clone)]
pub struct JobService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl JobService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    pub async fn counts(&self) -> Result<JobCounts, Unexpected> {
        Ok(db::jobs::counts(&self.db, self.clock.now()).await?)
    }

    pub async fn list(
        &self,
        status: JobStatus,
        page: KeysetRequest<JobId>,
    ) -> Result<KeysetPage<JobRow, JobId>, Unexpected> {
        Ok(db::jobs::list(&self.db, status, page).await?)
    }

    /// Queues a failed job again, due now, with a fresh count of runs.
    pub async fn retry(&self, actor: &Actor, id: JobId) -> Result<(), JobError> {
        let job = db::jobs::find(&self.db, id)
            .await?
            .ok_or(JobError::NotFound)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !db::jobs::retry(&mut tx, id, now).await? {
            return Err(JobError::NotFailed(job.status.label()));
        }
        let event = NewEvent {
            kind: EventKind::JobRetried,
            subject: Subject::Job(id),
            change: Change::Action(Some(json!({
                "kind": job.kind.key(),
                "last_error": job.last_error,
            }))),
        };
        db::events::insert(&mut tx, actor, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes jobs finished more than [`keep_done`] ago.
    pub async fn purge_done(&self) -> Result<u64, Unexpected> {
        Ok(db::jobs::purge_done(&self.db, self.clock.now() - keep_done()).await?)
    }
}

/// What a run of a job came to when it did not succeed.
#[derive(Debug)]
enum RunFailure {
    /// Worth another run later (SMTP down, a database hiccup).
    Retry(String),
    /// No run will ever succeed (arguments the code cannot read).
    Fatal(String),
}

/// Claims due jobs and runs them, as one named worker. Cheap to clone; `recoup serve` and
/// `recoup worker` run one in a loop (`crate::worker`), tests call [`JobRunner::run_due`].
#[derive(Clone)]
pub struct JobRunner {
    db: Db,
    clock: Arc<dyn Clock>,
    refund_queue: RefundQueueService,
    subscriptions: SubscriptionService,
    mailer: Option<Mailer>,
    worker: String,
}

impl JobRunner {
    pub(super) fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        refund_queue: RefundQueueService,
        subscriptions: SubscriptionService,
        mailer: Option<Mailer>,
        worker: String,
    ) -> Self {
        Self {
            db,
            clock,
            refund_queue,
            subscriptions,
            mailer,
            worker,
        }
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Claims one due job and runs it to its end. `None` when nothing is due.
    pub async fn run_next(&self) -> Result<Option<JobId>, Unexpected> {
        let Some(claimed) = db::jobs::claim(&self.db, &self.worker, self.clock.now()).await? else {
            return Ok(None);
        };
        let outcome = match Job::from_stored(claimed.kind, &claimed.payload) {
            Some(job) => self.run(&claimed, job).await,
            None => Err(RunFailure::Fatal(format!(
                "the arguments {:?} do not fit a {} job",
                claimed.payload,
                claimed.kind.key()
            ))),
        };
        self.finish(&claimed, outcome).await?;
        Ok(Some(claimed.id))
    }

    /// Runs every job due now, one after another (and any a run makes due); the count run.
    pub async fn run_due(&self) -> Result<usize, Unexpected> {
        let mut ran = 0;
        while self.run_next().await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    async fn finish(
        &self,
        claimed: &Claimed,
        outcome: Result<(), RunFailure>,
    ) -> Result<(), Unexpected> {
        let now = self.clock.now();
        let held = match outcome {
            Ok(()) => db::jobs::complete(&self.db, claimed.id, &self.worker, now).await?,
            Err(failure) => {
                let (error, again) = match failure {
                    RunFailure::Retry(error) => {
                        match job::after_failure(claimed.attempts, claimed.max_attempts, now) {
                            AfterFailure::RunAgainAt(at) => (error, Some(at)),
                            AfterFailure::Failed => (error, None),
                        }
                    }
                    RunFailure::Fatal(error) => (error, None),
                };
                tracing::warn!(job = %claimed.id, kind = claimed.kind.key(), attempts = claimed.attempts, %error, "job run failed");
                db::jobs::fail(&self.db, claimed.id, &self.worker, &error, again, now).await?
            }
        };
        if !held {
            tracing::warn!(job = %claimed.id, worker = %self.worker, "job lease ran out before the run ended; another worker holds it");
        }
        Ok(())
    }

    async fn run(&self, claimed: &Claimed, job: Job) -> Result<(), RunFailure> {
        match job {
            Job::DeliverEmail { outbox_id } => self.deliver(claimed, outbox_id).await,
            Job::RetryRefund {
                refund_queue_id,
                attempt,
            } => match self.refund_queue.run_job(refund_queue_id, attempt).await {
                Ok(_) => Ok(()),
                Err(e) => Err(RunFailure::Retry(e.to_string())),
            },
            Job::ResumeSubscription { subscription_id } => {
                match self.subscriptions.resume_when_due(subscription_id).await {
                    Ok(_) => Ok(()),
                    Err(e) => Err(RunFailure::Retry(e.to_string())),
                }
            }
        }
    }

    /// Delivers one outbox email: sent, kept as "not sent: SMTP not configured", or failed
    /// (queued again with backoff until its last run).
    async fn deliver(&self, claimed: &Claimed, id: OutboxId) -> Result<(), RunFailure> {
        let db_failure = |e: DbError| RunFailure::Retry(e.to_string());
        let Some(email) = db::outbox::find(&self.db, id).await.map_err(db_failure)? else {
            return Ok(());
        };
        if email.status == EmailStatus::Sent {
            return Ok(());
        }
        let Some(mailer) = &self.mailer else {
            db::outbox::mark_unsent(
                &self.db,
                id,
                EmailStatus::Pending,
                outbox::NOT_CONFIGURED,
                false,
            )
            .await
            .map_err(db_failure)?;
            return Ok(());
        };
        match mailer.send(&email).await {
            Ok(()) => {
                let now = self.clock.now();
                self.record_sent(&email, now).await.map_err(db_failure)
            }
            Err(e) => {
                let last = claimed.attempts >= claimed.max_attempts;
                let status = if last {
                    EmailStatus::Failed
                } else {
                    EmailStatus::Pending
                };
                let why = e.to_string();
                db::outbox::mark_unsent(&self.db, id, status, &why, true)
                    .await
                    .map_err(db_failure)?;
                Err(RunFailure::Retry(why))
            }
        }
    }

    /// Marks the email sent and, for a customer's email, notes it in their history.
    async fn record_sent(
        &self,
        email: &crate::domain::outbox::OutboxEmail,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let mut tx = self.db.begin().await?;
        db::outbox::mark_sent(&mut tx, email.id, now).await?;
        if let (Some(customer_id), true) =
            (email.customer_id, email.kind != EmailKind::RefundFailed)
        {
            let said = format!("Email sent to {}: {}", email.to, email.subject);
            let entry = NewHistoryEntry::automatic(
                HistoryKind::Email,
                customer_id,
                email.order_id,
                None,
                &said,
            );
            db::history::add(&mut tx, &entry, now).await?;
        }
        tx.commit().await
    }
}
