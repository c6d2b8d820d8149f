//! `POST /api/v1/subscriptions/{id}/cancel|pause|resume` (SPEC 4.7, R-CS-7): the purchase
//! details' cancel, pause and resume, on the same service as the page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::{self, Idempotency};
use super::openapi::WriteErrors;
use super::{ApiCaller, ApiError, ApiJson};
use crate::domain::event::Actor;
use crate::domain::ids::SubscriptionId;
use crate::domain::subscription::SubscriptionDetails;
use crate::services::Services;
use crate::services::subscriptions::{SubscriptionError, Target};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSubscriptionBody {
    /// Why; one line of at most 200 characters.
    #[schema(example = "Too expensive")]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// The day billing may resume (YYYY-MM-DD, after today); absent or null: until resumed.
    #[schema(example = "2026-03-01")]
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {}

/// A subscription as the API shows it. Money is integer minor units of `currency`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDetailsView {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub product_id: i64,
    /// `active`, `trial`, `paused`, `cancelled`, `recycling` or `recycle_failed`.
    pub status: &'static str,
    pub option: Option<String>,
    pub quantity: u32,
    pub unit_price: i64,
    /// quantity x unit price (R-CS-6).
    pub price: i64,
    pub currency: &'static str,
    pub cycle_days: u32,
    /// YYYY-MM-DD (UTC); none once cancelled.
    pub next_bill_date: Option<String>,
    /// YYYY-MM-DD (UTC) while paused until a day.
    pub paused_until: Option<String>,
    pub cancel_reason: Option<String>,
    /// RFC 3339.
    pub cancelled_at: Option<String>,
}

impl SubscriptionDetailsView {
    fn of(s: SubscriptionDetails) -> Self {
        Self {
            id: s.id.0,
            order_id: s.order_id.0,
            customer_id: s.customer_id.0,
            product_id: s.product_id.0,
            status: s.status.key(),
            option: s.option,
            quantity: s.quantity,
            unit_price: s.unit_price.amount().get(),
            price: s.price.amount().get(),
            currency: s.price.currency().code(),
            cycle_days: s.cycle_days,
            next_bill_date: s.next_bill_at.map(|at| at.format("%Y-%m-%d").to_string()),
            paused_until: s.paused_until.map(|at| at.format("%Y-%m-%d").to_string()),
            cancel_reason: s.cancel_reason,
            cancelled_at: s.cancelled_at.map(|at| at.to_rfc3339()),
        }
    }
}

fn target(path: &str) -> Result<Target, ApiError> {
    path.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(|id| Target::any(SubscriptionId(id)))
        .ok_or_else(ApiError::not_found)
}

fn refused(e: SubscriptionError) -> ApiError {
    match e {
        SubscriptionError::Invalid(errors) => ApiError::from(errors),
        other => other.into(),
    }
}

/// One call on the path's subscription: made once per Idempotency-Key, answered with the
/// subscription as it now is, refusals as 4xx.
async fn act<B>(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<B>,
    call: impl AsyncFnOnce(
        &Services,
        &Actor,
        Target,
        B,
    ) -> Result<SubscriptionDetails, SubscriptionError>,
) -> Result<HttpResponse, ApiError> {
    let target = target(&path)?;
    let (body, raw) = body.into_parts();
    let (services, caller, idem) = (&services, &caller, &idempotency);
    idempotency::run(services, caller, idem, &raw, || async move {
        let done = call(services, &caller.actor(), target, body)
            .await
            .map_err(refused)?;
        Ok((StatusCode::OK, SubscriptionDetailsView::of(done)))
    })
    .await
}

/// Cancels a subscription: it bills no more. 409 when it is cancelled already; 422 without a
/// reason.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/{id}/cancel",
    operation_id = "cancel_subscription",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The subscription to cancel"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer."),
    ),
    request_body = CancelSubscriptionBody,
    responses((status = 200, description = "The subscription as cancelled", body = SubscriptionDetailsView), WriteErrors),
)]
pub async fn cancel(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<CancelSubscriptionBody>,
) -> Result<HttpResponse, ApiError> {
    act(
        caller,
        idempotency,
        services,
        path,
        body,
        async |services, actor, target, body| {
            services
                .subscriptions
                .cancel(actor, target, &body.reason)
                .await
        },
    )
    .await
}

/// Pauses an active subscription or one in its trial: nothing is billed until `until` (the day
/// it resumes on its own), or until it is resumed. 409 when it is cancelled or paused already;
/// 422 for a day that is not after today.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/{id}/pause",
    operation_id = "pause_subscription",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The subscription to pause"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer."),
    ),
    request_body = PauseBody,
    responses((status = 200, description = "The subscription as paused", body = SubscriptionDetailsView), WriteErrors),
)]
pub async fn pause(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<PauseBody>,
) -> Result<HttpResponse, ApiError> {
    act(
        caller,
        idempotency,
        services,
        path,
        body,
        async |services, actor, target, body| {
            services
                .subscriptions
                .pause(actor, target, body.until.as_deref())
                .await
        },
    )
    .await
}

/// Resumes a paused subscription: back to active (or its trial), billing next on its date, or at
/// once if that passed during the pause. 409 when it is not paused or is cancelled.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/{id}/resume",
    operation_id = "resume_subscription",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The subscription to resume"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer."),
    ),
    request_body = ResumeBody,
    responses((status = 200, description = "The subscription as resumed", body = SubscriptionDetailsView), WriteErrors),
)]
pub async fn resume(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<ResumeBody>,
) -> Result<HttpResponse, ApiError> {
    act(
        caller,
        idempotency,
        services,
        path,
        body,
        async |services, actor, target, _| services.subscriptions.resume(actor, target).await,
    )
    .await
}
