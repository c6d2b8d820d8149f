//! The editor's view models and the page and partials built from a form: message slots, blocks,
//! the MID list, the schedule preview.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDate;

use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::mid::Mid;
use crate::domain::money::{Currency, Money};
use crate::domain::provider::Provider;
use crate::domain::recycle::flat_reduction_exceeds;
use crate::domain::recycle::{
    ATTEMPTS, Block, MidFacts, REDUCTION_FIELDS, RecycleDraft, RecycleProfile, SKIP_FIELDS,
    WAIT_FIELDS, schedule, validate,
};
use crate::error::AppError;
use crate::services::Services;
use crate::services::recycle::RecycleError;
use crate::web::page::{Layout, PageCtx, render_status};
use crate::web::recycle::form::RecycleForm;

use super::super::merchant_label;
/// Every field that can carry a message, so the live check can clear the ones now fixed.
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
    fields.extend(Block::ALL.iter().map(|b| b.field()));
    fields.extend(SKIP_FIELDS);
    fields.extend(REDUCTION_FIELDS);
    fields.extend(WAIT_FIELDS);
    fields
}

pub(super) struct AttemptView {
    number: usize,
    label: String,
    skip: bool,
    reduction: String,
    wait: String,
    skip_field: &'static str,
    reduction_field: &'static str,
    wait_field: &'static str,
}

pub(super) struct BlockView {
    /// The section heading shown above this block, if it starts one.
    heading: Option<&'static str>,
    label: &'static str,
    field: &'static str,
    value: String,
    attempts: Vec<AttemptView>,
}

pub(super) struct MidOption {
    id: MidId,
    title: String,
    provider: &'static str,
    salvage_only: bool,
    checked: bool,
    held_by: Option<String>,
    hidden: bool,
}

pub(super) struct PreviewRow {
    label: String,
    due: String,
    amount: String,
    merchant: String,
}

pub(super) struct PreviewView {
    amount: String,
    date: String,
    rows: Vec<PreviewRow>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/recycle/editor.html")]
pub(super) struct EditorPage {
    layout: Layout,
    action: String,
    editing: String,
    form: RecycleForm,
    blocks: Vec<BlockView>,
    mids: Vec<MidOption>,
    merchants: Vec<(String, String)>,
    flexpay_mids: Vec<(MidId, String)>,
    errors: FieldErrors,
    preview: PreviewView,
    filter: String,
    create: bool,
    currencies: Vec<Currency>,
}

#[derive(Template)]
#[template(path = "partials/recycle/live.html")]
pub(super) struct LivePartial {
    pub(super) errors: FieldErrors,
    pub(super) fields: Vec<&'static str>,
    pub(super) preview: PreviewView,
}

#[derive(Template)]
#[template(path = "partials/recycle/mid_list.html")]
pub(super) struct MidListPartial {
    pub(super) mids: Vec<MidOption>,
}

pub(super) fn blocks_of(form: &RecycleForm) -> Vec<BlockView> {
    Block::ALL
        .into_iter()
        .map(|block| BlockView {
            heading: match block {
                Block::Basic => Some("Basic Salvage Rules"),
                Block::Extended1 => Some("Extended Salvage Rules"),
                Block::Extended2 => None,
                Block::Final => Some("Final Attempt"),
            },
            label: block.label(),
            field: block.field(),
            value: match form.merchant(block).trim() {
                "" => "original".to_owned(),
                v => v.to_owned(),
            },
            attempts: block
                .attempts()
                .map(|n| AttemptView {
                    number: n,
                    label: if n == ATTEMPTS {
                        "Final".to_owned()
                    } else {
                        n.to_string()
                    },
                    skip: form.skip(n),
                    reduction: form.reduction(n).to_owned(),
                    wait: form.wait(n).to_owned(),
                    skip_field: SKIP_FIELDS[n - 1],
                    reduction_field: REDUCTION_FIELDS[n - 1],
                    wait_field: WAIT_FIELDS[n - 1],
                })
                .collect(),
        })
        .collect()
}

pub(super) fn mid_options(form: &RecycleForm, facts: &[MidFacts], filter: &str) -> Vec<MidOption> {
    let filter = filter.trim().to_lowercase();
    facts
        .iter()
        .map(|f| MidOption {
            id: f.id,
            title: f.title.clone(),
            provider: f.provider.label(),
            salvage_only: f.provider.is_salvage_only(),
            checked: form.has_mid(f.id),
            held_by: f.held_by.as_ref().map(|(_, name)| name.clone()),
            // Hidden, not left out: a ticked MID stays in the form while the filter hides it.
            hidden: !filter.is_empty() && !f.title.to_lowercase().contains(&filter),
        })
        .collect()
}

/// The schedule for the preview inputs, or why there is none.
pub(super) fn preview_of(
    form: &RecycleForm,
    result: &Result<RecycleProfile, FieldErrors>,
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
        rows: Vec::new(),
        note: None,
    };
    let Ok(profile) = result else {
        view.note = Some("Fix the messages above to see the schedule.".to_owned());
        return view;
    };
    let (Ok(amount), Ok(date)) = (
        Money::parse_positive(&amount_raw, profile.currency),
        NaiveDate::parse_from_str(date_raw.trim(), "%Y-%m-%d"),
    ) else {
        view.note = Some(format!(
            "Enter a sample amount in {} like 49.99 and a date as YYYY-MM-DD.",
            profile.currency
        ));
        return view;
    };
    let plan = match schedule(profile, date, amount) {
        Ok(plan) => plan,
        Err(e) => {
            view.note = Some(e.to_string());
            return view;
        }
    };
    if plan.is_empty() {
        view.note = Some(format!(
            "{amount} is below the minimum price {}: it would not be recycled.",
            profile.minimum_price
        ));
    }
    if flat_reduction_exceeds(profile, amount) {
        view.note = Some("A flat reduction is larger than the sample price; the price stops at the minimum price.".to_owned());
    }
    view.rows = plan
        .into_iter()
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
    view
}

