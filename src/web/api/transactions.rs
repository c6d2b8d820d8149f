//! The customer-service calls on a transaction (SPEC 4.7): `POST
//! /api/v1/transactions/{id}/refund` `{"amount", "reason"}` (amount optional: what is left) and
//! `POST /api/v1/transactions/{id}/void`, on the same service as the pages (R-CS-1, R-CS-2).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::{self, Idempotency};
use super::openapi::WriteErrors;
use super::{ApiCaller, ApiError, ApiJson};
use crate::domain::ids::TransactionId;
use crate::domain::money::MinorUnits;
use crate::services::Services;
use crate::services::payments::{Asked, PaymentError, Reversal};

/// A refund: part of the charge, or all that is left.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Minor units of the charge's currency; omitted: all that is left.
    #[schema(example = 500)]
    pub amount: Option<i64>,
    /// At most 200 characters.
    #[schema(example = "Customer changed their mind")]
    pub reason: Option<String>,
}

/// A void: the whole unsettled charge.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    pub reason: Option<String>,
}

/// A refund or void as recorded, with the gateway's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReversalView {
    pub id: i64,
    /// refund or void.
    pub kind: &'static str,
    pub amount: i64,
    /// approved or declined.
    pub result: &'static str,
    pub response_code: String,
    pub response_text: String,
    /// A refund the gateway failed is retried from the refund queue (R-CS-4): its entry.
    pub refund_queue_id: Option<i64>,
}

impl ReversalView {
    pub(super) fn of(r: Reversal) -> Self {
        Self {
            id: r.id.0,
            kind: r.kind.key(),
            amount: r.amount.amount().get(),
            result: r.reply.result().key(),
            response_code: r.reply.code,
            response_text: r.reply.text,
            refund_queue_id: r.queued.map(|q| q.0),
        }
    }
}

fn transaction_id(raw: &str) -> Result<TransactionId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(TransactionId)
        .ok_or_else(ApiError::not_found)
}

fn refused(e: PaymentError) -> ApiError {
    match e {
        PaymentError::Invalid(errors) => errors.into(),
        other => other.into(),
    }
}

fn asked<'a>(caller: &ApiCaller, idempotency: &Idempotency, reason: &'a str) -> Asked<'a> {
    Asked {
        reason,
        key: idempotency.gateway_key(caller),
    }
}

/// Refunds settled money, whole or in part; never more than is left (R-CS-2). Answers 201 with
/// the refund, approved or declined by the gateway; 409 when the rules refuse it (nothing left,
/// more than is left, voided), with the message saying why.
#[utoipa::path(
    post,
    path = "/api/v1/transactions/{id}/refund",
    operation_id = "refund_transaction",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The sale or capture to refund"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer; refunds once."),
    ),
    request_body = RefundBody,
    responses((status = 201, description = "The refund", body = ReversalView), WriteErrors),
)]
pub async fn refund(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<RefundBody>,
) -> Result<HttpResponse, ApiError> {
    let id = transaction_id(&path)?;
    let (refund, raw) = body.into_parts();
    if refund.amount.is_some_and(|a| a <= 0) {
        return Err(ApiError::invalid("Refund an amount greater than 0.")
            .field("amount", "Enter an amount greater than 0."));
    }
    let (services, caller, idem) = (&services, &caller, &idempotency);
    idempotency::run(services, caller, idem, &raw, || async move {
        let reason = refund.reason.as_deref().unwrap_or_default();
        let amount = refund.amount.map(MinorUnits::from_minor);
        let done = services
            .payments
            .refund(&caller.actor(), id, amount, &asked(caller, idem, reason))
            .await
            .map_err(refused)?;
        Ok((StatusCode::CREATED, ReversalView::of(done)))
    })
    .await
}

/// Voids a whole unsettled charge (R-CS-1); 409 when it has settled (refund it instead), was
/// partly refunded or voided already.
#[utoipa::path(
    post,
    path = "/api/v1/transactions/{id}/void",
    operation_id = "void_transaction",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The unsettled sale or capture to void"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer; voids once."),
    ),
    request_body = VoidBody,
    responses((status = 201, description = "The void", body = ReversalView), WriteErrors),
)]
pub async fn void(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<VoidBody>,
) -> Result<HttpResponse, ApiError> {
    let id = transaction_id(&path)?;
    let (void, raw) = body.into_parts();
    let (services, caller, idem) = (&services, &caller, &idempotency);
    idempotency::run(services, caller, idem, &raw, || async move {
        let reason = void.reason.as_deref().unwrap_or_default();
        let done = services
            .payments
            .void(&caller.actor(), id, &asked(caller, idem, reason))
            .await
            .map_err(refused)?;
        Ok((StatusCode::CREATED, ReversalView::of(done)))
    })
    .await
}
