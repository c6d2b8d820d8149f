//! The merchant's refund and cancellation reasons (Konnektive's "Cancellation Reasons, Refund
//! Reasons"), offered to agents as a list.

use chrono::{DateTime, Utc};

use super::ids::ReasonId;
use super::order::keyed_enum;

keyed_enum! {
    /// Which list a reason belongs to.
    ReasonKind {
        Refund = "refund", "Refund reasons";
        Cancel = "cancel", "Cancellation reasons";
    }
}

pub const LABEL_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub id: ReasonId,
    pub kind: ReasonKind,
    pub label: String,
    pub position: i64,
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("Enter the reason.")]
    Empty,
    #[error("A reason can be at most {LABEL_MAX_CHARS} characters.")]
    TooLong,
}

/// A reason's label: one trimmed line of 1 to 100 characters.
pub fn parse_label(raw: &str) -> Result<String, LabelError> {
    let label = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    match label.chars().count() {
        0 => Err(LabelError::Empty),
        n if n > LABEL_MAX_CHARS => Err(LabelError::TooLong),
        _ => Ok(label),
    }
}

/// The reason an agent picked: one of the list's labels, or "Other: ..." in their own words
/// when the list has no fit. Empty input is refused: every refund and cancellation says why.
pub fn pick(active: &[Reason], picked: &str, other: &str) -> Result<String, PickError> {
    let picked = picked.trim();
    if picked.is_empty() {
        return Err(PickError::Missing);
    }
    if picked == OTHER {
        let words = parse_label(other).map_err(|_| PickError::OtherMissing)?;
        return Ok(format!("Other: {words}"));
    }
    active
        .iter()
        .find(|r| r.label == picked)
        .map(|r| r.label.clone())
        .ok_or(PickError::Unknown)
}

/// The value of the "Other" choice in a reason list.
pub const OTHER: &str = "__other";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickError {
    #[error("Choose a reason.")]
    Missing,
    #[error("Choose a reason from the list.")]
    Unknown,
    #[error("Say why in a few words (at most 100 characters).")]
    OtherMissing,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(label: &str) -> Reason {
        Reason {
            id: ReasonId(1),
            kind: ReasonKind::Refund,
            label: label.to_owned(),
            position: 1,
            archived_at: None,
        }
    }

    #[test]
    fn a_label_is_one_trimmed_line() {
        assert_eq!(
            parse_label("  Billing \n error "),
            Ok("Billing error".into())
        );
        assert_eq!(parse_label("   "), Err(LabelError::Empty));
        assert_eq!(parse_label(&"x".repeat(101)), Err(LabelError::TooLong));
    }

    #[test]
    fn a_pick_is_from_the_list_or_other_in_words() {
        let list = [reason("Billing error")];
        assert_eq!(pick(&list, "Billing error", ""), Ok("Billing error".into()));
        assert_eq!(pick(&list, "Made up", ""), Err(PickError::Unknown));
        assert_eq!(pick(&list, "", ""), Err(PickError::Missing));
        assert_eq!(pick(&list, OTHER, " "), Err(PickError::OtherMissing));
        assert_eq!(
            pick(&list, OTHER, "Moved abroad"),
            Ok("Other: Moved abroad".into())
        );
    }
}
