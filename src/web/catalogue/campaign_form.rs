//! Add and edit a campaign. The "takes new sales on" choice lists the MIDs that take new sales
//! and the ATRI profiles; a note under it says which cascade applies to a soft decline, and
//! changes with the choice (htmx; without JavaScript it shows after saving or a failed save).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::catalogue::{
    Campaign, CampaignDraft, PLACEHOLDERS, RouteChoices, SalesRoute, StoredProduct,
};
use crate::domain::contact::Email;
use crate::domain::ids::{CampaignId, MidId, ProductId, ProfileId};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::services::Services;
use crate::services::catalogue::CatalogueError;
use crate::web::page::{Layout, PageCtx, is_htmx, parse_form, render, render_status, see_other};

const WELCOME_SUBJECT: &str = "Welcome, {first_name}: your order {order_id}";
const WELCOME_BODY: &str = "Hi {first_name},\n\nThank you for your order {order_id}: {product}, {total} in all.\n\nWe will email you again when it ships.";

/// The typed campaign form, every field as a string (checkboxes are present when ticked).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub name: String,
    pub currency: String,
    /// `mid:<id>` or `atri:<id>`.
    pub route: String,
    /// The ids of the products ticked.
    pub products: Vec<String>,
    pub recycling: Option<String>,
    /// Addresses one per line or separated by commas.
    pub notify: String,
    pub welcome_subject: String,
    pub welcome_body: String,
}

/// A route as the select names it: `mid:3` or `atri:5`.
fn route_key(route: SalesRoute) -> String {
    match route {
        SalesRoute::Mid(id) => format!("mid:{id}"),
        SalesRoute::Atri(id) => format!("atri:{id}"),
    }
}

fn parse_route(raw: &str) -> Result<Option<SalesRoute>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let (kind, id) = raw.split_once(':').ok_or(())?;
    let id: i64 = id.parse().map_err(|_| ())?;
    match kind {
        "mid" => Ok(Some(SalesRoute::Mid(MidId(id)))),
        "atri" => Ok(Some(SalesRoute::Atri(ProfileId(id)))),
        _ => Err(()),
    }
}

impl CampaignForm {
    /// The draft this form describes, with every message about what could not be read.
    pub fn read(&self) -> (CampaignDraft, FieldErrors) {
        let mut errors = FieldErrors::default();
        let currency = Currency::from_code(&self.currency).unwrap_or_else(|| {
            errors.push("currency", "Pick a currency from the list.");
            Currency::default()
        });
        let route = parse_route(&self.route).unwrap_or_else(|()| {
            errors.push(
                "route",
                "Pick the MID or ATRI profile that takes new sales from the list.",
            );
            None
        });
        let mut products = Vec::new();
        for raw in &self.products {
            match raw.trim().parse::<i64>() {
                Ok(id) => products.push(ProductId(id)),
                Err(_) => errors.push("products", "Pick products from the list."),
            }
        }
        let mut notify = Vec::new();
        let mut bad = Vec::new();
        for raw in self
            .notify
            .split(['\n', '\r', ',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Email::parse(raw) {
                Ok(email) => notify.push(email),
                Err(_) => bad.push(format!("“{raw}”")),
            }
        }
        match bad.len() {
            0 => {}
            1 => errors.push(
                "notify",
                format!(
                    "{} is not an email address: write each like name@example.com.",
                    bad[0]
                ),
            ),
            _ => errors.push(
                "notify",
                format!(
                    "{} are not email addresses: write each like name@example.com.",
                    bad.join(", ")
                ),
            ),
        }
        let draft = CampaignDraft {
            name: self.name.clone(),
            currency,
            route,
            products,
            recycling: self.recycling.is_some(),
            notify,
            welcome_subject: self.welcome_subject.clone(),
            welcome_body: self.welcome_body.clone(),
        };
        (draft, errors)
    }

    fn route(&self) -> Option<SalesRoute> {
        parse_route(&self.route).ok().flatten()
    }

    fn offers(&self, id: ProductId) -> bool {
        self.products.iter().any(|p| p.trim() == id.to_string())
    }
}

/// The stored campaign as form values.
fn form_of(campaign: &Campaign) -> CampaignForm {
    CampaignForm {
        name: campaign.name.clone(),
        currency: campaign.currency.code().to_owned(),
        route: route_key(campaign.route),
        products: campaign.products.iter().map(ToString::to_string).collect(),
        recycling: campaign.recycling.then(|| "on".to_owned()),
        notify: campaign
            .notify
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        welcome_subject: campaign.welcome_subject.clone(),
        welcome_body: campaign.welcome_body.clone(),
    }
}

/// One entry of the "takes new sales on" select.
pub struct RouteOption {
    pub value: String,
    pub label: String,
}

/// What the cascade note under the route says.
pub struct CascadeNote {
    pub picked: bool,
    /// One line per MID that may take the route's sales: the MID and the cascade it follows.
    pub lines: Vec<(String, String)>,
}

