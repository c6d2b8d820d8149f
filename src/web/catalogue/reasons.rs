//! `/catalogue/reasons`: the merchant's refund and cancellation reasons (Konnektive's
//! "Cancellation Reasons, Refund Reasons"): add, rename, archive and restore.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::ReasonId;
use crate::domain::reason::{Reason, ReasonKind};
use crate::error::AppError;
use crate::services::Services;
use crate::services::reasons::ReasonError;
use crate::web::page::{FlashKind, Layout, PageCtx, render_status, see_other};

const BACK: &str = "/catalogue/reasons";

#[derive(Template)]
#[template(path = "pages/catalogue/reasons.html")]
struct ReasonsPage {
    layout: Layout,
    /// Each list with its reasons, the add form's messages and what was typed.
    lists: Vec<(ReasonKind, Vec<Reason>, FieldErrors, String)>,
}

async fn page(
    ctx: &PageCtx,
    services: &Services,
    failed: Option<(ReasonKind, FieldErrors, String)>,
) -> Result<HttpResponse, AppError> {
    let all = services.reasons.all().await?;
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let lists = ReasonKind::all()
        .map(|kind| {
            let list = all.iter().filter(|r| r.kind == kind).cloned().collect();
            match &failed {
                Some((k, errors, typed)) if *k == kind => {
                    (kind, list, errors.clone(), typed.clone())
                }
                _ => (kind, list, FieldErrors::default(), String::new()),
            }
        })
        .collect();
    render_status(
        status,
        &ReasonsPage {
            layout: ctx.layout("Reasons", "catalogue"),
            lists,
        },
    )
}

pub async fn list(ctx: PageCtx, services: web::Data<Services>) -> Result<HttpResponse, AppError> {
    page(&ctx, &services, None).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AddForm {
    kind: String,
    label: String,
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    // The form's hidden field says which list; anything else was not sent by the page.
    let kind = ReasonKind::from_key(&form.kind)
        .ok_or_else(|| AppError::Malformed("kind must be `refund` or `cancel`".to_owned()))?;
    match services
        .reasons
        .create(&ctx.actor()?, kind, &form.label)
        .await
    {
        Ok(_) => Ok(ctx.done("Reason added.", BACK)),
        Err(ReasonError::Invalid(errors)) => {
            page(&ctx, &services, Some((kind, errors, form.label.clone()))).await
        }
        Err(e) => Err(e.into()),
    }
}

fn reason_id(path: &str) -> Result<ReasonId, AppError> {
    path.parse::<i64>()
        .map(ReasonId)
        .map_err(|_| AppError::NotFound)
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RenameForm {
    label: String,
}

pub async fn rename(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let id = reason_id(&path)?;
    match services
        .reasons
        .rename(&ctx.actor()?, id, &form.label)
        .await
    {
        Ok(()) => Ok(ctx.done("Reason renamed.", BACK)),
        Err(ReasonError::Invalid(errors)) => {
            let message = errors
                .get("label")
                .map_or_else(|| "Check the reason.".to_owned(), ToString::to_string);
            ctx.flash(FlashKind::Error, message);
            Ok(see_other(BACK))
        }
        Err(ReasonError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ArchiveForm {
    archived: String,
}

pub async fn set_archived(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ArchiveForm>,
) -> Result<HttpResponse, AppError> {
    let id = reason_id(&path)?;
    let archived = form.archived == "yes";
    match services
        .reasons
        .set_archived(&ctx.actor()?, id, archived)
        .await
    {
        Ok(()) => Ok(ctx.done(
            if archived {
                "Reason archived: agents no longer see it."
            } else {
                "Reason restored."
            },
            BACK,
        )),
        Err(ReasonError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
