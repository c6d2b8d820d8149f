//! Which messages the editor shows, and what its status region says. A message shows once the
//! user has changed its field (every message after a submit), so a half-filled form does not
//! list everything it still lacks. The touched fields travel in the hidden `touched` input,
//! space-separated; the live check adds the field named by htmx's `HX-Trigger-Name` header and
//! swaps the input back, so no script keeps any state.

use crate::domain::FieldErrors;
use crate::domain::recycle::{ATTEMPTS, Block, REDUCTION_FIELDS, SKIP_FIELDS, WAIT_FIELDS};

/// The hidden input that carries the touched fields.
pub(super) const TOUCHED: &str = "touched";

/// Every field that can carry a message, in page order. Each has a message slot on the page,
/// so the live check can clear the ones now fixed.
pub(super) fn message_fields() -> Vec<&'static str> {
    let mut fields = vec![
        "name",
        "bill_on_fridays",
        "reduction_type",
        "currency",
        "minimum_price",
        "mids",
        "attempts",
    ];
    for block in Block::ALL {
        fields.push(block.field());
        for n in block.attempts() {
            fields.extend([
                SKIP_FIELDS[n - 1],
                REDUCTION_FIELDS[n - 1],
                WAIT_FIELDS[n - 1],
            ]);
        }
    }
    fields
}

/// The message keys a change of `control` (a form field's name) touches: its own, and for a
/// Skip box also the attempts group, whose message ("leave one active") the box can cause.
pub(super) fn keys_of(control: &str) -> Vec<&'static str> {
    let Some(key) = message_fields().into_iter().find(|f| *f == control) else {
        return Vec::new();
    };
    if SKIP_FIELDS.contains(&key) {
        vec![key, "attempts"]
    } else {
        vec![key]
    }
}

/// Whether a change of `control` can change the schedule preview.
pub(super) fn moves_the_schedule(control: &str) -> bool {
    !matches!(control, "name" | "mids")
}

/// The fields the user has touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Touched(Vec<&'static str>);

impl Touched {
    /// The `touched` value as posted; unknown keys are dropped.
    pub fn parse(raw: &str) -> Self {
        let named: Vec<&str> = raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .collect();
        Self(
            message_fields()
                .into_iter()
                .filter(|f| named.contains(f))
                .collect(),
        )
    }

    /// After a submit: every field.
    pub fn all() -> Self {
        Self(message_fields())
    }

    /// These plus the keys a change of `control` touches.
    pub fn with_change(self, control: &str) -> Self {
        let added = keys_of(control);
        Self(
            message_fields()
                .into_iter()
                .filter(|f| self.0.contains(f) || added.contains(f))
                .collect(),
        )
    }

    /// The value of the hidden input.
    pub fn value(&self) -> String {
        self.0.join(" ")
    }

    /// The message of each touched field (its first, when a field has several), in page order.
    pub fn shown(&self, errors: &FieldErrors) -> FieldErrors {
        let mut shown = FieldErrors::default();
        for field in &self.0 {
            if let Some(message) = errors.get(field) {
                shown.push(field, message);
            }
        }
        shown
    }
}

/// A field's name as a screen reader user hears it; the status region starts with it.
pub(super) fn field_label(key: &str) -> String {
    let attempt = |prefix: &str, fields: &[&str; ATTEMPTS]| {
        fields
            .iter()
            .position(|f| *f == key)
            .map(|i| format!("{prefix} {}", attempt_name(i + 1)))
    };
    if let Some(label) = attempt("Skip", &SKIP_FIELDS)
        .or_else(|| attempt("Price reduction of", &REDUCTION_FIELDS))
        .or_else(|| attempt("Wait period of", &WAIT_FIELDS))
    {
        return label;
    }
    if let Some(block) = Block::ALL.into_iter().find(|b| b.field() == key) {
        return merchant_label(block);
    }
    match key {
        "name" => "Profile name",
        "bill_on_fridays" => "Bill on Fridays",
        "reduction_type" => "Price reduction type",
        "currency" => "Currency",
        "minimum_price" => "Minimum price",
        "mids" => "Apply to Merchants",
        "attempts" => "Attempts",
        other => other,
    }
    .to_owned()
}

/// "attempt 4", or "the final attempt".
pub(super) fn attempt_name(n: usize) -> String {
    if n == ATTEMPTS {
        "the final attempt".to_owned()
    } else {
        format!("attempt {n}")
    }
}

/// The accessible name of a block's merchant choice, which tells the four apart.
pub(super) fn merchant_label(block: Block) -> String {
    match block {
        Block::Final => "Merchant for the final attempt".to_owned(),
        _ => {
            let attempts = block.attempts();
            format!(
                "Merchant for re-attempts {}-{}",
                attempts.start(),
                attempts.end()
            )
        }
    }
}

/// What the status region says after `control` changed: its message, or that it is fine. Only
/// about that change; nothing for a control that carries no message (the preview inputs).
pub(super) fn status_after(control: Option<&str>, errors: &FieldErrors) -> String {
    let Some(control) = control else {
        return String::new();
    };
    let keys = keys_of(control);
    let Some(first) = keys.first() else {
        return String::new();
    };
    match keys.iter().find_map(|k| errors.get(k).map(|m| (*k, m))) {
        Some((key, message)) => format!("{}: {message}", field_label(key)),
        None => format!("{}: looks good.", field_label(first)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_fields_read_back_in_page_order_without_strangers() {
        let touched = Touched::parse("wait_2, name  bogus,mids");
        assert_eq!(touched.value(), "name mids wait_2");
        assert_eq!(Touched::parse(&touched.value()), touched);
        assert_eq!(Touched::parse("").value(), "");
    }

    #[test]
    fn a_skip_box_touches_the_attempts_group_too() {
        let touched = Touched::default().with_change("skip_3");
        assert_eq!(touched.value(), "attempts skip_3");
        assert_eq!(
            Touched::default().with_change("preview_amount"),
            Touched::default()
        );
    }

    #[test]
    fn only_touched_messages_are_shown() {
        let mut errors = FieldErrors::default();
        errors.push("name", "Enter a name.");
        errors.push("wait_2", "Wait from 0 to 90 days.");
        let shown = Touched::parse("wait_2").shown(&errors);
        assert_eq!(shown.get("wait_2"), Some("Wait from 0 to 90 days."));
        assert_eq!(shown.get("name"), None);
        assert_eq!(Touched::all().shown(&errors).len(), 2);
    }

    #[test]
    fn the_status_speaks_of_the_field_just_changed() {
        let mut errors = FieldErrors::default();
        errors.push("wait_2", "Wait from 0 to 90 days.");
        errors.push("attempts", "Leave at least one attempt active.");
        assert_eq!(
            status_after(Some("wait_2"), &errors),
            "Wait period of attempt 2: Wait from 0 to 90 days."
        );
        assert_eq!(
            status_after(Some("skip_10"), &errors),
            "Attempts: Leave at least one attempt active."
        );
        assert_eq!(
            status_after(Some("name"), &errors),
            "Profile name: looks good."
        );
        assert_eq!(status_after(Some("preview_date"), &errors), "");
        assert_eq!(status_after(None, &errors), "");
    }

    #[test]
    fn the_four_merchant_choices_have_names_of_their_own() {
        let names: Vec<String> = Block::ALL.into_iter().map(merchant_label).collect();
        assert_eq!(
            names,
            [
                "Merchant for re-attempts 1-3",
                "Merchant for re-attempts 4-6",
                "Merchant for re-attempts 7-9",
                "Merchant for the final attempt"
            ]
        );
    }
}
