//! The schedule preview: what the profile as typed would do with a sample decline. It needs only
//! the values a schedule reads, so it shows before a name or MIDs are chosen.

use chrono::NaiveDate;

use crate::domain::FieldErrors;
use crate::domain::mid::Mid;
use crate::domain::money::Money;
use crate::domain::recycle::{
    ATTEMPTS, REDUCTION_FIELDS, RecycleDraft, ScheduleInput, WAIT_FIELDS,
};
use crate::web::recycle::form::RecycleForm;
use crate::web::recycle::merchant_label;

pub(in crate::web::recycle) struct PreviewRow {
    pub label: String,
    pub due: String,
    pub amount: String,
    pub merchant: String,
}

pub(in crate::web::recycle) struct PreviewView {
    pub amount: String,
    pub date: String,
    /// One sentence for the polite live region: the gist of the table, or why there is none.
    pub summary: String,
    /// Set when the summary explains why there is no schedule (or a caveat), shown muted.
    pub note: bool,
    pub rows: Vec<PreviewRow>,
}

/// The values a schedule reads that could not be read: the preview waits for them.
fn timing_unreadable(draft: &RecycleDraft, unreadable: &FieldErrors) -> bool {
    let attempt_fields = (1..=ATTEMPTS)
        .filter(|n| !draft.attempts[n - 1].skip)
        .flat_map(|n| [REDUCTION_FIELDS[n - 1], WAIT_FIELDS[n - 1]]);
    ["currency", "reduction_type", "minimum_price"]
        .into_iter()
        .chain(attempt_fields)
        .any(|f| unreadable.get(f).is_some())
}

/// The schedule for the preview inputs, from the draft as read (rules about names, MIDs or
/// FlexPay may still fail), or why there is none.
pub(in crate::web::recycle) fn preview_of(
    form: &RecycleForm,
    draft: &RecycleDraft,
    unreadable: &FieldErrors,
    mids: &[Mid],
    today: NaiveDate,
) -> PreviewView {
    let amount_raw = form
        .rest
        .get("preview_amount")
        .cloned()
        .unwrap_or_else(|| "49.99".to_owned());
    let date_raw = form
        .rest
        .get("preview_date")
        .cloned()
        .unwrap_or_else(|| today.format("%Y-%m-%d").to_string());
    let mut view = PreviewView {
        amount: amount_raw.clone(),
        date: date_raw.clone(),
        summary: String::new(),
        note: true,
        rows: Vec::new(),
    };
    let input = if timing_unreadable(draft, unreadable) {
        None
    } else {
        ScheduleInput::of_draft(draft)
    };
    let Some(input) = input else {
        view.summary =
            "Fix the minimum price, price reductions and wait periods to see the schedule."
                .to_owned();
        return view;
    };
    let (Ok(amount), Ok(date)) = (
        Money::parse_positive(&amount_raw, input.currency()),
        NaiveDate::parse_from_str(date_raw.trim(), "%Y-%m-%d"),
    ) else {
        view.summary = format!(
            "Enter a sample amount in {} like 49.99 and a date as YYYY-MM-DD.",
            input.currency()
        );
        return view;
    };
    let plan = match input.schedule(date, amount) {
        Ok(plan) => plan,
        Err(e) => {
            view.summary = e.to_string();
            return view;
        }
    };
    view.rows = plan
        .iter()
        .map(|a| PreviewRow {
            label: if a.number == ATTEMPTS {
                "Final attempt".to_owned()
            } else {
                format!("Attempt {}", a.number)
            },
            due: a.due.format("%a %Y-%m-%d").to_string(),
            amount: a.amount.to_string(),
            merchant: merchant_label(a.merchant, mids),
        })
        .collect();
    view.summary = match (view.rows.first(), view.rows.last()) {
        _ if amount.amount() < input.minimum_price().amount() => format!(
            "{amount} is below the minimum price {}: it would not be recycled.",
            input.minimum_price()
        ),
        (None, _) | (_, None) => "Every attempt is skipped: nothing would be retried.".to_owned(),
        (Some(only), _) if view.rows.len() == 1 => format!(
            "One attempt: {} on {} for {}.",
            only.label.to_lowercase(),
            only.due,
            only.amount
        ),
        (Some(first), Some(last)) => format!(
            "{} attempts, from {} to {}; the last for {}.",
            view.rows.len(),
            first.due,
            last.due,
            last.amount
        ),
    };
    view.note = view.rows.is_empty();
    if input.flat_reduction_exceeds(amount) {
        view.summary.push_str(
            " A flat reduction is larger than the sample price; the price stops at the minimum price.",
        );
        view.note = true;
    }
    view
}
