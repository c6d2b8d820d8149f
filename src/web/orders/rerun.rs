//! Rerun a declined new sale on a MID the agent picks directly (R-EN-5): the order page offers
//! the MIDs that may take it; the confirmation page names the amount, the card and the MID and
//! carries a one-time key, so a double click charges once. Upsales are never rerun: a rerun
//! posted by hand for one answers 409.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::MidId;
use crate::domain::mid::Mid;
use crate::domain::order::OrderDetails;
use crate::error::AppError;
use crate::services::Services;
use crate::services::orders::SaleError;
use crate::web::page::{FlashKind, Layout, PageCtx, render_status, see_other};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RerunForm {
    mid_id: String,
    key: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "pages/orders/rerun_confirm.html")]
struct RerunConfirm {
    layout: Layout,
    details: OrderDetails,
    mids: Vec<Mid>,
    form: RerunForm,
    errors: FieldErrors,
}

pub async fn rerun(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<RerunForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let details = super::details_of(&services, &path).await?;
    let id = details.order.id;
    let mids = services.orders.rerun_mids(&details.order).await?;
    if mids.is_empty() {
        // Not a declined new sale (or nothing could take it): the service says which.
        return Err(services
            .orders
            .rerun(&ctx.actor()?, id, MidId(0), None)
            .await
            .err()
            .map_or(AppError::NotFound, AppError::from));
    }
    let mid = form.mid_id.trim().parse::<i64>().ok().map(MidId);
    let errors = match mid {
        None => crate::services::field_error("mid_id", "Pick the MID to rerun on."),
        Some(_) if form.confirm != "yes" => FieldErrors::default(),
        Some(mid) => {
            let key = form.key.trim();
            let key = (!key.is_empty()).then_some(key);
            match services.orders.rerun(&ctx.actor()?, id, mid, key).await {
                Ok(rerun) if rerun.approved => {
                    return Ok(ctx.done(
                        format!(
                            "Rerun approved ({}); the order is complete.",
                            rerun.response
                        ),
                        &format!("/orders/{id}"),
                    ));
                }
                Ok(rerun) => {
                    ctx.flash(
                        FlashKind::Error,
                        format!("The rerun was declined too ({}).", rerun.response),
                    );
                    return Ok(see_other(&format!("/orders/{id}")));
                }
                Err(SaleError::Invalid(errors)) => errors,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = RerunForm {
        key: if form.key.trim().is_empty() {
            crate::services::random_token(12)?
        } else {
            form.key
        },
        ..form
    };
    render_status(
        status,
        &RerunConfirm {
            layout: ctx.layout(format!("Rerun order #{id}"), "customers"),
            details,
            mids,
            form,
            errors,
        },
    )
}
