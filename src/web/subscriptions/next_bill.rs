//! Change the next billing date: a real date, today or later by the clock.

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
        Action::ChangeNextBill,
        async |services, p, form| {
            let date = services.subscriptions.plan_next_bill(&form.next_bill)?;
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Bill next on {}?", date.date().format("%Y-%m-%d")),
                lines: vec![format!(
                    "{} is billed {} on {} instead of {}.",
                    s.card_label,
                    s.price,
                    date.date().format("%Y-%m-%d"),
                    s.next_bill_at.map_or_else(
                        || "no date".to_owned(),
                        |at| at.format("%Y-%m-%d").to_string()
                    )
                )],
                action: "next-bill",
                button: "Change the date",
                fields: &["next_bill"],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            let s = services
                .subscriptions
                .change_next_bill(actor, target, &form.next_bill)
                .await?;
            Ok(Said::done(format!(
                "Next bill moved to {}.",
                s.next_bill_day()
            )))
        },
    )
    .await
}
