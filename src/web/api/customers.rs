//! `GET /api/v1/customers?email=&phone=&last4=` (SPEC 4.7): the customer-service lookup, by
//! any of an email, a phone number as stored, or a card's last 4 digits.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ReadErrors;
use super::{ApiCaller, ApiError, json_response};
use crate::domain::order::{CustomerLookup, LOOKUP_LIMIT};
use crate::services::Services;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
pub struct LookupQuery {
    /// The customer's email.
    email: String,
    /// The phone number as the customer gave it.
    phone: String,
    /// The last 4 digits of a card on file.
    last4: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    /// Newest first, at most 50.
    pub customers: Vec<CustomerView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub blacklisted: bool,
    /// The cards on file, as "Visa …1111".
    pub cards: Vec<String>,
}

/// Customers matching every filter given (at least one).
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    operation_id = "find_customers",
    tag = "customer service",
    params(LookupQuery),
    responses(
        (status = 200, description = "The matching customers", body = CustomerList),
        (status = 422, description = "No filter, or a last 4 that is not 4 digits", body = super::ErrorBody),
        ReadErrors,
    ),
)]
pub async fn find(
    _caller: ApiCaller,
    services: web::Data<Services>,
    query: Result<web::Query<LookupQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let query = query
        .map_err(|e| ApiError::invalid(format!("The query is not valid: {e}.")))?
        .into_inner();
    let lookup = CustomerLookup::parse(&query.email, &query.phone, &query.last4)?;
    let found = services.orders.find_customers(&lookup).await?;
    let customers = found
        .into_iter()
        .take(LOOKUP_LIMIT)
        .map(|(c, cards)| CustomerView {
            id: c.id.0,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            blacklisted: c.blacklisted,
            cards,
        })
        .collect();
    json_response(StatusCode::OK, &CustomerList { customers })
}
