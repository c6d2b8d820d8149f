//! `POST /api/v1/orders/{id}/cancel` (SPEC 4.7, R-CS-7): cancels the order, its subscriptions
//! and pending fulfillments; with `"refund": true`, also gives back its charges the R-CS-3 way.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::{self, Idempotency};
use super::openapi::WriteErrors;
use super::transactions::ReversalView;
use super::{ApiCaller, ApiError, ApiJson};
use crate::domain::ids::OrderId;
use crate::services::Services;
use crate::services::order_actions::OrderActionError;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why; at most 200 characters.
    #[schema(example = "Too expensive")]
    pub reason: String,
    /// Also give the money back: void what has not settled, refund what has (R-CS-3).
    #[serde(default)]
    pub refund: bool,
}

/// A reversal made with the cancel, or why a charge could not be given back.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelReversal {
    pub transaction_id: Option<i64>,
    pub reversal: Option<ReversalView>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancelledView {
    pub order_id: i64,
    /// Always `cancelled`.
    pub status: &'static str,
    pub subscriptions_cancelled: u64,
    pub fulfillments_cancelled: u64,
    /// With `"refund": true`: each charge's void or refund.
    pub reversals: Vec<CancelReversal>,
}

/// Cancels an order (409 when it was cancelled already); 422 without a reason.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    operation_id = "cancel_order",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The order to cancel"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer; cancels and refunds once."),
    ),
    request_body = CancelBody,
    responses((status = 200, description = "The order as cancelled", body = CancelledView), WriteErrors),
)]
pub async fn cancel(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(OrderId)
        .ok_or_else(ApiError::not_found)?;
    let (cancel, raw) = body.into_parts();
    let (services, caller, idem) = (&services, &caller, &idempotency);
    idempotency::run(services, caller, idem, &raw, || async move {
        let key = idem.gateway_key(caller);
        let done = services
            .order_actions
            .cancel(
                &caller.actor(),
                id,
                &cancel.reason,
                cancel.refund,
                key.as_deref(),
            )
            .await
            .map_err(|e| match e {
                OrderActionError::Invalid(errors) => ApiError::from(errors),
                other => other.into(),
            })?;
        let reversals = done
            .reversals
            .into_iter()
            .map(|r| match r {
                Ok(r) => CancelReversal {
                    transaction_id: Some(r.id.0),
                    reversal: Some(ReversalView::of(r)),
                    error: None,
                },
                Err(e) => CancelReversal {
                    transaction_id: None,
                    reversal: None,
                    error: Some(e.to_string()),
                },
            })
            .collect();
        let view = CancelledView {
            order_id: id.0,
            status: "cancelled",
            subscriptions_cancelled: done.subscriptions,
            fulfillments_cancelled: done.fulfillments,
            reversals,
        };
        Ok((StatusCode::OK, view))
    })
    .await
}
