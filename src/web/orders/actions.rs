//! The order summary's actions (R-CS-7, seed 004): Cancel order (asking whether to refund too),
//! Refund the order (R-CS-3: void first, refund when the void fails or the money settled),
//! Resend the welcome email, Resend Refund Email on a refund or void, and the fulfillment
//! actions Reship and Cancel. Whatever changes money or the customer's service asks first on a
//! page of its own; the order-level money actions carry a one-time key.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::{FulfillmentId, OrderId, TransactionId};
use crate::domain::reason::{self, ReasonKind};
use crate::error::AppError;
use crate::services::Services;
use crate::services::order_actions::OrderActionError;
use crate::services::payments::{PaymentError, Reversal};
use crate::web::page::{FlashKind, Layout, PageCtx, render_status, see_other};

/// An action's form as posted: the reason picked (or typed), "other" words, whether to refund
/// too, the one-time key and whether the confirmation page was answered.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    reason: String,
    other: String,
    refund: String,
    key: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "pages/orders/action_confirm.html")]
struct ConfirmAction {
    layout: Layout,
    heading: String,
    message: String,
    action: String,
    back: String,
    button: &'static str,
    form: ActionForm,
    /// The merchant's list to pick from; empty: a reason in the agent's words.
    reasons: Vec<String>,
    other_value: &'static str,
    offer_refund: bool,
    errors: FieldErrors,
}

fn id_of(path: &str) -> Result<i64, AppError> {
    path.parse::<i64>().map_err(|_| AppError::NotFound)
}

fn action_error(e: OrderActionError) -> AppError {
    match e {
        OrderActionError::OrderNotFound | OrderActionError::FulfillmentNotFound => {
            AppError::NotFound
        }
        other => other.into(),
    }
}

/// What to ask on the confirmation page.
struct Ask {
    heading: String,
    message: String,
    action: String,
    back: String,
    button: &'static str,
    list: Option<ReasonKind>,
    offer_refund: bool,
}

/// The reason the form gives: picked from the merchant's list (or Other + words), or typed when
/// the action has no list. `Err` re-renders the page with the message next to the field.
async fn reason_of(
    services: &Services,
    form: &ActionForm,
    list: Option<ReasonKind>,
) -> Result<(String, Vec<String>), (FieldErrors, Vec<String>)> {
    let Some(kind) = list else {
        let typed = form.reason.trim();
        if typed.is_empty() {
            return Err((
                crate::services::field_error("reason", "Say why."),
                Vec::new(),
            ));
        }
        return Ok((typed.to_owned(), Vec::new()));
    };
    let active = services.reasons.active(kind).await.unwrap_or_default();
    let labels: Vec<String> = active.iter().map(|r| r.label.clone()).collect();
    match reason::pick(&active, &form.reason, &form.other) {
        Ok(picked) => Ok((picked, labels)),
        Err(reason::PickError::OtherMissing) => Err((
            crate::services::field_error("other", reason::PickError::OtherMissing.to_string()),
            labels,
        )),
        Err(e) => Err((
            crate::services::field_error("reason", e.to_string()),
            labels,
        )),
    }
}

/// Shows the confirmation page (again, with `errors`, when the answer was not valid).
async fn confirm_page(
    ctx: &PageCtx,
    services: &Services,
    ask: Ask,
    form: ActionForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let reasons = match ask.list {
        Some(kind) => services
            .reasons
            .active(kind)
            .await?
            .into_iter()
            .map(|r| r.label)
            .collect(),
        None => Vec::new(),
    };
    let form = ActionForm {
        key: if form.key.trim().is_empty() {
            crate::services::random_token(12)?
        } else {
            form.key
        },
        ..form
    };
    let status = if errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ConfirmAction {
            layout: ctx.layout(ask.heading.clone(), "orders"),
            heading: ask.heading,
            message: ask.message,
            action: ask.action,
            back: ask.back,
            button: ask.button,
            form,
            reasons,
            other_value: reason::OTHER,
            offer_refund: ask.offer_refund,
            errors,
        },
    )
}

