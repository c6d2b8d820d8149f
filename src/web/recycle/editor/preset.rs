//! `POST /recycle-billing/preset`: the FlexPay recommended setup (R-RB-4), htmx or a plain post.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::domain::ids::MidId;
use crate::domain::provider::Provider;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{PageCtx, parse_form};
use crate::web::recycle::form::RecycleForm;

use super::views::*;

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
    let mids = services.mids.all().await?;
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
                Shown::PresetRefused,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await?;
            return Ok(page);
        }
    }
    editor(
        &ctx,
        &services,
        editing,
        form,
        Shown::Touched,
        StatusCode::OK,
    )
    .await
}
