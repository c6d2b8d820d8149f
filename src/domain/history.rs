//! A customer's History panel: notes agents write, and entries the services add when something
//! happens to the customer (a refund issued, a subscription cancelled, an email sent).

use chrono::{DateTime, Utc};

use super::ids::{CustomerId, HistoryEntryId, OrderId, UserId};
use super::order::keyed_enum;

keyed_enum! {
    /// What a history entry records; `Note` is an agent's own words, the rest are automatic.
    HistoryKind {
        Note = "note", "Note";
        Refund = "refund", "Refund";
        Void = "void", "Void";
        Order = "order", "Order";
        Subscription = "subscription", "Subscription";
        Fulfillment = "fulfillment", "Fulfillment";
        Email = "email", "Email";
        Profile = "profile", "Details";
        Blacklist = "blacklist", "Blacklist";
        RefundQueue = "refund_queue", "Refund queue";
    }
}

/// The longest note an agent may write (the column allows exactly this many characters).
pub const NOTE_MAX_CHARS: usize = 4000;

/// An agent's note: not blank, at most [`NOTE_MAX_CHARS`] characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("Write the note first.")]
    Empty,
    #[error("A note can be at most {NOTE_MAX_CHARS} characters; this one has {0}.")]
    TooLong(usize),
}

impl NoteText {
    pub fn parse(raw: &str) -> Result<Self, NoteError> {
        let text = raw.trim();
        let chars = text.chars().count();
        if chars == 0 {
            Err(NoteError::Empty)
        } else if chars > NOTE_MAX_CHARS {
            Err(NoteError::TooLong(chars))
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An entry about to be written.
#[derive(Debug, Clone)]
pub struct NewHistoryEntry {
    pub customer_id: CustomerId,
    pub kind: HistoryKind,
    pub body: String,
    pub order_id: Option<OrderId>,
    pub author_id: Option<UserId>,
}

impl NewHistoryEntry {
    /// An automatic entry saying what happened to the customer (about `order` when it is
    /// about one), by `author` (none for the background jobs). The text is cut to what the
    /// column holds, never refused.
    pub fn automatic(
        kind: HistoryKind,
        customer_id: CustomerId,
        order_id: Option<OrderId>,
        author_id: Option<UserId>,
        text: &str,
    ) -> Self {
        Self {
            customer_id,
            kind,
            body: text.chars().take(NOTE_MAX_CHARS).collect(),
            order_id,
            author_id,
        }
    }

    /// An agent's note, by the agent.
    pub fn note(customer_id: CustomerId, author_id: Option<UserId>, note: &NoteText) -> Self {
        Self {
            customer_id,
            kind: HistoryKind::Note,
            body: note.as_str().to_owned(),
            order_id: None,
            author_id,
        }
    }
}

/// An entry as the History panel shows it, newest first.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: HistoryEntryId,
    pub kind: HistoryKind,
    pub body: String,
    pub order_id: Option<OrderId>,
    /// The author's name, or "system" for an automatic entry without a person behind it.
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_neither_blank_nor_longer_than_the_column() {
        assert_eq!(NoteText::parse("  \n "), Err(NoteError::Empty));
        assert_eq!(
            NoteText::parse(&"x".repeat(100 * 1024)),
            Err(NoteError::TooLong(100 * 1024))
        );
        assert_eq!(
            NoteText::parse(" Called back \n").map(|n| n.as_str().to_owned()),
            Ok("Called back".to_owned())
        );
        assert!(NoteText::parse(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
    }

    #[test]
    fn an_automatic_entry_is_cut_to_fit() {
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Refund,
            CustomerId(1),
            None,
            None,
            &"y".repeat(5000),
        );
        assert_eq!(entry.body.chars().count(), NOTE_MAX_CHARS);
    }
}