/// The flash after reversals: what each charge came to.
fn reversal_summary(reversals: &[Result<Reversal, PaymentError>]) -> (bool, String) {
    let mut all_ok = true;
    let parts: Vec<String> = reversals
        .iter()
        .map(|r| match r {
            Ok(r) if r.approved() => format!("{} of {} approved", r.kind.key(), r.amount),
            Ok(r) if r.queued.is_some() => {
                all_ok = false;
                format!(
                    "refund of {} failed ({} {}) and is in the refund queue",
                    r.amount, r.reply.code, r.reply.text
                )
            }
            Ok(r) => {
                all_ok = false;
                format!(
                    "{} of {} declined ({} {})",
                    r.kind.key(),
                    r.amount,
                    r.reply.code,
                    r.reply.text
                )
            }
            Err(e) => {
                all_ok = false;
                e.to_string()
            }
        })
        .collect();
    (all_ok, parts.join("; "))
}

/// Cancel order: asks for a reason from the cancellation list and whether to refund too.
pub async fn cancel(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let id = OrderId(id_of(&path)?);
    let details = services.orders.details(id).await.map_err(|e| match e {
        crate::services::orders::SaleError::OrderNotFound => AppError::NotFound,
        other => other.into(),
    })?;
    let back = format!("/orders/{id}");
    let ask = Ask {
        heading: format!("Cancel order #{id}?"),
        message: format!(
            "Its {} subscription(s) stop billing and its pending fulfillments are not shipped. The order stays on record as cancelled.",
            details.subscriptions.len()
        ),
        action: format!("/orders/{id}/cancel"),
        back: back.clone(),
        button: "Cancel the order",
        list: Some(ReasonKind::Cancel),
        offer_refund: true,
    };
    let form = form.into_inner();
    if form.confirm != "yes" || form.key.trim().is_empty() {
        return confirm_page(&ctx, &services, ask, form, FieldErrors::default()).await;
    }
    let picked = match reason_of(&services, &form, ask.list).await {
        Ok((picked, _)) => picked,
        Err((errors, _)) => return confirm_page(&ctx, &services, ask, form, errors).await,
    };
    let refund = form.refund == "yes";
    let key = format!("page:{}", form.key.trim());
    match services
        .order_actions
        .cancel(&ctx.actor()?, id, &picked, refund, Some(&key))
        .await
    {
        Ok(done) => {
            let mut message = format!(
                "Order cancelled: {} subscription(s) and {} pending fulfillment(s) cancelled.",
                done.subscriptions, done.fulfillments
            );
            let (all_ok, said) = reversal_summary(&done.reversals);
            if !said.is_empty() {
                message = format!("{message} Money: {said}.");
            }
            ctx.flash(
                if all_ok {
                    FlashKind::Success
                } else {
                    FlashKind::Error
                },
                message,
            );
            Ok(see_other(&back))
        }
        Err(e @ OrderActionError::AlreadyCancelled) => {
            ctx.flash(FlashKind::Error, e.to_string());
            Ok(see_other(&back))
        }
        Err(OrderActionError::Invalid(errors)) => {
            confirm_page(&ctx, &services, ask, form, errors).await
        }
        Err(e) => Err(action_error(e)),
    }
}

/// The order's Refund (R-CS-3): every charge with money left is voided, or refunded when the
/// void fails or the money settled.
pub async fn refund(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let id = OrderId(id_of(&path)?);
    let details = services.orders.details(id).await.map_err(|e| match e {
        crate::services::orders::SaleError::OrderNotFound => AppError::NotFound,
        other => other.into(),
    })?;
    let back = format!("/orders/{id}");
    let card = details
        .payment_method
        .as_ref()
        .map_or_else(|| "the card".to_owned(), |c| c.label());
    let ask = Ask {
        heading: format!("Refund order #{id}?"),
        message: format!(
            "Everything charged on this order that has not been given back goes back to {card}: voided while unsettled, refunded once settled. This cannot be undone."
        ),
        action: format!("/orders/{id}/refund"),
        back: back.clone(),
        button: "Refund the order",
        list: Some(ReasonKind::Refund),
        offer_refund: false,
    };
    let form = form.into_inner();
    if form.confirm != "yes" || form.key.trim().is_empty() {
        return confirm_page(&ctx, &services, ask, form, FieldErrors::default()).await;
    }
    let picked = match reason_of(&services, &form, ask.list).await {
        Ok((picked, _)) => picked,
        Err((errors, _)) => return confirm_page(&ctx, &services, ask, form, errors).await,
    };
    let key = format!("page:{}", form.key.trim());
    let reversals = services
        .order_actions
        .give_back(&ctx.actor()?, id, &picked, Some(&key))
        .await
        .map_err(action_error)?;
    if reversals.is_empty() {
        ctx.flash(
            FlashKind::Error,
            "Nothing on this order is left to give back.",
        );
        return Ok(see_other(&back));
    }
    let (all_ok, said) = reversal_summary(&reversals);
    ctx.flash(
        if all_ok {
            FlashKind::Success
        } else {
            FlashKind::Error
        },
        format!("Refund: {said}."),
    );
    Ok(see_other(&back))
}

