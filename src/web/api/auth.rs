//! The `Access::ApiKey` rule: a route with it runs only for a request carrying
//! `Authorization: Bearer <key>` of a live key. No session is read and no CSRF token asked for:
//! the key is the credential, and a browser never sends it by itself, so a session cookie (which
//! it does send) authenticates nothing here.

use std::future::{Ready, ready};

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError};

use super::{ApiCall, ApiError};
use crate::domain::event::Actor;
use crate::domain::ids::ApiKeyId;
use crate::services::Services;

/// The caller of an API route: the key its request came with, and the address it came from.
/// Extract it in a handler to attribute what the call changes: `caller.actor()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub key_id: ApiKeyId,
    /// The key's name, as the event log shows the actor ("API key Checkout page").
    pub name: String,
    pub ip: Option<String>,
}

impl ApiCaller {
    /// A caller built by hand, for calling a handler's building blocks directly (tests, tools).
    pub fn new(key_id: ApiKeyId, name: impl Into<String>, ip: Option<String>) -> Self {
        Self {
            key_id,
            name: name.into(),
            ip,
        }
    }

    /// The event log's actor for what this call changes: the key, by name, and the address.
    pub fn actor(&self) -> Actor {
        Actor::api_key(self.key_id, &self.name, self.ip.as_deref())
    }
}

/// Only routes with the `ApiKey` rule have a caller; anywhere else this answers 401.
impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<ApiCaller>()
                .cloned()
                .ok_or_else(|| ApiError::unauthorized(NO_KEY)),
        )
    }
}

const NO_KEY: &str = "Send your API key in the header Authorization: Bearer <key>.";
const BAD_KEY: &str = "This API key is not valid: it is mistyped, or it has been revoked.";

/// Route middleware of the `ApiKey` rule: the key is checked, and the caller handed to the
/// handler, before anything of the request is read.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    req.extensions_mut().insert(ApiCall);
    let Some(services) = req.app_data::<Data<Services>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("services missing")));
    };
    let Some(presented) = bearer(&req) else {
        return Ok(refuse(req, NO_KEY));
    };
    let holder = match services.api_keys.authenticate(&presented).await {
        Ok(Some(holder)) => holder,
        Ok(None) => return Ok(refuse(req, BAD_KEY)),
        Err(e) => return Ok(req.error_response(ApiError::from(e))),
    };
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    req.extensions_mut().insert(ApiCaller {
        key_id: holder.id,
        name: holder.name,
        ip,
    });
    next.call(req).await
}

fn refuse(req: ServiceRequest, message: &str) -> ServiceResponse<BoxBody> {
    req.into_response(ApiError::unauthorized(message).error_response())
}

/// The key of `Authorization: Bearer <key>` (the scheme in any case).
fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim().to_owned())
}
