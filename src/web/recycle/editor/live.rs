//! `POST /recycle-billing/validate` and `/preview`: the live check and the schedule preview, as
//! out-of-band swaps into the message slots.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{PageCtx, is_htmx, parse_form, render};
use crate::web::recycle::form::RecycleForm;

use super::views::*;

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
    let result = check(&form, &services.recycle.mid_facts(editing).await?);
    let mids = services.mids.all().await?;
    let preview = preview_of(&form, &result, &mids, services.recycle.today());
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
