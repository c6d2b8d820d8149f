//! "Settle now" on a test MID (R-TG-3): its open transactions settle at once, after a
//! confirmation page.

use actix_web::{HttpResponse, web};

use crate::domain::ids::MidId;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{ConfirmForm, ConfirmPage, PageCtx, render};

/// Without `confirm=yes` it asks first, saying how many transactions would settle. A MID of
/// another gateway is refused either way (409).
pub async fn settle(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let mid = services.mids.find(MidId(*id)).await?;
    let back = format!("/mids/{}/edit", mid.id);
    if !form.confirmed() {
        let open = services.mids.open_transactions(mid.id).await?;
        let page = ConfirmPage {
            layout: ctx.layout("Settle now", "mids"),
            heading: format!("Settle the open transactions of {}?", mid.title),
            message: match open {
                0 => "No approved transaction is waiting to settle; nothing changes.".to_owned(),
                1 => "1 approved transaction settles now. From then on it can be refunded but \
                      no longer voided."
                    .to_owned(),
                n => format!(
                    "{n} approved transactions settle now. From then on they can be refunded \
                     but no longer voided."
                ),
            },
            blockers: Vec::new(),
            action: format!("/mids/{}/settle", mid.id),
            button: "Settle now",
            back,
        };
        return render(&page);
    }
    let settled = services.mids.settle_now(&ctx.actor()?, mid.id).await?;
    Ok(ctx.done(
        format!("{} of {} settled.", transactions(settled), mid.title),
        &back,
    ))
}

/// "1 approved transaction", "3 approved transactions", "No approved transaction".
fn transactions(n: u64) -> String {
    match n {
        0 => "No approved transaction".to_owned(),
        1 => "1 approved transaction".to_owned(),
        n => format!("{n} approved transactions"),
    }
}
