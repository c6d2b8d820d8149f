//! The outbox: every email the portal writes, in the transaction of the change that caused it,
//! and what became of its delivery.

use chrono::{DateTime, Utc};

use super::ids::{CustomerId, OrderId, OutboxId};
use super::order::keyed_enum;

keyed_enum! {
    /// Where an email's delivery stands.
    EmailStatus {
        Pending = "pending", "Not sent yet";
        Sent = "sent", "Sent";
        Failed = "failed", "Delivery failed";
    }
}

keyed_enum! {
    /// What an email is; the key is stored in `outbox.kind`.
    EmailKind {
        Welcome = "welcome", "Welcome";
        Refund = "refund", "Refund confirmation";
        Void = "void", "Void confirmation";
        RefundFailed = "refund_failed", "Refund failed (to the merchant)";
    }
}

/// What an email whose delivery could not start says about itself: kept, and shown as
/// "not sent: SMTP not configured", until it is resent on a portal that has SMTP.
pub const NOT_CONFIGURED: &str = "SMTP not configured";

/// An email of the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub id: OutboxId,
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<OrderId>,
    pub kind: EmailKind,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: EmailStatus,
    /// Delivery attempts made.
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl OutboxEmail {
    /// The delivery state in words: "Sent", "Not sent: SMTP not configured", "Delivery failed:
    /// ...", or "Not sent yet" while a delivery is queued.
    pub fn status_text(&self) -> String {
        match (self.status, self.last_error.as_deref()) {
            (EmailStatus::Sent, _) => EmailStatus::Sent.label().to_owned(),
            (EmailStatus::Pending, Some(why)) => format!("Not sent: {why}"),
            (EmailStatus::Failed, Some(why)) => format!("Delivery failed: {why}"),
            (status, None) => status.label().to_owned(),
        }
    }
}