/// Resend the welcome email: not destructive, no confirmation.
pub async fn resend_welcome(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = OrderId(id_of(&path)?);
    let back = format!("/orders/{id}");
    match services
        .order_actions
        .resend_welcome(&ctx.actor()?, id)
        .await
    {
        Ok(()) => Ok(ctx.done("The welcome email is on its way again.", &back)),
        Err(e @ OrderActionError::NoWelcomeEmail) => {
            ctx.flash(FlashKind::Error, e.to_string());
            Ok(see_other(&back))
        }
        Err(e) => Err(action_error(e)),
    }
}

/// Resend Refund Email on an approved refund or void.
pub async fn resend_refund_email(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = TransactionId(id_of(&path)?);
    let (order, ..) = services.payments.describe(id).await.map_err(|e| match e {
        PaymentError::NotFound => AppError::NotFound,
        other => other.into(),
    })?;
    let back = format!("/orders/{order}");
    match services
        .payments
        .resend_confirmation(&ctx.actor()?, id)
        .await
    {
        Ok(()) => Ok(ctx.done("The confirmation email is on its way again.", &back)),
        Err(e @ PaymentError::NotReversed) => {
            ctx.flash(FlashKind::Error, e.to_string());
            Ok(see_other(&back))
        }
        Err(PaymentError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn fulfillment_action(
    ctx: PageCtx,
    services: &Services,
    path: &str,
    form: ActionForm,
    reship: bool,
) -> Result<HttpResponse, AppError> {
    let id = FulfillmentId(id_of(path)?);
    let order = services
        .order_actions
        .fulfillment_order(id)
        .await
        .map_err(action_error)?;
    let back = format!("/orders/{order}");
    let ask = if reship {
        Ask {
            heading: format!("Reship fulfillment #{id}?"),
            message:
                "A new pending fulfillment ships the same item again, at no charge to the customer."
                    .to_owned(),
            action: format!("/fulfillments/{id}/reship"),
            back: back.clone(),
            button: "Reship",
            list: None,
            offer_refund: false,
        }
    } else {
        Ask {
            heading: format!("Cancel fulfillment #{id}?"),
            message: "It will not be shipped. This does not refund the customer.".to_owned(),
            action: format!("/fulfillments/{id}/cancel"),
            back: back.clone(),
            button: "Cancel the fulfillment",
            list: None,
            offer_refund: false,
        }
    };
    if form.confirm != "yes" {
        return confirm_page(&ctx, services, ask, form, FieldErrors::default()).await;
    }
    let typed = match reason_of(services, &form, None).await {
        Ok((typed, _)) => typed,
        Err((errors, _)) => return confirm_page(&ctx, services, ask, form, errors).await,
    };
    let actor = ctx.actor()?;
    let done = if reship {
        services
            .order_actions
            .reship(&actor, id, &typed)
            .await
            .map(|new| format!("Reship requested: fulfillment #{new} is pending."))
    } else {
        services
            .order_actions
            .cancel_fulfillment(&actor, id, &typed)
            .await
            .map(|()| "Fulfillment cancelled.".to_owned())
    };
    match done {
        Ok(message) => Ok(ctx.done(message, &back)),
        Err(OrderActionError::Invalid(errors)) => {
            confirm_page(&ctx, services, ask, form, errors).await
        }
        Err(e @ (OrderActionError::NotPending(_) | OrderActionError::NotReshippable(_))) => {
            ctx.flash(FlashKind::Error, e.to_string());
            Ok(see_other(&back))
        }
        Err(e) => Err(action_error(e)),
    }
}

pub async fn reship(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    fulfillment_action(ctx, &services, &path, form.into_inner(), true).await
}

pub async fn cancel_fulfillment(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    fulfillment_action(ctx, &services, &path, form.into_inner(), false).await
}
