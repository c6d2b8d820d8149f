//! Resend from a customer's Emails tab: a copy of the email, delivered afresh.

use actix_web::{HttpResponse, web};

use crate::domain::ids::{CustomerId, OutboxId};
use crate::error::AppError;
use crate::services::Services;
use crate::services::emails::EmailError;
use crate::web::page::PageCtx;

#[derive(Debug, serde::Deserialize)]
pub struct EmailPath {
    customer: String,
    id: String,
}

/// `POST /customers/{customer}/emails/{id}/resend`: an email of another customer is not found.
pub async fn resend(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<EmailPath>,
) -> Result<HttpResponse, AppError> {
    let customer = path
        .customer
        .parse::<i64>()
        .map(CustomerId)
        .map_err(|_| AppError::NotFound)?;
    let id = path
        .id
        .parse::<i64>()
        .map(OutboxId)
        .map_err(|_| AppError::NotFound)?;
    match services.emails.resend(&ctx.actor()?, customer, id).await {
        Ok(_) => Ok(ctx.done(
            "The email is on its way again; its copy is at the top of the list.",
            &format!("/customers/{customer}?tab=emails"),
        )),
        Err(EmailError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
