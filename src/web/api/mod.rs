//! The JSON order API (SPEC 4.7): the platform its handlers stand on. A route of the table with
//! the `Access::ApiKey` rule is called with `Authorization: Bearer <key>` and never with a
//! session; its handler takes the caller ([`ApiCaller`]), a JSON body ([`ApiJson`]) and the
//! `Idempotency-Key` ([`idempotency::Idempotency`]) as extractors and answers JSON or an
//! [`ApiError`], which every failure on an API route becomes:
//! `{"error": {"code", "message", "fields": {"customer.email": "..."}}}`.

pub mod auth;
pub mod campaigns;
pub mod customers;
pub mod idempotency;
mod json;
pub mod openapi;
pub mod order_actions;
pub mod orders;
pub mod subscriptions;
pub mod transactions;

use std::collections::BTreeMap;
use std::fmt;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{StatusCode, header::ContentType};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldErrors;
use crate::services::{ErrorClass, ServiceError, Unexpected};

pub use auth::ApiCaller;
pub use json::{ApiJson, parse_json};

/// The largest request body the API reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Marks a request routed to an API route, so that any error it ends in is answered as JSON
/// (`request_context` asks [`error_json`]).
#[derive(Debug, Clone, Copy)]
pub struct ApiCall;

/// The body of every error answer of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code` to branch on, a `message` for people, and for invalid input
/// the message of each field by its path in the request body (`customer.email`,
/// `items[0].quantity`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "invalid")]
    pub code: String,
    #[schema(example = "Some fields are not valid: customer.email.")]
    pub message: String,
    #[schema(example = json!({"customer.email": "Enter a valid email address, like name@example.com."}))]
    pub fields: BTreeMap<String, String>,
}

/// An error answer of the API. Build one from a status and code, from a service error (its class
/// decides the status, its code and message are kept), or from field errors.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: BTreeMap<String, String>,
    /// For the log only, never the client: what failed inside.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            cause: None,
        }
    }

    /// 422 with no field named yet; add them with [`ApiError::field`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// Adds the message of a field, by its path in the request (`items[0].quantity`).
    pub fn field(mut self, path: impl Into<String>, message: impl Into<String>) -> Self {
        self.fields.insert(path.into(), message.into());
        self
    }

    /// The fields of a form-style check, each prefixed (`"customer."` turns `email` into
    /// `customer.email`; `""` keeps them as they are).
    pub fn fields_from(mut self, prefix: &str, errors: &FieldErrors) -> Self {
        for e in errors.iter() {
            self.fields
                .entry(format!("{prefix}{}", e.field))
                .or_insert_with(|| e.message.clone());
        }
        self
    }

    pub fn malformed_json(detail: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("The body is not valid JSON: {detail}."),
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is nothing at this address of the API.",
        )
    }

    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("The body is larger than {} KiB.", BODY_LIMIT / 1024),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.",
        )
    }

    /// 500: the cause goes to the log with the request id, never to the client.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side; it was not caused by the request and has been logged.",
            )
        }
    }

    /// The generic error of a status, for failures that carry no error of the API (a path
    /// segment that is no number, a method the route does not take).
    pub fn of_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "The request could not be read."),
            StatusCode::UNAUTHORIZED => ("unauthorized", "Send a live API key."),
            StatusCode::FORBIDDEN => ("forbidden", "This key may not do that."),
            StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address of the API."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This address of the API does not take that method.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "The body is too large."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "Send the body as JSON.")
            }
            StatusCode::SERVICE_UNAVAILABLE => (
                "busy",
                "The server is busy. Nothing was changed; try again shortly.",
            ),
            s if s.is_client_error() => ("bad_request", "The request could not be handled."),
            _ => return Self::internal(format!("answered {status} with no API error")),
        };
        Self::new(status, code, message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// The JSON body, exactly as it is sent.
    pub fn body(&self) -> String {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                fields: self.fields.clone(),
            },
        };
        serde_json::to_string(&body).unwrap_or_else(|_| {
            r#"{"error":{"code":"internal","message":"Something went wrong.","fields":{}}}"#
                .to_owned()
        })
    }

    /// A server error names the request id the log has, so support can find it.
    fn with_request_id(mut self, request_id: &str) -> Self {
        if self.status.is_server_error() {
            self.message = format!("{} Request id: {request_id}.", self.message);
        }
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.code),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header(ContentType::json());
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response.insert_header((
                    header::RETRY_AFTER,
                    HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
                ));
            }
            _ => {}
        }
        response.body(self.body())
    }
}

