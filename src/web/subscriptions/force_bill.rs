//! Force bill: the current cycle charged now, on the subscription's MID with the card on file.
//! The page's form carries a one-time key, so a double click bills once.

use actix_web::{HttpResponse, web};

use super::{ActionForm, Ask, Said, run};
use crate::domain::subscription::Action;
use crate::error::AppError;
use crate::services::Services;
use crate::services::subscriptions::Billed;
use crate::web::page::PageCtx;

/// The page's message after a bill; a decline is an error so it reads as one.
pub(super) fn said(billed: &Billed) -> Said {
    if billed.approved {
        Said::done(format!(
            "Billed {}: approved. Next bill on {}.",
            billed.amount,
            billed.subscription.next_bill_day()
        ))
    } else {
        Said::failed(format!(
            "Billed {}: declined ({}). The decline is recorded on the subscription and its order.",
            billed.amount, billed.response
        ))
    }
}

pub async fn force_bill(
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
        Action::ForceBill,
        async |_, p, _| {
            let s = &p.subscription;
            Ok(Ask {
                heading: format!("Bill {} now?", s.price),
                lines: vec![
                    format!(
                        "{} is charged {} now on {}, for the current cycle of {}.",
                        s.card_label, s.price, s.mid_title, s.product_name
                    ),
                    format!(
                        "Approved, the cycle advances: the next bill is {} days from now. Declined, the decline is recorded on the subscription and its order.",
                        s.cycle_days
                    ),
                ],
                action: "force-bill",
                button: "Bill now",
                fields: &[],
                asks_reason: false,
            })
        },
        async |services, target, form, actor| {
            let billed = services
                .subscriptions
                .force_bill(actor, target, Some(&format!("page:{}", form.key.trim())))
                .await?;
            Ok(said(&billed))
        },
    )
    .await
}
