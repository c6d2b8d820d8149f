//! `/gateways/decline-mapping`: the merchant's soft/hard overrides, edited inline with htmx, and
//! the built-in classification shown beside them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::mapping_form::MappingForm;
use crate::domain::FieldErrors;
use crate::domain::decline::MappingDraft;
use crate::domain::decline::{DEFAULT_RULES, DeclineMapping, DefaultRule};
use crate::domain::ids::MappingId;
use crate::domain::provider::Provider;
use crate::error::AppError;
use crate::services::Services;
use crate::services::declines::MappingError;
use crate::web::page::{
    ConfirmForm, ConfirmPage, Layout, PageCtx, is_htmx, render, render_status, see_other,
};

/// One mapping row, shown or being edited.
pub struct RowView {
    pub id: MappingId,
    pub form: MappingForm,
    pub editing: bool,
    pub errors: FieldErrors,
    /// Swapped in by htmx: its first control takes focus (the editor's first field, or Edit).
    pub focus: bool,
}

impl RowView {
    fn of(m: &DeclineMapping) -> Self {
        let form = MappingForm {
            provider: m.provider.map_or("any", Provider::key).to_owned(),
            code: m.code.clone(),
            text: m.text.clone(),
            class: m.class.key().to_owned(),
        };
        Self {
            id: m.id,
            form,
            editing: false,
            errors: FieldErrors::default(),
            focus: false,
        }
    }

    /// The editor's field that takes focus: the first with a message, else the first.
    pub fn first_field(&self) -> &'static str {
        self.errors.iter().next().map_or("provider", |e| e.field)
    }

    pub fn provider_label(&self) -> &'static str {
        Provider::from_key(&self.form.provider).map_or("Any gateway", Provider::label)
    }
}

#[derive(Template)]
#[template(path = "pages/gateways/decline_mapping.html")]
struct MappingPage {
    layout: Layout,
    rows: Vec<RowView>,
    defaults: &'static [DefaultRule],
    new: MappingForm,
    errors: FieldErrors,
    providers: Vec<Provider>,
    csrf: String,
    query: ListQuery,
}

/// The mapping list's filters, kept in the URL.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    provider: String,
    class: String,
}

impl ListQuery {
    fn filtered(&self) -> bool {
        !(self.provider.is_empty() && self.class.is_empty())
    }

    fn keeps(&self, row: &RowView) -> bool {
        (self.provider.is_empty() || row.form.provider == self.provider)
            && (self.class.is_empty() || row.form.class == self.class)
    }
}

#[derive(Template)]
#[template(path = "partials/gateways/mapping_row.html")]
struct RowPartial<'a> {
    row: &'a RowView,
    providers: Vec<Provider>,
    csrf: &'a str,
}

/// One mapping row (shown or being edited), as htmx swaps it, with focus on its first control.
fn row_partial(row: RowView, csrf: &str) -> Result<HttpResponse, AppError> {
    render(&RowPartial {
        row: &RowView { focus: true, ..row },
        providers: Provider::all().collect(),
        csrf,
    })
}

async fn page(
    ctx: &PageCtx,
    services: &Services,
    query: ListQuery,
    editing: Option<RowView>,
    new: MappingForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut rows: Vec<RowView> = services
        .declines
        .list()
        .await?
        .iter()
        .map(RowView::of)
        .filter(|row| query.keeps(row))
        .collect();
    if let Some(editing) = editing
        && let Some(slot) = rows.iter_mut().find(|r| r.id == editing.id)
    {
        *slot = editing;
    }
    let page = MappingPage {
        layout: ctx.layout("Decline message mapping", "gateways"),
        rows,
        defaults: DEFAULT_RULES,
        new,
        errors,
        providers: Provider::all().collect(),
        csrf: ctx.csrf.clone(),
        query,
    };
    render_status(status, &page)
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let new = MappingForm {
        provider: "any".to_owned(),
        class: "soft".to_owned(),
        ..MappingForm::default()
    };
    page(
        &ctx,
        &services,
        query.into_inner(),
        None,
        new,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    form: web::Form<MappingForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result = match MappingDraft::try_from(&form) {
        Ok(draft) => services.declines.create(&ctx.actor()?, &draft).await,
        Err(errors) => Err(MappingError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(ctx.done("Mapping added.", "/gateways/decline-mapping")),
        Err(MappingError::Invalid(errors)) => {
            page(
                &ctx,
                &services,
                ListQuery::default(),
                None,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn find_row(services: &Services, id: MappingId) -> Result<RowView, AppError> {
    services
        .declines
        .list()
        .await?
        .iter()
        .find(|m| m.id == id)
        .map(RowView::of)
        .ok_or(AppError::NotFound)
}

/// The row as an inline editor (htmx), or the whole page with that row open.
pub async fn edit(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut row = find_row(&services, MappingId(*id)).await?;
    row.editing = true;
    if is_htmx(&req) {
        return row_partial(row, &ctx.csrf);
    }
    page(
        &ctx,
        &services,
        ListQuery::default(),
        Some(row),
        MappingForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// A read-only row again (htmx "Cancel").
pub async fn show(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let row = find_row(&services, MappingId(*id)).await?;
    if is_htmx(&req) {
        return row_partial(row, &ctx.csrf);
    }
    Ok(see_other("/gateways/decline-mapping"))
}

pub async fn update(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<MappingForm>,
) -> Result<HttpResponse, AppError> {
    let id = MappingId(*id);
    let form = form.into_inner();
    let result = match MappingDraft::try_from(&form) {
        Ok(draft) => services.declines.update(&ctx.actor()?, id, &draft).await,
        Err(errors) => Err(MappingError::Invalid(errors)),
    };
    let htmx = is_htmx(&req);
    match result {
        Ok(saved) if htmx => row_partial(RowView::of(&saved), &ctx.csrf),
        Ok(_) => Ok(ctx.done("Mapping saved.", "/gateways/decline-mapping")),
        Err(MappingError::Invalid(errors)) => {
            let row = RowView {
                id,
                form,
                editing: true,
                errors,
                focus: false,
            };
            if htmx {
                // 200 so htmx swaps the editor back in with its messages.
                return row_partial(row, &ctx.csrf);
            }
            page(
                &ctx,
                &services,
                ListQuery::default(),
                Some(row),
                MappingForm::default(),
                FieldErrors::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// htmx confirms in the browser and removes the row; a plain post asks on a page first.
pub async fn delete(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let row = find_row(&services, MappingId(*id)).await?;
    if !form.confirmed() && !is_htmx(&req) {
        let page = ConfirmPage {
            layout: ctx.layout("Delete mapping", "gateways"),
            heading: format!(
                "Delete the mapping for {} {}?",
                row.form.code, row.form.text
            ),
            message: "Declines it matched go back to the built-in classification.".to_owned(),
            blockers: Vec::new(),
            action: format!("/gateways/decline-mapping/{}/delete", row.id),
            button: "Delete mapping",
            back: "/gateways/decline-mapping".to_owned(),
        };
        return render(&page);
    }
    services.declines.delete(&ctx.actor()?, row.id).await?;
    if is_htmx(&req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(""));
    }
    Ok(ctx.done("Mapping deleted.", "/gateways/decline-mapping"))
}
