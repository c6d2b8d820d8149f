//! `Idempotency-Key` on every API POST (SPEC 4.7): the same key and request replay the first
//! answer, byte for byte, and run nothing; the same key with another request is refused (422).
//! The rule itself lives in `ApiKeyService::idempotent`; this is its HTTP side.
//!
//! ```ignore
//! pub async fn create(
//!     caller: ApiCaller,
//!     idempotency: Idempotency,
//!     body: ApiJson<NewOrderBody>,
//!     services: web::Data<Services>,
//! ) -> Result<HttpResponse, ApiError> {
//!     let (order, raw) = body.into_parts();
//!     // References are Copy: the `async move` block takes them and the owned body.
//!     let (services, caller) = (&services, &caller);
//!     idempotency::run(services, caller, &idempotency, &raw, || async move {
//!         let placed = services.orders.place(&caller.actor(), order.into_draft()?).await?;
//!         Ok((StatusCode::CREATED, OrderView::of(placed)))
//!     })
//!     .await
//! }
//! ```

use std::future::{Future, Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::{ApiCaller, ApiError, json_response};
use crate::domain::api_key::{IdempotencyKey, request_fingerprint};
use crate::services::Services;
use crate::services::api_keys::Answer;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";
/// Set on an answer that is the stored answer of an earlier request with the same key.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// A request's `Idempotency-Key` (when it sent one) and what the key is bound to: its method
/// and path. A key that is not 1 to 255 printable ASCII characters is refused with 422.
#[derive(Debug, Clone)]
pub struct Idempotency {
    key: Option<IdempotencyKey>,
    method: String,
    path: String,
}

impl Idempotency {
    /// For calling [`run`] directly (tests, tools).
    pub fn new(key: Option<IdempotencyKey>, method: &str, path: &str) -> Self {
        Self {
            key,
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }

    /// The key, when the client sent one: with the API key it names the request for good, so
    /// work that reaches a gateway can derive its own idempotency keys from it.
    pub fn key(&self) -> Option<&IdempotencyKey> {
        self.key.as_ref()
    }

    /// The key the request's gateway calls derive theirs from: the same API key and
    /// `Idempotency-Key` always name the same charges and reversals (R-OR-6, R-EN-6).
    pub fn gateway_key(&self, caller: &ApiCaller) -> Option<String> {
        self.key
            .as_ref()
            .map(|key| format!("api:{}:{}", caller.key_id, key.as_str()))
    }
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut sent = req.headers().get_all(HEADER);
        let key = match (sent.next(), sent.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => IdempotencyKey::parse(value.as_bytes())
                .map(Some)
                .map_err(|e| e.to_string()),
            (Some(_), Some(_)) => Err("Send one Idempotency-Key header, not several.".to_owned()),
        };
        ready(match key {
            Ok(key) => Ok(Self::new(key, req.method().as_str(), req.path())),
            Err(message) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_idempotency_key",
                format!("The Idempotency-Key header is not valid: {message}"),
            )
            .field(HEADER, message)),
        })
    }
}

/// Runs `work` for the request `body` at most once per `Idempotency-Key` of the caller and
/// answers with its JSON (`(status, value)`), or its error.
///
/// - no key: `work` runs; its answer or error goes back as it is;
/// - a new key: the key is claimed, `work` runs, and its answer (an error below 500 too) is
///   stored and sent;
/// - the key of a finished request with the same method, path and body: the stored answer
///   again, same status and bytes, with `Idempotent-Replayed: true`; `work` does not run;
/// - the key of a request still running: waits for it (up to 10 s) and replays it, else 409
///   `idempotency_key_in_progress`;
/// - the key of another request: 422 `idempotency_key_reused`;
/// - `work` failing with 500 or more: nothing is stored, so a retry with the key runs again.
pub async fn run<T, F, Fut>(
    services: &Services,
    caller: &ApiCaller,
    idempotency: &Idempotency,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let Some(key) = idempotency.key() else {
        let (status, value) = work().await?;
        return json_response(status, &value);
    };
    let fingerprint = request_fingerprint(&idempotency.method, &idempotency.path, body);
    // A server error is not stored; it goes on as an error so it is logged with the request id.
    let mut failure: Option<ApiError> = None;
    let failed = &mut failure;
    let answer = services
        .api_keys
        .idempotent(caller.key_id, key, &fingerprint, || async move {
            match work().await {
                Ok((status, value)) => match serde_json::to_string(&value) {
                    Ok(body) => Answer {
                        status: status.as_u16(),
                        body,
                        replayed: false,
                    },
                    Err(e) => answer_failing(failed, ApiError::internal(e)),
                },
                Err(e) if e.status().is_server_error() => answer_failing(failed, e),
                Err(e) => Answer {
                    status: e.status().as_u16(),
                    body: e.body(),
                    replayed: false,
                },
            }
        })
        .await?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(response_of(answer))
}

fn answer_failing(slot: &mut Option<ApiError>, e: ApiError) -> Answer {
    let answer = Answer {
        status: e.status().as_u16(),
        body: String::new(),
        replayed: false,
    };
    *slot = Some(e);
    answer
}

fn response_of(answer: Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header(ContentType::json());
    if answer.replayed {
        response.insert_header((REPLAYED_HEADER, "true"));
    }
    response.body(answer.body)
}
