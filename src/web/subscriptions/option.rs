//! Select a different product option, from the product's options in the catalogue; the unit
//! price becomes the option's and the price follows (R-CS-6).

use actix_web::{HttpResponse, web};

use super::{ActionForm, Ask, Said, run};
use crate::domain::subscription::Action;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;

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
        Action::ChangeOption,
        async |services, p, form| {
            let change = services.subscriptions.plan_option(p, &form.option)?;
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Change the option to {}?", change.option),
                lines: vec![
                    format!(
                        "From {} to {}: {} each, so {} x {} = {} a cycle (was {}).",
                        s.option.as_deref().unwrap_or("no option"),
                        change.option,
                        change.unit_price,
                        s.quantity,
                        change.unit_price,
                        change.price,
                        s.price
                    ),
                    "The next bill charges the new price.".to_owned(),
                ],
                action: "option",
                button: "Change the option",
                fields: &["option"],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            let s = services
                .subscriptions
                .change_option(actor, target, &form.option)
                .await?;
            Ok(Said::done(format!(
                "Option changed to {}: {} a cycle.",
                s.option.unwrap_or_default(),
                s.price
            )))
        },
    )
    .await
}
