//! The order endpoints of SPEC 4.7: `POST /api/v1/orders` (a new sale), `GET
//! /api/v1/orders/{id}` and `POST /api/v1/orders/{id}/upsales`. They call the same sale service
//! as the order entry page. A card number or CVV in a body goes to the gateway and nowhere else.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::{self, Idempotency};
use super::openapi::{ReadErrors, WriteErrors};
use super::{ApiCaller, ApiError, ApiJson, json_response};
use crate::domain::ids::OrderId;
use crate::domain::order::{
    AddressDraft, CardDraft, CustomerDraft, ItemDraft, OrderDetails, SaleDraft,
};
use crate::services::Services;
use crate::services::orders::SaleError;

/// A new sale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderBody {
    #[schema(example = 1)]
    pub campaign_id: i64,
    pub customer: CustomerBody,
    pub card: CardBody,
    /// 1 to 20 lines.
    pub items: Vec<ItemBody>,
    /// The customer's IP address; a cascade to FlexFactor needs it.
    #[schema(example = "203.0.113.7")]
    pub ip_address: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    #[schema(example = "Ada")]
    pub first_name: String,
    #[schema(example = "Lovelace")]
    pub last_name: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "+1 555 010 7788")]
    pub phone: Option<String>,
    pub address: Option<AddressBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    #[schema(example = "1 Main St")]
    pub line1: String,
    pub line2: Option<String>,
    #[schema(example = "Springfield")]
    pub city: String,
    pub state: Option<String>,
    #[schema(example = "12345")]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub country: String,
}

/// The card, used for this sale only: Recoup keeps the gateway's token, brand, type, first 6,
/// last 4 and expiry, never the number or the CVV.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardBody {
    #[schema(example = "4111111111111111")]
    pub number: String,
    #[schema(example = 12)]
    pub exp_month: i64,
    #[schema(example = 2030)]
    pub exp_year: i64,
    #[schema(example = "123")]
    pub cvv: String,
}

impl std::fmt::Debug for CardBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardBody { .. }")
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    #[schema(example = 1)]
    pub product_id: i64,
    /// 1 to 1,000.
    #[schema(example = 1)]
    pub quantity: i64,
    /// One of the product's options, by name.
    pub option: Option<String>,
}

/// More items for an approved new sale, charged to its card on its MID.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsaleBody {
    pub items: Vec<ItemBody>,
}

fn items(items: &[ItemBody]) -> Vec<ItemDraft> {
    items
        .iter()
        .map(|i| ItemDraft {
            product_id: i.product_id,
            quantity: i.quantity,
            option: i.option.clone(),
        })
        .collect()
}

impl NewOrderBody {
    fn draft(&self) -> SaleDraft {
        let c = &self.customer;
        SaleDraft {
            campaign_id: self.campaign_id,
            customer: CustomerDraft {
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                email: c.email.clone(),
                phone: c.phone.clone().unwrap_or_default(),
                address: c.address.as_ref().map(|a| AddressDraft {
                    line1: a.line1.clone(),
                    line2: a.line2.clone().unwrap_or_default(),
                    city: a.city.clone(),
                    state: a.state.clone().unwrap_or_default(),
                    postal_code: a.postal_code.clone(),
                    country: a.country.clone(),
                }),
            },
            card: CardDraft {
                number: self.card.number.clone(),
                exp_month: self.card.exp_month.to_string(),
                exp_year: self.card.exp_year.to_string(),
                cvv: self.card.cvv.clone(),
            },
            card_on_file: None,
            items: items(&self.items),
            ip_address: self.ip_address.clone(),
        }
    }
}

/// An order as the API shows it. Amounts are minor units of `currency`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(example = 1042)]
    pub id: i64,
    /// pending, complete, declined, partial, refunded or cancelled.
    #[schema(example = "complete")]
    pub status: &'static str,
    /// new_sale, upsale or recurring.
    #[serde(rename = "type")]
    #[schema(example = "new_sale")]
    pub kind: &'static str,
    pub parent_order_id: Option<i64>,
    pub customer_id: i64,
    pub campaign_id: i64,
    #[schema(example = "USD")]
    pub currency: &'static str,
    #[schema(example = 4197)]
    pub total: i64,
    pub items: Vec<ItemView>,
    pub transactions: Vec<TransactionView>,
    pub subscriptions: Vec<SubscriptionView>,
    /// How the sale was routed: each MID tried, each decline, each skip and its reason.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub product_id: i64,
    pub name: String,
    pub option: Option<String>,
    pub quantity: u32,
    pub unit_price: i64,
    /// quantity x unit price.
    pub price: i64,
    /// What was charged now: the trial price x quantity for a trial.
    pub charged: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionView {
    pub id: i64,
    /// sale, auth, capture, refund or void.
    pub kind: &'static str,
    pub amount: i64,
    pub mid_id: i64,
    /// approved, declined or error.
    pub result: &'static str,
    pub response_code: String,
    pub response_text: String,
    /// soft or hard, for a decline.
    pub decline_class: Option<&'static str>,
    pub settled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub product_id: i64,
    /// active, trial, paused, cancelled, recycling or recycle_failed.
    pub status: &'static str,
    /// What each cycle bills, in minor units.
    pub price: i64,
    /// YYYY-MM-DD (UTC).
    pub next_bill_date: Option<String>,
}

