//! The refund queue (R-CS-4): a refund the gateway failed is retried once a day for 3 days;
//! after the third failed retry it leaves the queue and the campaign's notify emails are told.

use chrono::{DateTime, Duration, Utc};

use super::ids::{CustomerId, OrderId, RefundQueueId, TransactionId};
use super::money::Money;
use super::order::keyed_enum;

keyed_enum! {
    /// Where a queued refund stands.
    QueueStatus {
        Queued = "queued", "In the queue";
        Refunded = "refunded", "Refunded";
        Failed = "failed", "Gave up after 3 retries";
        Removed = "removed", "Removed";
    }
}

/// How many retries a queued refund gets (R-CS-4).
pub const RETRIES: i64 = 3;

/// The wait before each retry (R-CS-4: once a day).
pub fn retry_wait() -> Duration {
    Duration::days(1)
}

/// What becomes of an entry after a retry failed, `attempts` retries having been made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    TryAgainAt(DateTime<Utc>),
    GiveUp,
}

pub fn after_failure(attempts: i64, now: DateTime<Utc>) -> AfterFailure {
    if attempts >= RETRIES {
        AfterFailure::GiveUp
    } else {
        AfterFailure::TryAgainAt(now + retry_wait())
    }
}

/// A row of the queue as its page shows it.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub id: RefundQueueId,
    /// The charge being refunded.
    pub transaction_id: TransactionId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub amount: Money,
    pub reason: String,
    pub status: QueueStatus,
    /// Retries made so far (the first, failed refund is not one).
    pub attempts: i64,
    pub last_error: String,
    pub next_try_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The dashboard's counts for CS roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queued: i64,
    /// Queued entries whose next try is due now.
    pub due: i64,
    /// Entries that gave up in the last 30 days.
    pub failed_recently: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r_cs_4_three_retries_a_day_apart_then_give_up() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 2, 10, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            after_failure(1, now),
            AfterFailure::TryAgainAt(now + Duration::days(1))
        );
        assert_eq!(
            after_failure(2, now),
            AfterFailure::TryAgainAt(now + Duration::days(1))
        );
        assert_eq!(after_failure(3, now), AfterFailure::GiveUp);
    }
}
