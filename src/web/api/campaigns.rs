//! `GET /api/v1/campaigns`: the campaigns on sale and their products on sale, which is what a
//! checkout page needs to build an order.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::ReadErrors;
use super::{ApiCaller, ApiError, json_response};
use crate::domain::catalogue::{Campaign, StoredProduct};
use crate::services::Services;

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

/// A campaign on sale. Every amount is in its currency, in minor units (cents for USD).
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "Demo Store")]
    pub name: String,
    /// ISO 4217 code.
    #[schema(example = "USD")]
    pub currency: &'static str,
    /// In the order the campaign offers them.
    pub products: Vec<ProductView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "Vitamin C, monthly")]
    pub name: String,
    #[schema(example = "VITC-30")]
    pub sku: String,
    /// The unit price in minor units.
    #[schema(example = 2999)]
    pub price: i64,
    /// The first charge of a recurring product with a trial; `null` without one.
    pub trial: Option<TrialView>,
    /// Days between charges of a recurring product; `null` for a one-off product.
    #[schema(example = 30)]
    pub billing_cycle_days: Option<u32>,
    /// Variants an order item may name in `option`; each at `price` unless it has its own.
    pub options: Vec<OptionView>,
    pub shippable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrialView {
    #[schema(example = 14)]
    pub days: u32,
    /// What the trial charges now, in minor units (0 for a free trial).
    #[schema(example = 0)]
    pub price: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionView {
    #[schema(example = "Large")]
    pub name: String,
    /// Its own unit price in minor units, or `null` for the product's price.
    pub price: Option<i64>,
}

impl CampaignView {
    fn of(campaign: Campaign, products: Vec<StoredProduct>) -> Self {
        Self {
            id: campaign.id.0,
            name: campaign.name,
            currency: campaign.currency.code(),
            products: products.into_iter().map(ProductView::of).collect(),
        }
    }
}

impl ProductView {
    fn of(stored: StoredProduct) -> Self {
        let p = stored.product;
        Self {
            id: stored.id.0,
            name: p.name,
            sku: p.sku,
            price: p.price.amount().get(),
            trial: p.trial.map(|t| TrialView {
                days: t.days,
                price: t.price.amount().get(),
            }),
            billing_cycle_days: p.cycle_days,
            options: p
                .options
                .into_iter()
                .map(|o| OptionView {
                    name: o.name,
                    price: o.price.map(|m| m.amount().get()),
                })
                .collect(),
            shippable: p.shippable,
        }
    }
}

/// The campaigns that take new sales, each with the products it sells.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    operation_id = "list_campaigns",
    tag = "catalogue",
    responses(
        (status = 200, description = "The campaigns on sale", body = CampaignList),
        ReadErrors,
    ),
)]
pub async fn list(
    _caller: ApiCaller,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let offered = services.catalogue.offered().await?;
    let campaigns = offered
        .into_iter()
        .map(|(campaign, products)| CampaignView::of(campaign, products))
        .collect();
    json_response(StatusCode::OK, &CampaignList { campaigns })
}