impl OrderView {
    fn of(d: OrderDetails, now: chrono::DateTime<chrono::Utc>) -> Self {
        let minor = |m: crate::domain::money::Money| m.amount().get();
        Self {
            id: d.order.id.0,
            status: d.order.status.key(),
            kind: d.order.kind.key(),
            parent_order_id: d.order.parent_order_id.map(|o| o.0),
            customer_id: d.order.customer_id.0,
            campaign_id: d.order.campaign_id.0,
            currency: d.order.total.currency().code(),
            total: minor(d.order.total),
            items: d
                .items
                .into_iter()
                .map(|i| ItemView {
                    product_id: i.product_id.0,
                    name: i.product_name,
                    option: i.option,
                    quantity: i.quantity,
                    unit_price: minor(i.unit_price),
                    price: minor(i.price),
                    charged: minor(i.charged),
                })
                .collect(),
            transactions: d
                .transactions
                .into_iter()
                .map(|t| TransactionView {
                    id: t.id.0,
                    kind: t.kind.key(),
                    amount: minor(t.amount),
                    mid_id: t.mid_id.0,
                    result: t.result.key(),
                    settled: t.settled(now),
                    response_code: t.response_code,
                    response_text: t.response_text,
                    decline_class: t.decline_class.map(|c| c.key()),
                })
                .collect(),
            subscriptions: d
                .subscriptions
                .into_iter()
                .map(|s| SubscriptionView {
                    id: s.id.0,
                    product_id: s.product_id.0,
                    status: s.status.key(),
                    price: minor(s.price),
                    next_bill_date: s.next_bill_at.map(|at| at.format("%Y-%m-%d").to_string()),
                })
                .collect(),
            notes: d.notes.into_iter().map(|n| n.body).collect(),
        }
    }
}

/// The sale service's refusals as the API answers them: invalid input names its fields.
fn refused(e: SaleError) -> ApiError {
    match e {
        SaleError::Invalid(errors) => errors.into(),
        other => other.into(),
    }
}

async fn view(services: &Services, id: OrderId) -> Result<OrderView, ApiError> {
    let details = services.orders.details(id).await.map_err(refused)?;
    Ok(OrderView::of(details, services.orders.now()))
}

/// Places a new sale. Answers 201 with the order whether the card was approved or declined.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    operation_id = "create_order",
    tag = "orders",
    request_body = NewOrderBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key and body; charges once.")),
    responses(
        (status = 201, description = "The order, approved or declined", body = OrderView),
        WriteErrors,
    ),
)]
pub async fn create(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    body: ApiJson<NewOrderBody>,
) -> Result<HttpResponse, ApiError> {
    let (order, raw) = body.into_parts();
    let (services, caller) = (&services, &caller);
    let key = idempotency.gateway_key(caller);
    idempotency::run(services, caller, &idempotency, &raw, || async move {
        let id = services
            .orders
            .place(&caller.actor(), &order.draft(), key.as_deref())
            .await
            .map_err(refused)?;
        Ok((StatusCode::CREATED, view(services, id).await?))
    })
    .await
}

fn order_id(raw: &str) -> Result<OrderId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(OrderId)
        .ok_or_else(ApiError::not_found)
}

/// One order with its items, transactions, subscriptions and routing notes.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    operation_id = "get_order",
    tag = "orders",
    params(("id" = i64, Path, description = "The order's id")),
    responses((status = 200, description = "The order", body = OrderView), ReadErrors),
)]
pub async fn show(
    _caller: ApiCaller,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = order_id(&path)?;
    json_response(StatusCode::OK, &view(&services, id).await?)
}

/// An upsale: more items charged to an approved new sale's card on the MID that took it; never
/// cascaded (R-OR-5). Answers 201 with the upsale order, approved or declined.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/upsales",
    operation_id = "create_upsale",
    tag = "orders",
    params(
        ("id" = i64, Path, description = "The approved new sale"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key and body; charges once."),
    ),
    request_body = UpsaleBody,
    responses(
        (status = 201, description = "The upsale order, approved or declined", body = OrderView),
        WriteErrors,
    ),
)]
pub async fn upsale(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<UpsaleBody>,
) -> Result<HttpResponse, ApiError> {
    let parent = order_id(&path)?;
    let (upsale, raw) = body.into_parts();
    let (services, caller) = (&services, &caller);
    let key = idempotency.gateway_key(caller);
    idempotency::run(services, caller, &idempotency, &raw, || async move {
        let id = services
            .orders
            .upsale(
                &caller.actor(),
                parent,
                &items(&upsale.items),
                key.as_deref(),
            )
            .await
            .map_err(refused)?;
        Ok((StatusCode::CREATED, view(services, id).await?))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RerunBody {
    /// The MID to charge on, chosen directly: an enabled gateway MID in the order's currency.
    #[schema(example = 2)]
    pub mid_id: i64,
}

/// Reruns a declined new sale on the MID named (R-EN-5): no ATRI profile, no cascade. Answers
/// 200 with the order, approved (complete) or declined again; 409 for an order that is not a
/// declined new sale (upsales are never rerun), 422 for a MID that cannot take it.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/rerun",
    operation_id = "rerun_order",
    tag = "customer service",
    params(
        ("id" = i64, Path, description = "The declined new sale"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer; charges once."),
    ),
    request_body = RerunBody,
    responses((status = 200, description = "The order after the rerun", body = OrderView), WriteErrors),
)]
pub async fn rerun(
    caller: ApiCaller,
    idempotency: Idempotency,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: ApiJson<RerunBody>,
) -> Result<HttpResponse, ApiError> {
    let id = order_id(&path)?;
    let (rerun, raw) = body.into_parts();
    let (services, caller) = (&services, &caller);
    let key = idempotency.gateway_key(caller);
    idempotency::run(services, caller, &idempotency, &raw, || async move {
        services
            .orders
            .rerun(
                &caller.actor(),
                id,
                crate::domain::ids::MidId(rerun.mid_id),
                key.as_deref(),
            )
            .await
            .map_err(refused)?;
        Ok((StatusCode::OK, view(services, id).await?))
    })
    .await
}
