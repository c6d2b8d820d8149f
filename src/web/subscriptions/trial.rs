//! The trial's actions: Restart (the trial begins again now), Skip (bill the recurring price now
//! and go active) and Stop (end the trial without charging: the subscription is cancelled).

use actix_web::{HttpResponse, web};

use super::{ActionForm, Ask, Said, run};
use crate::domain::subscription::Action;
use crate::error::AppError;
use crate::services::Services;
use crate::services::subscriptions::{SubscriptionError, TRIAL_STOPPED};
use crate::web::page::PageCtx;

pub async fn restart(
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
        Action::RestartTrial,
        async |_, p, _| {
            let days = p.trial_days().ok_or(SubscriptionError::NoTrial)?;
            Ok(Ask {
                heading: format!("Restart the trial of {}?", p.subscription.product_name),
                lines: vec![format!(
                    "The trial begins again now and lasts {days} days; the first full bill of {} comes when it ends.",
                    p.subscription.price
                )],
                action: "trial/restart",
                button: "Restart the trial",
                fields: &[],
                asks_reason: false,
            })
        },
        async |services, target, _, actor| {
            let s = services.subscriptions.restart_trial(actor, target).await?;
            Ok(Said::done(format!(
                "Trial restarted: the first bill is on {}.",
                s.next_bill_day()
            )))
        },
    )
    .await
}

pub async fn skip(
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
        Action::SkipTrial,
        async |_, p, _| {
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Skip the trial and bill {} now?", s.price),
                lines: vec![
                    format!(
                        "{} is charged {} now on {}.",
                        s.card_label, s.price, s.mid_title
                    ),
                    format!(
                        "Approved, the trial ends and the subscription is active, billing again in {} days. Declined, it stays in its trial.",
                        s.cycle_days
                    ),
                ],
                action: "trial/skip",
                button: "Skip the trial and bill now",
                fields: &[],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            let billed = services
                .subscriptions
                .skip_trial(actor, target, Some(&format!("page:{}", form.key.trim())))
                .await?;
            Ok(super::force_bill::said(&billed))
        },
    )
    .await
}

pub async fn stop(
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
        Action::StopTrial,
        async |_, p, _| {
            Ok(Ask {
                heading: format!("Stop the trial of {}?", p.subscription.product_name),
                lines: vec![
                    "Nothing is charged: the trial ends and the subscription is cancelled, so it never bills.".to_owned(),
                    format!("It is recorded as cancelled with the reason \"{TRIAL_STOPPED}\"."),
                ],
                action: "trial/stop",
                button: "Stop the trial",
                fields: &[],
                asks_reason: false,
            })
        },
        async |services, target, _, actor| {
            services.subscriptions.stop_trial(actor, target).await?;
            Ok(Said::done(
                "Trial stopped: the subscription is cancelled and will not bill.",
            ))
        },
    )
    .await
}
