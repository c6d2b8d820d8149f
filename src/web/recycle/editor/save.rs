//! `POST /recycle-billing` and `POST /recycle-billing/{id}`: save, or the editor again with every
//! message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::domain::ids::RecycleProfileId;
use crate::error::AppError;
use crate::services::Services;
use crate::services::recycle::RecycleError;
use crate::web::page::{PageCtx, parse_form};
use crate::web::recycle::form::RecycleForm;

use super::views::*;

pub(super) async fn saved(
    ctx: &PageCtx,
    services: &Services,
    editing: Option<RecycleProfileId>,
    form: RecycleForm,
    result: Result<(), RecycleError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(ctx.done(
            format!("Profile {} saved.", form.name.trim()),
            "/recycle-billing",
        )),
        Err(RecycleError::Invalid(_)) => {
            editor(
                ctx,
                services,
                editing,
                form,
                Shown::All,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let result = match form.read() {
        (draft, unreadable) if unreadable.is_empty() => services
            .recycle
            .create(&ctx.actor()?, &draft)
            .await
            .map(drop),
        (_, unreadable) => Err(RecycleError::Invalid(unreadable)),
    };
    saved(&ctx, &services, None, form, result).await
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = services.recycle.find(RecycleProfileId(*id)).await?.id;
    let mut form = parse_form::<RecycleForm>(&body)?;
    form.rest.insert("editing".to_owned(), id.to_string());
    let result = match form.read() {
        (draft, unreadable) if unreadable.is_empty() => {
            services.recycle.update(&ctx.actor()?, id, &draft).await
        }
        (_, unreadable) => Err(RecycleError::Invalid(unreadable)),
    };
    saved(&ctx, &services, Some(id), form, result).await
}
