//! `GET /subscriptions/{id}`: the purchase details page.

use actix_web::{HttpResponse, web};

use super::{ActionForm, page, refused, target_of};
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;

pub async fn show(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let form = ActionForm::default();
    let target = target_of(&path, &form)?;
    let purchase = services
        .subscriptions
        .purchase(target)
        .await
        .map_err(refused)?;
    page(&ctx, &services, purchase, form, FieldErrors::default()).await
}
