//! Add and edit a MID. Changing the gateway swaps its credential fields in place (htmx); without
//! JavaScript a "Show fields" button reloads the form with the same values.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::input::MidForm;
use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, ProfileId};
use crate::domain::mid::{Mid, SettlementDelay, SimulatedLatency};
use crate::domain::money::Currency;
use crate::domain::provider::Provider;
use crate::domain::routing::ProfileKind;
use crate::error::AppError;
use crate::services::Services;
use crate::services::mids::MidError;
use crate::web::page::{
    ConfirmForm, ConfirmPage, Layout, PageCtx, is_htmx, parse_form, render, render_status,
    see_other,
};

/// One credential input.
pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// The id of the hint paragraph, or "" when there is no hint.
    pub hint_id: String,
    /// A secret is typed into a password input with a "Show" toggle, and never shown once saved.
    pub secret: bool,
    /// What the person typed; for an identifier not typed this time, its stored value.
    pub value: String,
    /// A secret's stored value, masked, when editing.
    pub mask: Option<String>,
}

/// The part of the form that depends on the gateway.
pub struct ProviderFields {
    pub provider: Option<Provider>,
    pub fields: Vec<FieldView>,
    pub expiry_days: String,
    pub cascade_all: bool,
    /// The test gateway's settings (R-TG-3), shown for provider `test` only.
    pub test_settings: bool,
    pub settlement_delay_hours: String,
    pub latency_ms: String,
    pub errors: FieldErrors,
}

