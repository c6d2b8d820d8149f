//! Change the quantity and unit price: price = quantity x unit price (R-CS-6), shown as it is
//! typed (htmx posts the form to `price/preview` and swaps the answer in) and on the
//! confirmation page, which is what a browser without JavaScript sees.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{ActionForm, Ask, Said, refused, run, target_of};
use crate::domain::subscription::Action;
use crate::error::AppError;
use crate::services::Services;
use crate::services::subscriptions::SubscriptionError;
use crate::web::page::{PageCtx, is_htmx, render, see_other};

pub async fn change(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    run(
        ctx,
        services,
        path,
        form,
        Action::ChangePrice,
        async |services, p, form| {
            let s = &p.subscription;
            let change = services.subscriptions.plan_price(
                s.price.currency(),
                &form.quantity,
                &form.unit_price,
            )?;
            Ok(Ask {
                heading: format!("Change the price to {} a cycle?", change.price),
                lines: vec![
                    format!(
                        "{} x {} = {} a cycle (was {} x {} = {}).",
                        change.quantity.get(),
                        change.unit_price,
                        change.price,
                        s.quantity,
                        s.unit_price,
                        s.price
                    ),
                    "The next bill charges the new price.".to_owned(),
                ],
                action: "price",
                button: "Change the price",
                fields: &["quantity", "unit_price"],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            let s = services
                .subscriptions
                .change_price(actor, target, &form.quantity, &form.unit_price)
                .await?;
            Ok(Said::done(format!(
                "Price changed: {} x {} = {} a cycle.",
                s.quantity, s.unit_price, s.price
            )))
        },
    )
    .await
}

/// The live price: what the quantity and unit price typed so far make.
#[derive(Template)]
#[template(path = "pages/subscriptions/price_preview.html")]
struct Preview {
    price: Option<String>,
    problems: Vec<String>,
}

/// `POST /subscriptions/{id}/price/preview` (htmx): the price the form's values make, or what
/// is wrong with them. A direct visit goes to the page.
pub async fn preview(
    req: HttpRequest,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target_of(&path, &form)?;
    if !is_htmx(&req) {
        return Ok(see_other(&format!("/subscriptions/{}", target.id)));
    }
    let s = services.subscriptions.find(target).await.map_err(refused)?;
    let preview = match services.subscriptions.plan_price(
        s.price.currency(),
        &form.quantity,
        &form.unit_price,
    ) {
        Ok(change) => Preview {
            price: Some(format!(
                "{} x {} = {}",
                change.quantity.get(),
                change.unit_price,
                change.price
            )),
            problems: Vec::new(),
        },
        Err(SubscriptionError::Invalid(errors)) => Preview {
            price: None,
            problems: errors.iter().map(|e| e.message.clone()).collect(),
        },
        Err(e) => return Err(refused(e)),
    };
    render(&preview)
}
