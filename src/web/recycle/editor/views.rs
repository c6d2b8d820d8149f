//! The editor's view models and the page and partials built from a form: fields, blocks, the
//! MID list, and which messages show.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::money::Currency;
use crate::domain::name::matches_search;
use crate::domain::provider::Provider;
use crate::domain::recycle::{
    ATTEMPTS, Block, MidFacts, REDUCTION_FIELDS, RecycleDraft, RecycleProfile, SKIP_FIELDS,
    WAIT_FIELDS, validate,
};
use crate::error::AppError;
use crate::services::Services;
use crate::services::recycle::RecycleError;
use crate::web::page::{Layout, PageCtx, render_status};
use crate::web::recycle::form::RecycleForm;

pub(super) use super::preview::{PreviewView, preview_of};
use super::touched::{TOUCHED, Touched, attempt_name, field_label, merchant_label};

/// A text field of the editor, as `partials/recycle/controls.html` renders it.
pub(super) struct TextInput {
    field: &'static str,
    value: String,
    inputmode: &'static str,
    size: &'static str,
    maxlength: &'static str,
    /// The id of the field's hint, or "".
    hint: &'static str,
    required: bool,
    /// A skipped attempt's field: read-only and out of the tab order, its value still posted.
    skipped: bool,
}

impl TextInput {
    fn new(field: &'static str, value: &str) -> Self {
        Self {
            field,
            value: value.to_owned(),
            inputmode: "",
            size: "",
            maxlength: "",
            hint: "",
            required: false,
            skipped: false,
        }
    }

    fn name(form: &RecycleForm) -> Self {
        Self {
            maxlength: "100",
            required: true,
            ..Self::new("name", &form.name)
        }
    }

    fn minimum_price(form: &RecycleForm) -> Self {
        Self {
            inputmode: "decimal",
            hint: "minimum_price-hint",
            ..Self::new("minimum_price", &form.minimum_price)
        }
    }
}

/// Attempt `n`'s reduction (or wait) field.
fn attempt_input(form: &RecycleForm, n: usize, reduction: bool) -> TextInput {
    let skipped = form.skip(n);
    if reduction {
        TextInput {
            inputmode: "decimal",
            size: "6",
            skipped,
            ..TextInput::new(REDUCTION_FIELDS[n - 1], form.reduction(n))
        }
    } else {
        TextInput {
            inputmode: "numeric",
            size: "4",
            skipped,
            ..TextInput::new(WAIT_FIELDS[n - 1], form.wait(n))
        }
    }
}

pub(super) struct AttemptView {
    number: usize,
    /// The first cell: "1" ... "9", "Final".
    label: String,
    skip: bool,
    skip_field: &'static str,
    skip_label: String,
    reduction: TextInput,
    reduction_label: String,
    wait: TextInput,
    wait_label: String,
}

pub(super) struct BlockView {
    /// The section heading shown above this block, if it starts one.
    heading: Option<&'static str>,
    label: &'static str,
    field: &'static str,
    /// "for re-attempts 1-3": what tells this block's "Merchant" apart from the others'.
    merchant_for: String,
    value: String,
    attempts: Vec<AttemptView>,
}

pub(in crate::web::recycle) struct MidOption {
    pub id: MidId,
    pub title: String,
    pub provider: &'static str,
    pub salvage_only: bool,
    pub checked: bool,
    /// The other profile whose Apply to Merchants holds it (R-RB-1).
    pub held_by: Option<(RecycleProfileId, String)>,
    /// Cannot be ticked here: salvage-only or in another profile. A MID already ticked stays
    /// enabled, so it can be unticked.
    pub disabled: bool,
    pub hidden: bool,
}

/// Which messages the editor shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    /// The touched fields' (a fresh editor shows none).
    Touched,
    /// Every message, and the error summary: after a failed save or a plain post.
    All,
    /// The touched fields', and that the FlexPay MID chosen for the setup is not one.
    PresetRefused,
}

