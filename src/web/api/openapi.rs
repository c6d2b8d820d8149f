//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! attributes and the types they name, served at `GET /api/v1/openapi.json`. A test checks that
//! every route of the table with the `ApiKey` rule is in it with its method.
//!
//! Adding an endpoint: give its handler `#[utoipa::path(post, path = "/api/v1/orders", ...,
//! responses((status = 201, body = OrderView), WriteErrors))]` and name it in `paths(...)` below.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::ErrorBody;

/// The name of the security scheme every operation requires.
pub const SECURITY_SCHEME: &str = "api_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recoup order API",
        version = "1",
        description = "Campaigns, orders and upsales for checkout pages and integrations. \
            Authenticate with `Authorization: Bearer <key>` (keys are made on the Admin > API keys \
            page or with `recoup api-key create`). Amounts are integer minor units of the \
            currency named beside them. Every POST accepts an `Idempotency-Key` header. Errors \
            answer `{\"error\": {\"code\", \"message\", \"fields\"}}`."
    ),
    paths(
        super::campaigns::list,
        super::orders::create,
        super::orders::show,
        super::orders::upsale,
        super::transactions::refund,
        super::transactions::void,
        super::order_actions::cancel,
        super::orders::rerun,
        super::customers::find,
        super::subscriptions::cancel,
        super::subscriptions::pause,
        super::subscriptions::resume,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerKey),
    security(("api_key" = [])),
)]
pub struct ApiDoc;

/// The bearer scheme the `security` requirement above names.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rcp_<prefix>_<secret>")
                    .description(Some("An API key from the Admin > API keys page."))
                    .build(),
            ),
        );
    }
}

/// The error answers of an API `GET`.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only its OpenAPI description is used")]
pub enum ReadErrors {
    /// No key, or a key that is not valid or has been revoked.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// No such record.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The server is busy; nothing was changed. Retry after the `Retry-After` seconds.
    #[response(status = 503)]
    Busy(ErrorBody),
}

/// The error answers of an API `POST` with a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code, reason = "only its OpenAPI description is used")]
pub enum WriteErrors {
    /// The body is not JSON.
    #[response(status = 400)]
    MalformedJson(ErrorBody),
    /// No key, or a key that is not valid or has been revoked.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// No such record.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The current state forbids it, or the first request with this `Idempotency-Key` is
    /// still running.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The body is larger than 64 KiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body is not declared `application/json`.
    #[response(status = 415)]
    NotJson(ErrorBody),
    /// Invalid input: `fields` names each field by its path (`customer.email`,
    /// `items[0].quantity`); or an `Idempotency-Key` reused for another request.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// The server is busy; nothing was changed. Retry after the `Retry-After` seconds.
    #[response(status = 503)]
    Busy(ErrorBody),
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!(r#"{{"error": "the document could not be built: {e}"}}"#))
    });
    JSON.as_str()
}

/// `GET /api/v1/openapi.json`: public, so tools can read it before they have a key.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(document_json())
}
