//! Cancel the subscription, with a reason from the merchant's cancellation reasons (or Other
//! in the agent's words), asked on the confirmation page as the order summary's Cancel asks it.

use actix_web::{HttpResponse, web};

use super::{ActionForm, Ask, Said, picked_reason, run};
use crate::domain::subscription::Action;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::PageCtx;

pub async fn cancel(
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
        Action::Cancel,
        async |_, p, _| {
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Cancel {}?", s.product_name),
                lines: vec![format!(
                    "It stops billing: no more charges of {} to {}. Nothing is refunded; refund from the order if the customer is owed money.",
                    s.price, s.card_label
                )],
                action: "cancel",
                button: "Cancel the subscription",
                fields: &[],
                asks_reason: true,
            })
        },
        async |services, target, form, actor| {
            let reason = picked_reason(services, form).await?;
            services
                .subscriptions
                .cancel(actor, target, &reason)
                .await?;
            Ok(Said::done(format!("Subscription cancelled ({reason}).")))
        },
    )
    .await
}
