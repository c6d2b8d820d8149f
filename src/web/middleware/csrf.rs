//! The CSRF check of every state-changing request (SPEC R-AU-3): the browser must say the request
//! comes from the portal's own origin, and the request must carry the session's synchronizer
//! token (`X-CSRF-Token` header from htmx, or the `csrf_token` form field).

use actix_session::SessionExt;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use super::context::error_page;
use crate::web::page::CSRF_KEY;

/// The scheme, host and port the portal is served from, as a browser writes it in `Origin`
/// (`https://portal.example.com`, `http://127.0.0.1:8080`). Requests whose `Origin` is anything
/// else are refused; the `Host` and `X-Forwarded-Host` headers are never consulted.
#[derive(Debug, Clone)]
pub struct PublicOrigin(Vec<String>);

impl PublicOrigin {
    /// `origins` are serialized origins (scheme://host[:port], default port left out).
    pub fn new(origins: Vec<String>) -> Self {
        Self(origins)
    }

    fn accepts(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }
}

/// Largest form body read for the CSRF check; larger posts are refused.
const MAX_FORM_BYTES: usize = 1 << 20;

/// Passes safe methods through; for the others checks origin and token and hands back a request
/// whose body can be read again, or the 403 that stops it.
pub(super) async fn check_csrf(req: ServiceRequest) -> Result<ServiceRequest, ServiceResponse> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    let expected = req
        .get_session()
        .get::<String>(CSRF_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    let (http, payload) = req.into_parts();
    let (ok, body) = token_and_origin_ok(&http, payload, &expected).await;
    if !ok {
        tracing::warn!(path = %http.path(), "CSRF check failed");
        let page = error_page(&http, StatusCode::FORBIDDEN);
        return Err(ServiceResponse::new(http, page));
    }
    Ok(ServiceRequest::from_parts(http, Payload::from(body)))
}

async fn token_and_origin_ok(
    req: &HttpRequest,
    mut payload: Payload,
    expected: &str,
) -> (bool, Bytes) {
    if !same_origin(req) {
        return (false, Bytes::new());
    }
    let header_token = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return (false, Bytes::new());
        };
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return (false, Bytes::new());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = header_token.or_else(|| {
        let is_form = req.content_type() == "application/x-www-form-urlencoded";
        let fields: Vec<(String, String)> = if is_form {
            serde_urlencoded::from_bytes(&body).unwrap_or_default()
        } else {
            Vec::new()
        };
        fields
            .into_iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v)
    });
    let ok = token.is_some_and(|t| {
        !expected.is_empty() && bool::from(t.as_bytes().ct_eq(expected.as_bytes()))
    });
    (ok, body)
}

/// A browser that says where a request comes from must say it comes from here: `Sec-Fetch-Site`
/// (when sent) is exactly `same-origin`, and `Origin` (when sent) is exactly the public origin,
/// scheme and port included. Clients that send neither rely on the token alone.
fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("Sec-Fetch-Site")
        && site.as_bytes() != b"same-origin"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(public) = req.app_data::<Data<PublicOrigin>>() else {
        return false;
    };
    origin.to_str().is_ok_and(|o| public.accepts(o))
}