/// Everything the editor page needs, from the form as it stands.
pub(super) async fn editor(
    ctx: &PageCtx,
    services: &Services,
    editing: Option<RecycleProfileId>,
    form: RecycleForm,
    show_errors: bool,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let facts = services.recycle.mid_facts(editing).await?;
    let mids = services.mids.all().await?;
    let result = check(&form, &facts);
    let today = services.recycle.today();
    let preview = preview_of(&form, &result, &mids, today);
    let errors = if show_errors {
        result.err().unwrap_or_default()
    } else {
        FieldErrors::default()
    };
    let filter = form.rest.get("mid_filter").cloned().unwrap_or_default();
    let mut merchants = vec![("original".to_owned(), "The original MID".to_owned())];
    merchants.extend(mids.iter().map(|m| {
        (
            m.id.to_string(),
            format!("{} ({})", m.title, m.provider.label()),
        )
    }));
    let page = EditorPage {
        layout: ctx.layout(
            if editing.is_some() {
                "Edit decline salvage profile"
            } else {
                "New decline salvage profile"
            },
            "recycle",
        ),
        action: editing.map_or_else(
            || "/recycle-billing".to_owned(),
            |id| format!("/recycle-billing/{id}"),
        ),
        editing: editing.map(|id| id.to_string()).unwrap_or_default(),
        currencies: Currency::all().collect(),
        blocks: blocks_of(&form),
        mids: mid_options(&form, &facts, &filter),
        merchants,
        flexpay_mids: mids
            .iter()
            .filter(|m| m.provider == Provider::FlexPay)
            .map(|m| (m.id, m.title.clone()))
            .collect(),
        errors,
        preview,
        filter,
        create: editing.is_none(),
        form,
    };
    render_status(status, &page)
}

/// The profile being edited, from the form's hidden `editing` field (ignored when unknown).
pub(super) async fn editing_of(
    services: &Services,
    form: &RecycleForm,
) -> Result<Option<RecycleProfileId>, AppError> {
    let Some(id) = form
        .rest
        .get("editing")
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return Ok(None);
    };
    match services.recycle.find(RecycleProfileId(id)).await {
        Ok(p) => Ok(Some(p.id)),
        Err(RecycleError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A saved profile as editor values.
pub(super) fn form_of(p: &RecycleProfile) -> RecycleForm {
    RecycleForm::from(&RecycleDraft::from(p))
}

/// The form read and checked against every rule: the profile it describes, or every message at
/// once (a value that could not be read says so before any rule speaks about it).
/// `facts` are the MIDs as [`crate::services::recycle::RecycleService::mid_facts`] gives them.
pub(super) fn check(form: &RecycleForm, facts: &[MidFacts]) -> Result<RecycleProfile, FieldErrors> {
    let (draft, unreadable) = form.read();
    match validate(&draft, facts) {
        Ok(profile) if unreadable.is_empty() => Ok(profile),
        Ok(_) => Err(unreadable),
        Err(broken) => Err(unreadable.and_later(broken)),
    }
}
