//! `GET /recycle-billing/{id}/edit`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::domain::ids::RecycleProfileId;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;

use super::views::*;

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let stored = services.recycle.find(RecycleProfileId(*id)).await?;
    let mut form = form_of(&stored.profile);
    form.rest
        .insert("editing".to_owned(), stored.id.to_string());
    editor(
        &ctx,
        &services,
        Some(stored.id),
        form,
        Shown::Touched,
        StatusCode::OK,
    )
    .await
}