/// A service error keeps its code and message; its class decides the status. Field messages of
/// an `Invalid(FieldErrors)` variant are added by the handler with [`ApiError::fields_from`]
/// (only it knows where in the body each field sits).
impl<E: ServiceError> From<E> for ApiError {
    fn from(e: E) -> Self {
        let status = match e.class() {
            ErrorClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorClass::Forbidden => StatusCode::FORBIDDEN,
            ErrorClass::NotFound => StatusCode::NOT_FOUND,
            ErrorClass::Conflict => StatusCode::CONFLICT,
            ErrorClass::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorClass::Unexpected => return ApiError::internal(cause_chain(&e)),
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<Unexpected> for ApiError {
    fn from(e: Unexpected) -> Self {
        ApiError::internal(cause_chain(&e))
    }
}

/// 422 naming each field as the check named it.
impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        let names: Vec<&str> = errors.iter().map(|e| e.field).collect();
        ApiError::invalid(format!("Some fields are not valid: {}.", names.join(", ")))
            .fields_from("", &errors)
    }
}

fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The JSON to answer with in place of a failed response, when the request was an API call or
/// failed with an [`ApiError`]; `None` leaves the response to the page machinery.
pub fn error_json(res: &ServiceResponse, request_id: &str) -> Option<HttpResponse> {
    let error = res.response().error()?;
    let api = match error.as_error::<ApiError>() {
        Some(api) => ApiError {
            status: api.status,
            code: api.code,
            message: api.message.clone(),
            fields: api.fields.clone(),
            cause: None,
        },
        None if res.request().extensions().get::<ApiCall>().is_some() => {
            ApiError::of_status(res.status())
        }
        None => return None,
    };
    Some(api.with_request_id(request_id).error_response())
}

/// The answer to a path under `/api/` that no route takes: JSON, not the portal's 404 page.
pub async fn not_found_or_page(req: HttpRequest) -> HttpResponse {
    // The path as the router decoded it, so `/%61pi/...` is an API path too.
    if req.match_info().as_str().starts_with("/api/") {
        ApiError::not_found().error_response()
    } else {
        super::home::not_found(req).await
    }
}

/// The answer of an API path to a method its routes do not take; `allow` lists those they do.
pub fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = ApiError::of_status(StatusCode::METHOD_NOT_ALLOWED).error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A success answer: `value` as JSON with `status`.
pub fn json_response<T: Serialize>(
    status: StatusCode,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_string(value).map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header(ContentType::json())
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_documented_shape() {
        let e = ApiError::invalid("Some fields are not valid: customer.email.")
            .field("customer.email", "Enter a valid email address.");
        let body: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(body["error"]["code"], "invalid");
        assert_eq!(
            body["error"]["fields"]["customer.email"],
            "Enter a valid email address."
        );
        let internal = ApiError::internal("db down").with_request_id("abc");
        assert!(!internal.body().contains("db down"));
        assert!(internal.body().contains("Request id: abc"));
    }

    #[test]
    fn service_errors_answer_by_their_class() {
        use crate::services::api_keys::{ApiKeyError, IdempotencyError};
        assert_eq!(ApiError::from(ApiKeyError::NotFound).status.as_u16(), 404);
        assert_eq!(
            ApiError::from(ApiKeyError::AlreadyRevoked).status.as_u16(),
            409
        );
        let reused = ApiError::from(IdempotencyError::KeyReused);
        assert_eq!(
            (reused.status.as_u16(), reused.code),
            (422, "idempotency_key_reused")
        );
        let unexpected = ApiError::from(Unexpected::Config("secret detail".into()));
        assert_eq!(unexpected.status.as_u16(), 500);
        assert!(!unexpected.body().contains("secret detail"));
        assert!(
            unexpected.to_string().contains("secret detail"),
            "the log keeps the cause"
        );
    }
}
