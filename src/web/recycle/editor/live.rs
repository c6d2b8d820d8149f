//! `POST /recycle-billing/validate` and `/preview`: the live check and the schedule preview, as
//! out-of-band swaps. Each field posts on `change`; htmx names it in `HX-Trigger-Name`, which
//! joins the touched fields whose messages show, and the status region speaks of it alone.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{PageCtx, is_htmx, parse_form, render};
use crate::web::recycle::form::RecycleForm;

use super::touched::{TOUCHED, Touched, message_fields, moves_the_schedule, status_after};
use super::views::*;

/// The control whose change sent this request, if htmx named one.
fn trigger_name(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("HX-Trigger-Name")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Live validation: the touched fields' messages, the status, the touched list and (when the
/// change can move it) the preview, swapped out-of-band. Saves nothing. Without htmx it is the
/// whole editor with every message, as after a save.
pub async fn validate(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let editing = editing_of(&services, &form).await?;
    if !is_htmx(&req) {
        return editor(&ctx, &services, editing, form, Shown::All, StatusCode::OK).await;
    }
    let trigger = trigger_name(&req);
    let checked = check(&form, &services.recycle.mid_facts(editing).await?);
    let mut touched = Touched::parse(form.rest.get(TOUCHED).map_or("", String::as_str));
    if let Some(control) = trigger {
        touched = touched.with_change(control);
    }
    let errors = touched.shown(&checked.errors);
    let preview = if trigger.is_none_or(moves_the_schedule) {
        let mids = services.mids.all().await?;
        Some(preview_of(
            &form,
            &checked.draft,
            &checked.unreadable,
            &mids,
            services.recycle.today(),
        ))
    } else {
        None
    };
    render(&LivePartial {
        status: status_after(trigger, &errors),
        touched: touched.value(),
        fields: message_fields(),
        errors,
        preview,
    })
}

/// The schedule preview; the same as a live check.
pub async fn preview(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    validate(req, ctx, services, body).await
}
