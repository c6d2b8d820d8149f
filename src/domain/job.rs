//! Background jobs: what a job is, and the pure rules of running it (backoff, leases, when a
//! failure is final). The queue itself is `db::jobs`; the runner is `services::jobs`.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::ids::{JobId, OutboxId, RefundQueueId, SubscriptionId};
use super::order::keyed_enum;

keyed_enum! {
    /// What a job does; the key is stored in `jobs.kind`.
    JobKind {
        DeliverEmail = "deliver_email", "Deliver an email";
        RetryRefund = "retry_refund", "Retry a queued refund";
        ResumeSubscription = "resume_subscription", "Resume a paused subscription";
    }
}

keyed_enum! {
    /// Where a job stands.
    JobStatus {
        Queued = "queued", "Queued";
        Running = "running", "Running";
        Done = "done", "Done";
        Failed = "failed", "Failed";
    }
}

/// A job with its arguments. Arguments are ids only: the job reads the current state when it
/// runs, so a job that runs late or twice acts on what is true then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Send one email of the outbox over SMTP.
    DeliverEmail { outbox_id: OutboxId },
    /// Retry number `attempt` of a refund in the refund queue (R-CS-4). A job whose retry was
    /// made meanwhile (an agent's Retry now) finds the entry moved on and does nothing.
    RetryRefund {
        refund_queue_id: RefundQueueId,
        attempt: i64,
    },
    /// Resume a subscription paused until a day, on that day. One that was resumed or paused
    /// again meanwhile (until another day, or until resumed) is left as it is.
    ResumeSubscription { subscription_id: SubscriptionId },
}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Job::DeliverEmail { .. } => JobKind::DeliverEmail,
            Job::RetryRefund { .. } => JobKind::RetryRefund,
            Job::ResumeSubscription { .. } => JobKind::ResumeSubscription,
        }
    }

    /// How many runs the job gets before it fails for good. An email is worth a day of
    /// retries; a refund retry makes its own schedule (R-CS-4), so a failed run of it means the
    /// portal itself failed, and a few runs are enough.
    pub fn max_attempts(&self) -> i64 {
        match self {
            Job::DeliverEmail { .. } => 8,
            Job::RetryRefund { .. } | Job::ResumeSubscription { .. } => 5,
        }
    }

    /// The stored arguments.
    pub fn payload(&self) -> String {
        match self {
            Job::DeliverEmail { outbox_id } => format!(r#"{{"outbox_id":{}}}"#, outbox_id.0),
            Job::RetryRefund {
                refund_queue_id,
                attempt,
            } => format!(
                r#"{{"refund_queue_id":{},"attempt":{attempt}}}"#,
                refund_queue_id.0
            ),
            Job::ResumeSubscription { subscription_id } => {
                format!(r#"{{"subscription_id":{}}}"#, subscription_id.0)
            }
        }
    }

    /// The job a stored row describes; `None` when the payload does not fit the kind.
    pub fn from_stored(kind: JobKind, payload: &str) -> Option<Job> {
        #[derive(Deserialize)]
        struct Email {
            outbox_id: i64,
        }
        #[derive(Deserialize)]
        struct Refund {
            refund_queue_id: i64,
            attempt: i64,
        }
        #[derive(Deserialize)]
        struct Subscription {
            subscription_id: i64,
        }
        match kind {
            JobKind::DeliverEmail => {
                serde_json::from_str::<Email>(payload)
                    .ok()
                    .map(|e| Job::DeliverEmail {
                        outbox_id: OutboxId(e.outbox_id),
                    })
            }
            JobKind::RetryRefund => {
                serde_json::from_str::<Refund>(payload)
                    .ok()
                    .map(|r| Job::RetryRefund {
                        refund_queue_id: RefundQueueId(r.refund_queue_id),
                        attempt: r.attempt,
                    })
            }
            JobKind::ResumeSubscription => {
                serde_json::from_str::<Subscription>(payload).ok().map(|s| {
                    Job::ResumeSubscription {
                        subscription_id: SubscriptionId(s.subscription_id),
                    }
                })
            }
        }
    }
}

/// How long a worker holds a job it claimed. A worker that dies leaves its job running; once the
/// lease has run out another worker claims it again. Longer than any job takes (an SMTP
/// conversation, a gateway refund with its timeout).
pub fn lease() -> Duration {
    Duration::minutes(5)
}

/// The wait after the `attempts`-th failed run: 30 s, 1 min, 2 min, ... doubling, at most 6 h.
pub fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let seconds = 30_i64.saturating_mul(1_i64 << doublings);
    Duration::seconds(seconds.min(6 * 60 * 60))
}

/// What becomes of a job whose run failed, `attempts` runs having started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RunAgainAt(DateTime<Utc>),
    Failed,
}

pub fn after_failure(attempts: i64, max_attempts: i64, now: DateTime<Utc>) -> AfterFailure {
    if attempts >= max_attempts {
        AfterFailure::Failed
    } else {
        AfterFailure::RunAgainAt(now + backoff(attempts))
    }
}

/// A job as the admin page shows it.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: JobId,
    pub kind: JobKind,
    /// `None` when the stored payload no longer fits the kind (the run fails and says so).
    pub job: Option<Job>,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobRow {
    /// What the job is about, for a person.
    pub fn subject(&self) -> String {
        match self.job {
            Some(Job::DeliverEmail { outbox_id }) => format!("Email #{outbox_id}"),
            Some(Job::RetryRefund {
                refund_queue_id,
                attempt,
            }) => format!("Refund queue entry #{refund_queue_id}, retry {attempt}"),
            Some(Job::ResumeSubscription { subscription_id }) => {
                format!("Subscription #{subscription_id}")
            }
            None => "unreadable arguments".to_owned(),
        }
    }
}

/// A job a worker has claimed and now holds until `locked_until`.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// The counts at the top of `/admin/jobs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    /// Queued jobs whose time has come.
    pub due: i64,
    pub running: i64,
    pub failed: i64,
    pub done: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_job_round_trips_through_its_stored_form() {
        for job in [
            Job::DeliverEmail {
                outbox_id: OutboxId(7),
            },
            Job::RetryRefund {
                refund_queue_id: RefundQueueId(9),
                attempt: 2,
            },
            Job::ResumeSubscription {
                subscription_id: SubscriptionId(4),
            },
        ] {
            assert_eq!(Job::from_stored(job.kind(), &job.payload()), Some(job));
        }
        assert_eq!(Job::from_stored(JobKind::DeliverEmail, "{}"), None);
        assert_eq!(Job::from_stored(JobKind::RetryRefund, "not json"), None);
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_and_stops_at_six_hours() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(30), Duration::hours(6));
        assert_eq!(backoff(i64::MAX), Duration::hours(6));
        assert_eq!(backoff(0), Duration::seconds(30));
    }

    #[test]
    fn a_failure_is_final_at_the_last_attempt() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap();
        assert_eq!(
            after_failure(1, 3, now),
            AfterFailure::RunAgainAt(now + Duration::seconds(30))
        );
        assert_eq!(after_failure(3, 3, now), AfterFailure::Failed);
    }
}
