//! The order page's transaction actions (R-CS-1, R-CS-2, R-CS-7): Void and Refund. Each asks
//! for confirmation on a page of its own, naming the amount and the card, then acts once: the
//! form carries a one-time key, so a double click or a resubmitted page reverses once.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::TransactionId;
use crate::domain::money::Money;
use crate::domain::payment::Refusal;
use crate::domain::reason::{self, ReasonKind};
use crate::error::AppError;
use crate::services::Services;
use crate::services::payments::{Asked, PaymentError};
use crate::web::page::{FlashKind, Layout, PageCtx, render_status};

/// A reversal as posted: the optional amount (refunds), the reason, the form's one-time key
/// and whether the confirmation page was answered.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReversalForm {
    amount: String,
    reason: String,
    other: String,
    key: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "pages/orders/reversal_confirm.html")]
struct ConfirmReversal {
    layout: Layout,
    heading: String,
    message: String,
    action: String,
    back: String,
    button: &'static str,
    form: ReversalForm,
    refund: bool,
    /// The merchant's refund reasons (Catalogue › Reasons).
    reasons: Vec<String>,
    other_value: &'static str,
    errors: FieldErrors,
}

/// The order a transaction belongs to, and its currency: where to go back to, and how to read
/// an amount.
async fn charge_of(
    services: &Services,
    id: TransactionId,
) -> Result<(i64, crate::domain::money::Currency, String), AppError> {
    let (order, amount, card) = services.payments.describe(id).await.map_err(|e| match e {
        PaymentError::NotFound => AppError::NotFound,
        other => other.into(),
    })?;
    Ok((order.0, amount.currency(), card))
}

async fn act(
    ctx: PageCtx,
    services: &Services,
    path: &str,
    form: ReversalForm,
    refund: bool,
) -> Result<HttpResponse, AppError> {
    let id = TransactionId(path.parse::<i64>().map_err(|_| AppError::NotFound)?);
    let (order, currency, card) = charge_of(services, id).await?;
    let back = format!("/orders/{order}");
    let mut errors = FieldErrors::default();
    let amount = match form.amount.trim() {
        "" => None,
        raw if refund => match Money::parse_positive(raw, currency) {
            Ok(money) => Some(money),
            Err(e) => {
                errors.push("amount", e.to_string());
                None
            }
        },
        _ => None,
    };
    let active = services.reasons.active(ReasonKind::Refund).await?;
    let mut picked = String::new();
    if form.confirm == "yes" {
        match reason::pick(&active, &form.reason, &form.other) {
            Ok(reason) => picked = reason,
            Err(e @ reason::PickError::OtherMissing) => errors.push("other", e.to_string()),
            Err(e) => errors.push("reason", e.to_string()),
        }
    }
    let (verb, button) = if refund {
        ("Refund", "Refund")
    } else {
        ("Void", "Void")
    };
    let confirm_page = |form: ReversalForm, errors: FieldErrors, active: Vec<String>| {
        let what = match amount {
            Some(amount) => amount.to_string(),
            None if refund => "all that is left".to_owned(),
            None => "the whole charge".to_owned(),
        };
        let page = ConfirmReversal {
            layout: ctx.layout(format!("{verb} transaction #{id}"), "customers"),
            heading: format!("{verb} transaction #{id}?"),
            message: format!(
                "{verb} {what} to {card}. The customer gets the money back; this cannot be undone."
            ),
            action: format!(
                "/transactions/{id}/{}",
                if refund { "refund" } else { "void" }
            ),
            back: back.clone(),
            button,
            form,
            refund,
            reasons: active,
            other_value: reason::OTHER,
            errors,
        };
        let status = if page.errors.is_empty() {
            actix_web::http::StatusCode::OK
        } else {
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
        };
        render_status(status, &page)
    };
    let labels: Vec<String> = active.iter().map(|r| r.label.clone()).collect();
    if !errors.is_empty() || form.confirm != "yes" || form.key.trim().is_empty() {
        return confirm_page(form, errors, labels);
    }
    let asked = Asked {
        reason: &picked,
        key: Some(format!("page:{}", form.key.trim())),
    };
    let actor = ctx.actor()?;
    let done = if refund {
        services
            .payments
            .refund(&actor, id, amount.map(Money::amount), &asked)
            .await
    } else {
        services.payments.void(&actor, id, &asked).await
    };
    match done {
        Ok(r) if r.approved() => Ok(ctx.done(
            format!(
                "{verb} of {} approved ({} {}).",
                r.amount, r.reply.code, r.reply.text
            ),
            &back,
        )),
        Ok(r) => {
            ctx.flash(
                FlashKind::Error,
                format!(
                    "{verb} of {} declined by the gateway ({} {}).",
                    r.amount, r.reply.code, r.reply.text
                ),
            );
            Ok(crate::web::page::see_other(&back))
        }
        Err(PaymentError::AlreadyRequested) => {
            ctx.flash(
                FlashKind::Error,
                "This was submitted already; it was done once.",
            );
            Ok(crate::web::page::see_other(&back))
        }
        // An amount beyond what is left: said by the field, the form kept (a new key, since
        // this one made nothing).
        Err(e @ PaymentError::Refused(Refusal::MoreThanLeft(_) | Refusal::NothingLeft))
            if refund =>
        {
            let mut errors = FieldErrors::default();
            errors.push("amount", e.to_string());
            let form = ReversalForm {
                key: crate::services::random_token(12)?,
                ..form
            };
            confirm_page(form, errors, labels)
        }
        Err(e @ PaymentError::Refused(_)) => Ok(ctx.refused(e.to_string(), &back)),
        Err(e) => Err(e.into()),
    }
}

pub async fn void(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ReversalForm>,
) -> Result<HttpResponse, AppError> {
    act(ctx, &services, &path, form.into_inner(), false).await
}

pub async fn refund(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ReversalForm>,
) -> Result<HttpResponse, AppError> {
    act(ctx, &services, &path, form.into_inner(), true).await
}
