//! Pause (until a date, or until resumed: nothing is billed meanwhile) and Resume.

use actix_web::{HttpResponse, web};

use super::{ActionForm, Ask, Said, run};
use crate::domain::subscription::{Action, PauseUntil};
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;

pub async fn pause(
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
        Action::Pause,
        async |services, p, form| {
            let until = services.subscriptions.plan_pause(Some(&form.until))?;
            let how = match until {
                PauseUntil::Resumed => "until an agent resumes it".to_owned(),
                PauseUntil::Day(d) => {
                    format!("until {}, when it resumes on its own", d.format("%Y-%m-%d"))
                }
            };
            Ok(Ask {
                heading: format!("Pause {}?", p.subscription.product_name),
                lines: vec![format!(
                    "Nothing is billed {how}. Resuming it returns it to where it was."
                )],
                action: "pause",
                button: "Pause the subscription",
                fields: &["until"],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            services
                .subscriptions
                .pause(actor, target, Some(&form.until))
                .await?;
            Ok(Said::done("Subscription paused."))
        },
    )
    .await
}

pub async fn resume(
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
        Action::Resume,
        async |_, p, _| {
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Resume {}?", s.product_name),
                lines: vec![format!(
                    "Billing starts again: {} every {} days on {}; a bill whose date passed during the pause is made at once.",
                    s.price, s.cycle_days, s.card_label
                )],
                action: "resume",
                button: "Resume the subscription",
                fields: &[],
                asks_reason: false,
            })
        },
        async |services, target, _, actor| {
            let s = services.subscriptions.resume(actor, target).await?;
            Ok(Said::done(format!(
                "Subscription resumed: next bill on {}.",
                s.next_bill_day()
            )))
        },
    )
    .await
}
