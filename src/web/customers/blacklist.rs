//! The profile's Blacklist button (R-CS-5), for CS admins and admins only (the route's rule
//! and the blacklist service both check): it asks first, with a reason, then records the
//! customer's email, phone and cards, which new orders are then refused by (R-OR-4).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::customer_id;
use super::profile::not_found;
use crate::domain::FieldErrors;
use crate::domain::order::Customer;
use crate::error::AppError;
use crate::services::Services;
use crate::services::blacklist::{BlacklistError, REASON_MAX};
use crate::web::page::{FlashKind, Layout, PageCtx, parse_form, render_status, see_other};

#[derive(Template)]
#[template(path = "pages/customers/blacklist_confirm.html")]
struct ConfirmBlacklist {
    layout: Layout,
    customer: Customer,
    cards: usize,
    reason: String,
    reason_max: usize,
    errors: FieldErrors,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct BlacklistForm {
    reason: String,
    confirm: String,
}

pub async fn submit(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path)?;
    let form: BlacklistForm = parse_form(&body)?;
    let profile = services.customers.profile(id).await.map_err(not_found)?;
    let back = format!("/customers/{id}");
    if profile.customer.blacklisted {
        ctx.flash(
            FlashKind::Error,
            "This customer is on the blacklist already.",
        );
        return Ok(see_other(&back));
    }
    let ask = |errors: FieldErrors, status: StatusCode| {
        render_status(
            status,
            &ConfirmBlacklist {
                layout: ctx.layout("Blacklist a customer", "customers"),
                cards: profile.cards.len(),
                customer: profile.customer.clone(),
                reason: form.reason.chars().take(REASON_MAX * 2).collect(),
                reason_max: REASON_MAX,
                errors,
            },
        )
    };
    if form.confirm != "yes" {
        return ask(FieldErrors::default(), StatusCode::OK);
    }
    if form.reason.trim().is_empty() {
        return ask(
            crate::services::field_error("reason", "Say why this customer is blacklisted."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match services.blacklist.add(&ctx.actor()?, id, &form.reason).await {
        Ok(entries) => Ok(ctx.done(
            format!(
                "{} is on the blacklist ({entries} entries: email, phone and cards). New orders from them are refused.",
                profile.customer.name()
            ),
            &back,
        )),
        Err(e @ BlacklistError::Reason) => ask(
            crate::services::field_error("reason", e.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(BlacklistError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
