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
#[derive(Debug, Default, Clone, serde::Deserialize)]
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
/// the action has no list; else the message for its field.
async fn reason_of(
    services: &Services,
    form: &ActionForm,
    list: Option<ReasonKind>,
) -> Result<String, FieldErrors> {
    let Some(kind) = list else {
        let typed = form.reason.trim();
        if typed.is_empty() {
            return Err(crate::services::field_error("reason", "Say why."));
        }
        return Ok(typed.to_owned());
    };
    let active = services.reasons.active(kind).await.unwrap_or_default();
    reason::pick(&active, &form.reason, &form.other).map_err(|e| match e {
        reason::PickError::OtherMissing => crate::services::field_error("other", e.to_string()),
        e => crate::services::field_error("reason", e.to_string()),
    })
}

/// The reason a confirmed form gives, or the confirmation page to show (again): before the
/// agent confirmed, or with the message next to the field. A money action's form must also
/// carry its one-time key (`key_required`).
async fn confirmed(
    ctx: &PageCtx,
    services: &Services,
    ask: &Ask,
    form: &ActionForm,
    key_required: bool,
) -> Result<Result<String, HttpResponse>, AppError> {
    if form.confirm != "yes" || (key_required && form.key.trim().is_empty()) {
        let page = confirm_page(ctx, services, ask, form, FieldErrors::default()).await?;
        return Ok(Err(page));
    }
    match reason_of(services, form, ask.list).await {
        Ok(reason) => Ok(Ok(reason)),
        Err(errors) => Ok(Err(confirm_page(ctx, services, ask, form, errors).await?)),
    }
}

/// Shows the confirmation page (again, with `errors`, when the answer was not valid).
async fn confirm_page(
    ctx: &PageCtx,
    services: &Services,
    ask: &Ask,
    form: &ActionForm,
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
            form.key.clone()
        },
        ..form.clone()
    };
    let status = if errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ConfirmAction {
            layout: ctx.layout(ask.heading.clone(), "customers"),
            heading: ask.heading.clone(),
            message: ask.message.clone(),
            action: ask.action.clone(),
            back: ask.back.clone(),
            button: ask.button,
            form,
            reasons,
            other_value: reason::OTHER,
            offer_refund: ask.offer_refund,
            errors,
        },
    )
}

/// The flash after reversals: what each charge came to, an error unless all went through.
fn reversal_summary(reversals: &[Result<Reversal, PaymentError>]) -> (FlashKind, String) {
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
    let kind = if all_ok {
        FlashKind::Success
    } else {
        FlashKind::Error
    };
    (kind, parts.join("; "))
}

/// Cancel order: asks for a reason from the cancellation list and whether to refund too.
pub async fn cancel(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let details = super::details_of(&services, &path).await?;
    let id = details.order.id;
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
    let picked = match confirmed(&ctx, &services, &ask, &form, true).await? {
        Ok(picked) => picked,
        Err(page) => return Ok(page),
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
            let (kind, said) = reversal_summary(&done.reversals);
            if !said.is_empty() {
                message = format!("{message} Money: {said}.");
            }
            ctx.flash(kind, message);
            Ok(see_other(&back))
        }
        Err(e @ OrderActionError::AlreadyCancelled) => Ok(ctx.refused(e.to_string(), &back)),
        Err(OrderActionError::Invalid(errors)) => {
            confirm_page(&ctx, &services, &ask, &form, errors).await
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
    let details = super::details_of(&services, &path).await?;
    let id = details.order.id;
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
    let picked = match confirmed(&ctx, &services, &ask, &form, true).await? {
        Ok(picked) => picked,
        Err(page) => return Ok(page),
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
    let (kind, said) = reversal_summary(&reversals);
    ctx.flash(kind, format!("Refund: {said}."));
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
        Err(e @ OrderActionError::NoWelcomeEmail) => Ok(ctx.refused(e.to_string(), &back)),
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
        Err(e @ PaymentError::NotReversed) => Ok(ctx.refused(e.to_string(), &back)),
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
    let typed = match confirmed(&ctx, services, &ask, &form, false).await? {
        Ok(typed) => typed,
        Err(page) => return Ok(page),
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
            confirm_page(&ctx, services, &ask, &form, errors).await
        }
        Err(e @ (OrderActionError::NotPending(_) | OrderActionError::NotReshippable(_))) => {
            Ok(ctx.refused(e.to_string(), &back))
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