#[derive(Template)]
#[template(path = "pages/recycle/editor.html")]
pub(super) struct EditorPage {
    layout: Layout,
    action: String,
    editing: String,
    form: RecycleForm,
    name_input: TextInput,
    minimum_input: TextInput,
    blocks: Vec<BlockView>,
    mids: Vec<MidOption>,
    /// Whether some MID can still be ticked; if none can, the list says why and what to do.
    free_mids: bool,
    merchants: Vec<(String, String)>,
    flexpay_mids: Vec<(MidId, String)>,
    /// The messages shown by their fields.
    errors: FieldErrors,
    /// The messages listed at the top: all of them after a failed save, else none.
    summary: FieldErrors,
    preset_error: Option<&'static str>,
    touched: String,
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
    pub(super) touched: String,
    pub(super) status: String,
    pub(super) preview: Option<PreviewView>,
}

#[derive(Template)]
#[template(path = "partials/recycle/mid_list.html")]
pub(super) struct MidListPartial {
    pub(super) mids: Vec<MidOption>,
    pub(super) editing: String,
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
            merchant_for: merchant_label(block)
                .trim_start_matches("Merchant ")
                .to_owned(),
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
                    skip_field: SKIP_FIELDS[n - 1],
                    skip_label: format!("Skip {}", attempt_name(n)),
                    reduction: attempt_input(form, n, true),
                    reduction_label: field_label(REDUCTION_FIELDS[n - 1]),
                    wait: attempt_input(form, n, false),
                    wait_label: field_label(WAIT_FIELDS[n - 1]),
                })
                .collect(),
        })
        .collect()
}

pub(super) fn mid_options(form: &RecycleForm, facts: &[MidFacts], filter: &str) -> Vec<MidOption> {
    facts
        .iter()
        .map(|f| {
            let checked = form.has_mid(f.id);
            let salvage_only = f.provider.is_salvage_only();
            MidOption {
                id: f.id,
                title: f.title.clone(),
                provider: f.provider.label(),
                salvage_only,
                checked,
                held_by: f.held_by.clone(),
                disabled: !checked && (salvage_only || f.held_by.is_some()),
                // Hidden, not left out: a ticked MID stays in the form while the filter hides it.
                hidden: !matches_search(&f.title, filter),
            }
        })
        .collect()
}

/// Everything the editor page needs, from the form as it stands.
pub(super) async fn editor(
    ctx: &PageCtx,
    services: &Services,
    editing: Option<RecycleProfileId>,
    form: RecycleForm,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let facts = services.recycle.mid_facts(editing).await?;
    let mids = services.mids.all().await?;
    let checked = check(&form, &facts);
    let preview = preview_of(
        &form,
        &checked.draft,
        &checked.unreadable,
        &mids,
        services.recycle.today(),
    );
    let touched = match shown {
        Shown::All => Touched::all(),
        Shown::Touched | Shown::PresetRefused => {
            Touched::parse(form.rest.get(TOUCHED).map_or("", String::as_str))
        }
    };
    let errors = touched.shown(&checked.errors);
    let summary = if shown == Shown::All {
        errors.clone()
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
    let options = mid_options(&form, &facts, &filter);
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
        name_input: TextInput::name(&form),
        minimum_input: TextInput::minimum_price(&form),
        blocks: blocks_of(&form),
        free_mids: options.iter().any(|m| !m.disabled),
        mids: options,
        merchants,
        flexpay_mids: mids
            .iter()
            .filter(|m| m.provider == Provider::FlexPay)
            .map(|m| (m.id, m.title.clone()))
            .collect(),
        errors,
        summary,
        preset_error: (shown == Shown::PresetRefused)
            .then_some("Pick a FlexPay MID from the list for the recommended setup."),
        touched: touched.value(),
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

/// The form read and checked against every rule.
pub(super) struct Checked {
    /// Every value as read, with stand-ins for what could not be read.
    pub draft: RecycleDraft,
    /// The values that could not be read.
    pub unreadable: FieldErrors,
    /// Every message at once: a value that could not be read says so before any rule speaks
    /// about its stand-in. Empty when the profile is valid.
    pub errors: FieldErrors,
}

/// `facts` are the MIDs as [`crate::services::recycle::RecycleService::mid_facts`] gives them.
pub(super) fn check(form: &RecycleForm, facts: &[MidFacts]) -> Checked {
    let (draft, unreadable) = form.read();
    let errors = match validate(&draft, facts) {
        Ok(_) => unreadable.clone(),
        Err(broken) => unreadable.clone().and_later(broken),
    };
    Checked {
        draft,
        unreadable,
        errors,
    }
}