impl ProviderFields {
    /// `stored` holds the saved credentials as pages may show them (identifiers in clear,
    /// secrets masked), when editing.
    fn new(form: &MidForm, stored: &[(&'static str, String)], errors: &FieldErrors) -> Self {
        let provider = Provider::from_key(form.provider.trim());
        let fields = provider
            .map_or(&[][..], Provider::credential_fields)
            .iter()
            .map(|f| {
                let typed = form.credential(f.key);
                let saved = stored.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v);
                let (value, mask) = match (f.secret, saved) {
                    (false, Some(saved)) if typed.trim().is_empty() => (saved.clone(), None),
                    (true, saved) => (typed.to_owned(), saved.cloned()),
                    (false, _) => (typed.to_owned(), None),
                };
                FieldView {
                    key: f.key,
                    label: f.label,
                    hint: f.hint,
                    hint_id: if f.hint.is_empty() {
                        String::new()
                    } else {
                        format!("{}-hint", f.key)
                    },
                    secret: f.secret,
                    value,
                    mask,
                }
            })
            .collect();
        let expiry_days = if form.expiry_days.trim().is_empty() {
            "21".to_owned()
        } else {
            form.expiry_days.clone()
        };
        let or_default = |typed: &str, default: String| {
            if typed.trim().is_empty() {
                default
            } else {
                typed.to_owned()
            }
        };
        Self {
            provider,
            fields,
            expiry_days,
            cascade_all: form.cascade_all.is_some(),
            test_settings: provider == Some(Provider::Test),
            settlement_delay_hours: or_default(
                &form.settlement_delay_hours,
                SettlementDelay::DEFAULT.hours().to_string(),
            ),
            latency_ms: or_default(
                &form.latency_ms,
                SimulatedLatency::NONE.millis().to_string(),
            ),
            errors: errors.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/mids/form.html")]
struct FormPage {
    layout: Layout,
    mid_id: Option<MidId>,
    form: MidForm,
    pf: ProviderFields,
    errors: FieldErrors,
    providers: Vec<Provider>,
    currencies: Vec<Currency>,
    cascade_profiles: Vec<(ProfileId, String)>,
    /// A saved test MID's transactions not yet settled, for its "Settle now" button.
    open_transactions: Option<u64>,
}

#[derive(Template)]
#[template(path = "partials/mids/provider_fields.html")]
struct FieldsPartial {
    pf: ProviderFields,
}

async fn cascade_profiles(services: &Services) -> Result<Vec<(ProfileId, String)>, AppError> {
    Ok(services
        .routing
        .list()
        .await?
        .into_iter()
        .filter(|p| p.kind == ProfileKind::Cascade)
        .map(|p| (p.id, p.name))
        .collect())
}

async fn form_page(
    ctx: &PageCtx,
    services: &Services,
    mid_id: Option<MidId>,
    form: MidForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let stored = match mid_id {
        Some(id) => services.mids.credential_masks(id).await?,
        None => Vec::new(),
    };
    let title = match (mid_id, Provider::from_key(&form.provider)) {
        (Some(_), _) => format!("Edit MID {}", form.title),
        (None, Some(p)) if p.is_salvage_only() => format!("Activate {}", p.label()),
        _ => "New MID".to_owned(),
    };
    let open_transactions = match mid_id {
        Some(id) if form.provider == Provider::Test.key() => {
            Some(services.mids.open_transactions(id).await?)
        }
        _ => None,
    };
    let page = FormPage {
        layout: ctx.layout(title, "mids"),
        pf: ProviderFields::new(&form, &stored, &errors),
        mid_id,
        form,
        errors,
        providers: Provider::all().collect(),
        currencies: Currency::all().collect(),
        cascade_profiles: cascade_profiles(services).await?,
        open_transactions,
    };
    render_status(status, &page)
}

/// `GET /mids/new`: every field may come pre-filled from the query (the no-JavaScript provider
/// switch posts the form here as a GET).
pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut form = parse_form::<MidForm>(req.query_string().as_bytes())?;
    if req.query_string().is_empty() || !req.query_string().contains("title=") {
        form.enabled = Some("on".to_owned());
        form.accept_visa = Some("on".to_owned());
        form.accept_mastercard = Some("on".to_owned());
    }
    form_page(
        &ctx,
        &services,
        None,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct ProviderQuery {
    #[serde(default)]
    provider: String,
}

/// The credential fields of one gateway, as an htmx fragment. A direct visit gets the full form.
pub async fn credential_fields(
    req: HttpRequest,
    query: web::Query<ProviderQuery>,
) -> Result<HttpResponse, AppError> {
    if !is_htmx(&req) {
        let q = serde_urlencoded::to_string([("provider", &query.provider)]).unwrap_or_default();
        return Ok(see_other(&format!("/mids/new?{q}")));
    }
    let form = MidForm {
        provider: query.provider.clone(),
        ..MidForm::default()
    };
    render(&FieldsPartial {
        pf: ProviderFields::new(&form, &[], &FieldErrors::default()),
    })
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(&ctx, &services, None, parse_form::<MidForm>(&body)?).await
}

/// Parses, saves (creating when `id` is `None`), and either redirects to the list or shows the
/// form again with every message.
async fn save(
    ctx: &PageCtx,
    services: &Services,
    id: Option<MidId>,
    form: MidForm,
) -> Result<HttpResponse, AppError> {
    let result = match form.draft(id.is_some()) {
        Ok(draft) => match id {
            Some(id) => services.mids.update(&ctx.actor()?, id, &draft).await,
            None => services.mids.create(&ctx.actor()?, &draft).await.map(drop),
        },
        Err(errors) => Err(MidError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(ctx.done(format!("MID {} saved.", form.title.trim()), "/mids")),
        Err(e) if e.field_errors().is_some() => {
            let errors = e.field_errors().unwrap_or_default();
            form_page(
                ctx,
                services,
                id,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The stored MID as form values; credentials stay blank (a blank keeps the stored value), and
/// `ProviderFields` shows the stored identifiers.
fn form_of(mid: &Mid) -> MidForm {
    let on = |b: bool| b.then(|| "on".to_owned());
    MidForm {
        title: mid.title.clone(),
        provider: mid.provider.key().to_owned(),
        cs_phone: mid.cs_phone.clone(),
        cs_email: mid.cs_email.clone(),
        descriptor: mid.descriptor.clone(),
        currency: mid.currency.code().to_owned(),
        monthly_cap: mid
            .monthly_cap
            .map(|cap| cap.to_input())
            .unwrap_or_default(),
        enabled: on(mid.enabled),
        block_prepaid: on(mid.block_prepaid),
        block_debit: on(mid.block_debit),
        accept_echeck: on(mid.accepts.echeck),
        accept_visa: on(mid.accepts.visa),
        accept_mastercard: on(mid.accepts.mastercard),
        accept_amex: on(mid.accepts.amex),
        accept_discover: on(mid.accepts.discover),
        expiry_days: mid
            .expiry_days
            .map(|d| d.get().to_string())
            .unwrap_or_default(),
        cascade_all: on(mid.cascade_all),
        cascade_profile_id: mid
            .cascade_profile_id
            .map(|p| p.0.to_string())
            .unwrap_or_default(),
        settlement_delay_hours: mid.settlement_delay.num_hours().to_string(),
        latency_ms: mid.latency.as_millis().to_string(),
        extra: Default::default(),
    }
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mid = services.mids.find(MidId(*id)).await?;
    form_page(
        &ctx,
        &services,
        Some(mid.id),
        form_of(&mid),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let stored = services.mids.find(MidId(*id)).await?;
    let mut form = parse_form::<MidForm>(&body)?;
    // The gateway is fixed once a MID exists, whatever a hand-made post says.
    form.provider = stored.provider.key().to_owned();
    save(&ctx, &services, Some(stored.id), form).await
}

/// Without `confirm=yes` it asks first, or says what still uses the MID.
pub async fn delete(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let mid = services.mids.find(MidId(*id)).await?;
    let blockers: Vec<String> = services
        .mids
        .usages(mid.id)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    if !form.confirmed() || !blockers.is_empty() {
        let page = ConfirmPage {
            layout: ctx.layout("Delete MID", "mids"),
            heading: format!("Delete the MID {}?", mid.title),
            message: "Its settings and stored credentials are deleted. This cannot be undone."
                .to_owned(),
            blockers,
            action: format!("/mids/{}/delete", mid.id),
            button: "Delete MID",
            back: "/mids".to_owned(),
        };
        return render(&page);
    }
    services.mids.delete(&ctx.actor()?, mid.id).await?;
    Ok(ctx.done(format!("MID {} deleted.", mid.title), "/mids"))
}
