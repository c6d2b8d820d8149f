//! `GET /recycle-billing/new`: a blank editor, or a copy of a profile (Duplicate).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::domain::ids::RecycleProfileId;
use crate::domain::recycle::RecycleDraft;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;
use crate::web::recycle::form::RecycleForm;

use super::views::*;

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
            let stored = services.recycle.find(RecycleProfileId(id)).await?;
            let mut form = form_of(&stored.profile);
            form.name = format!("Copy of {}", stored.profile.name);
            form.mids.clear();
            form
        }
        Err(_) => RecycleForm::from(&RecycleDraft::blank()),
    };
    editor(&ctx, &services, None, form, Shown::Touched, StatusCode::OK).await
}
