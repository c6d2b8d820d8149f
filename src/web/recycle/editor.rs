//! The decline salvage profile editor: live validation and schedule preview (htmx out-of-band
//! swaps into every message slot), the FlexPay recommended setup, and a filterable MID list.
//! Every part also works as a plain form post.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::mid::{Mid, Provider};
use crate::domain::money::{Currency, Money};
use crate::domain::recycle::flat_reduction_exceeds;
use crate::domain::recycle::{
    ATTEMPTS, Block, MidFacts, REDUCTION_FIELDS, RecycleForm, RecycleProfile, SKIP_FIELDS,
    WAIT_FIELDS, schedule,
};
use crate::error::AppError;
use crate::services::Services;
use crate::services::recycle::RecycleError;
use crate::web::page::{Layout, PageCtx, is_htmx, parse_form, render, render_status};

use super::merchant_label;

/// Every field that can carry a message, so the live check can clear the ones now fixed.
fn message_fields() -> Vec<&'static str> {
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

struct AttemptView {
    number: usize,
    label: String,
    skip: bool,
    reduction: String,
    wait: String,
    skip_field: &'static str,
    reduction_field: &'static str,
    wait_field: &'static str,
}

struct BlockView {
    /// The section heading shown above this block, if it starts one.
    heading: Option<&'static str>,
    label: &'static str,
    field: &'static str,
    value: String,
    attempts: Vec<AttemptView>,
}

struct MidOption {
    id: MidId,
    title: String,
    provider: &'static str,
    salvage_only: bool,
    checked: bool,
    held_by: Option<String>,
    hidden: bool,
}

struct PreviewRow {
    label: String,
    due: String,
    amount: String,
    merchant: String,
}

struct PreviewView {
    amount: String,
    date: String,
    rows: Vec<PreviewRow>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/recycle/editor.html")]
struct EditorPage {
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
struct LivePartial {
    errors: FieldErrors,
    fields: Vec<&'static str>,
    preview: PreviewView,
}

#[derive(Template)]
#[template(path = "partials/recycle/mid_list.html")]
struct MidListPartial {
    mids: Vec<MidOption>,
}

fn blocks_of(form: &RecycleForm) -> Vec<BlockView> {
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

fn mid_options(form: &RecycleForm, facts: &[MidFacts], filter: &str) -> Vec<MidOption> {
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
fn preview_of(
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
async fn editor(
    ctx: &PageCtx,
    services: &Services,
    editing: Option<RecycleProfileId>,
    form: RecycleForm,
    show_errors: bool,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let facts = services.recycle_mid_facts(editing).await?;
    let mids = services.all_mids().await?;
    let result = crate::domain::recycle::validate(&form, &facts);
    let today = services.clock.now().date_naive();
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
async fn editing_of(
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
    match services.find_recycle_profile(RecycleProfileId(id)).await {
        Ok(p) => Ok(Some(p.id)),
        Err(RecycleError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    from: String,
}

/// A blank editor, or a copy of `?from=` (name changed, MIDs cleared: a MID is in one profile).
pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = match query.from.trim().parse::<i64>() {
        Ok(id) => {
            let stored = services.find_recycle_profile(RecycleProfileId(id)).await?;
            let mut form = form_of(&stored.profile);
            form.name = format!("Copy of {}", stored.profile.name);
            form.mids.clear();
            form
        }
        Err(_) => RecycleForm::blank(),
    };
    editor(&ctx, &services, None, form, false, StatusCode::OK).await
}

/// A saved profile as editor values.
fn form_of(p: &RecycleProfile) -> RecycleForm {
    let mut form = RecycleForm {
        name: p.name.clone(),
        bill_on_fridays: p.bill_on_fridays.then(|| "on".to_owned()),
        reduction_type: p.reduction_type.key().to_owned(),
        currency: p.currency.code().to_owned(),
        minimum_price: p.minimum_price.to_input(),
        mids: p.apply_to.iter().map(|m| m.to_string()).collect(),
        ..RecycleForm::default()
    };
    for block in Block::ALL {
        let value = match p.blocks[block.index()] {
            crate::domain::recycle::BlockMerchant::Original => "original".to_owned(),
            crate::domain::recycle::BlockMerchant::Mid(id) => id.to_string(),
        };
        form.set_merchant(block, value);
    }
    for n in 1..=ATTEMPTS {
        let a = p.attempt(n);
        let reduction = a.reduction.to_input();
        form.set_attempt(n, a.skip, &reduction, &a.wait_days.to_string());
    }
    form
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let stored = services.find_recycle_profile(RecycleProfileId(*id)).await?;
    let mut form = form_of(&stored.profile);
    form.rest
        .insert("editing".to_owned(), stored.id.to_string());
    editor(
        &ctx,
        &services,
        Some(stored.id),
        form,
        false,
        StatusCode::OK,
    )
    .await
}

async fn saved(
    ctx: &PageCtx,
    services: &Services,
    editing: Option<RecycleProfileId>,
    form: RecycleForm,
    result: Result<(), RecycleError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(ctx.done(
            format!("Profile {} saved.", form.name.trim()),
            "/recycle-billing",
        )),
        Err(RecycleError::Invalid(_)) => {
            editor(
                ctx,
                services,
                editing,
                form,
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let result = services
        .create_recycle_profile(&ctx.actor()?, &form)
        .await
        .map(drop);
    saved(&ctx, &services, None, form, result).await
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = services
        .find_recycle_profile(RecycleProfileId(*id))
        .await?
        .id;
    let mut form = parse_form::<RecycleForm>(&body)?;
    form.rest.insert("editing".to_owned(), id.to_string());
    let result = services
        .update_recycle_profile(&ctx.actor()?, id, &form)
        .await;
    saved(&ctx, &services, Some(id), form, result).await
}

/// Live validation: every message slot and the preview, swapped out-of-band. Saves nothing.
pub async fn validate(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let editing = editing_of(&services, &form).await?;
    if !is_htmx(&req) {
        return editor(&ctx, &services, editing, form, true, StatusCode::OK).await;
    }
    let result = services.validate_recycle_profile(&form, editing).await?;
    let mids = services.all_mids().await?;
    let preview = preview_of(&form, &result, &mids, services.clock.now().date_naive());
    render(&LivePartial {
        errors: result.err().unwrap_or_default(),
        fields: message_fields(),
        preview,
    })
}

/// The schedule preview; the same as a live check (it shows messages too).
pub async fn preview(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    validate(req, ctx, services, body).await
}

/// "FlexPay recommended setup": fills seed 000's layout in with the chosen FlexPay MID.
pub async fn preset(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut form = parse_form::<RecycleForm>(&body)?;
    let editing = editing_of(&services, &form).await?;
    let flexpay = form
        .rest
        .get("preset_mid")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(MidId);
    let mids = services.all_mids().await?;
    match flexpay.and_then(|id| {
        mids.iter()
            .find(|m| m.id == id && m.provider == Provider::FlexPay)
    }) {
        Some(mid) => form.apply_flexpay_setup(mid.id),
        None => {
            let page = editor(
                &ctx,
                &services,
                editing,
                form,
                true,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await?;
            return Ok(page);
        }
    }
    editor(&ctx, &services, editing, form, true, StatusCode::OK).await
}

/// The MID checkboxes, filtered by the filter box; ticked MIDs stay in the form while hidden.
pub async fn mid_list(
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let editing = editing_of(&services, &form).await?;
    let facts = services.recycle_mid_facts(editing).await?;
    let filter = form.rest.get("mid_filter").cloned().unwrap_or_default();
    render(&MidListPartial {
        mids: mid_options(&form, &facts, &filter),
    })
}