impl CascadeNote {
    fn new(choices: &RouteChoices, route: Option<SalesRoute>) -> Self {
        let lines = route
            .map(|route| {
                choices
                    .cascades(route)
                    .into_iter()
                    .map(|(mid, rule)| (mid.title.clone(), rule.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            picked: route.is_some(),
            lines,
        }
    }
}

/// One product checkbox.
pub struct ProductChoice {
    pub id: ProductId,
    pub name: String,
    pub detail: String,
    pub checked: bool,
}

impl ProductChoice {
    fn new(stored: &StoredProduct, checked: bool) -> Self {
        let p = &stored.product;
        let mut detail = format!("{} · {}", p.sku, p.price);
        match p.cycle_days {
            Some(days) => detail.push_str(&format!(", every {days} days")),
            None => detail.push_str(", one-off"),
        }
        if stored.archived {
            detail.push_str(" · archived, not sold: untick to take it out");
        } else if !stored.enabled {
            detail.push_str(" · disabled, not sold until enabled");
        }
        Self {
            id: stored.id,
            name: p.name.clone(),
            detail,
            checked,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/catalogue/campaign_form.html")]
struct FormPage {
    layout: Layout,
    campaign_id: Option<CampaignId>,
    form: CampaignForm,
    errors: FieldErrors,
    currencies: Vec<Currency>,
    mids: Vec<RouteOption>,
    atri: Vec<RouteOption>,
    cascade_all: Option<String>,
    note: CascadeNote,
    products: Vec<ProductChoice>,
    placeholders: String,
}

#[derive(Template)]
#[template(path = "partials/catalogue/cascade_note.html")]
struct NotePartial {
    note: CascadeNote,
}

async fn form_page(
    ctx: &PageCtx,
    services: &Services,
    campaign_id: Option<CampaignId>,
    form: CampaignForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let choices = services.catalogue.route_choices().await?;
    let products = services
        .catalogue
        .selectable_products(campaign_id)
        .await?
        .iter()
        .map(|p| ProductChoice::new(p, form.offers(p.id)))
        .collect();
    let mids = choices
        .mids()
        .map(|m| RouteOption {
            value: route_key(SalesRoute::Mid(m.id)),
            label: format!(
                "{} ({}{})",
                m.title,
                m.currency,
                if m.enabled { "" } else { ", disabled" }
            ),
        })
        .collect();
    let atri = choices
        .atri_profiles()
        .map(|p| RouteOption {
            value: route_key(SalesRoute::Atri(p.id)),
            label: format!(
                "{} ({} MID{})",
                p.name,
                p.members.len(),
                if p.members.len() == 1 { "" } else { "s" }
            ),
        })
        .collect();
    let title = match campaign_id {
        Some(_) => format!("Edit campaign {}", form.name.trim()),
        None => "New campaign".to_owned(),
    };
    let page = FormPage {
        layout: ctx.layout(title, "catalogue"),
        campaign_id,
        note: CascadeNote::new(&choices, form.route()),
        cascade_all: choices
            .cascade_all()
            .map(|m| format!("{} ({})", m.title, m.provider.label())),
        form,
        errors,
        currencies: Currency::all().collect(),
        mids,
        atri,
        products,
        placeholders: PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(" "),
    };
    render_status(status, &page)
}

pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
) -> Result<HttpResponse, AppError> {
    let form = CampaignForm {
        currency: Currency::default().code().to_owned(),
        recycling: Some("on".to_owned()),
        welcome_subject: WELCOME_SUBJECT.to_owned(),
        welcome_body: WELCOME_BODY.to_owned(),
        ..CampaignForm::default()
    };
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

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(&ctx, &services, None, parse_form::<CampaignForm>(&body)?).await
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let campaign = services.catalogue.find_campaign(CampaignId(*id)).await?;
    if campaign.archived {
        return Err(CatalogueError::CampaignArchived(campaign.name).into());
    }
    form_page(
        &ctx,
        &services,
        Some(campaign.id),
        form_of(&campaign),
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
    let campaign = services.catalogue.find_campaign(CampaignId(*id)).await?;
    save(
        &ctx,
        &services,
        Some(campaign.id),
        parse_form::<CampaignForm>(&body)?,
    )
    .await
}

/// Saves (creating when `id` is `None`) and redirects to the list, or shows the form again with
/// every message.
async fn save(
    ctx: &PageCtx,
    services: &Services,
    id: Option<CampaignId>,
    form: CampaignForm,
) -> Result<HttpResponse, AppError> {
    let (draft, read_errors) = form.read();
    let result = if read_errors.is_empty() {
        match id {
            Some(id) => {
                services
                    .catalogue
                    .update_campaign(&ctx.actor()?, id, &draft)
                    .await
            }
            None => services
                .catalogue
                .create_campaign(&ctx.actor()?, &draft)
                .await
                .map(drop),
        }
    } else {
        let later = services.catalogue.campaign_errors(&draft, id).await?;
        Err(CatalogueError::Invalid(read_errors.and_later(later)))
    };
    match result {
        Ok(()) => Ok(ctx.done(
            format!("Campaign {} saved.", form.name.trim()),
            "/campaigns",
        )),
        Err(e) => match e.field_errors() {
            Some(errors) => {
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
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct RouteQuery {
    #[serde(default)]
    route: String,
}

/// The cascade note for one route, as an htmx fragment. A direct visit gets the new form.
pub async fn cascade_note(
    req: HttpRequest,
    services: web::Data<Services>,
    query: web::Query<RouteQuery>,
) -> Result<HttpResponse, AppError> {
    if !is_htmx(&req) {
        return Ok(see_other("/campaigns/new"));
    }
    let choices = services.catalogue.route_choices().await?;
    render(&NotePartial {
        note: CascadeNote::new(&choices, parse_route(&query.route).ok().flatten()),
    })
}
