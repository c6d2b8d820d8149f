//! Middleware: request ids and error pages, security headers, and the guard that loads the
//! viewer, enforces the route table's access rules (deny by default) and checks CSRF.

use std::time::Instant;

use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use super::page::{CSRF_KEY, PageCtx, SESSION_TOKEN_KEY, is_htmx, render_status, see_other};
use super::{Access, AccessTable};
use crate::domain::auth::Viewer;
use crate::error::AppError;
use crate::services::{Services, random_token};

/// The id of one request: in the `X-Request-Id` header, every log line and the error page.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Outermost: gives the request an id, logs one line when it ends, and turns error responses
/// into full pages (logging the cause of a 5xx, which the user never sees).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = random_token(8).unwrap_or_else(|_| "unknown".to_owned());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();

    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if let Some(error) = res.response().error() {
        if status.is_server_error() {
            tracing::error!(request_id = %id, error = %error, cause = ?error, "request failed");
        }
        let wants_page = status.is_server_error()
            || matches!(
                status,
                StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            );
        if wants_page && !is_htmx(res.request()) {
            let page = error_page(res.request(), status);
            res = res.into_response(page);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    Ok(res)
}

#[derive(askama::Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    layout: super::page::Layout,
    status: u16,
    heading: &'static str,
    message: &'static str,
    request_id: String,
}

/// The 403, 404 and 500 pages, inside the normal layout so the navigation is still there.
pub fn error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let (heading, message) = match status {
        StatusCode::FORBIDDEN => (
            "You do not have access to this page",
            "Your role does not allow this. Ask an admin if you need it.",
        ),
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. Check the link, or go back to the dashboard.",
        ),
        StatusCode::BAD_REQUEST => (
            "That request could not be understood",
            "Go back, check what you entered and try again.",
        ),
        _ => (
            "Something went wrong on our side",
            "The error has been logged. Try again; if it keeps happening, give support the request id below.",
        ),
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let page = ErrorPage {
        layout: PageCtx::of(req).bare_layout(heading),
        status: status.as_u16(),
        heading,
        message,
        request_id,
    };
    render_status(status, &page).unwrap_or_else(|_| HttpResponse::build(status).body(heading))
}

/// Headers every response carries; pages are never cached, static files are.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_static = req.path().starts_with("/static/");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let cache = if is_static {
        "public, max-age=3600"
    } else {
        "no-store"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(res)
}

/// Loads the viewer, applies the route's access rule, then checks CSRF on state-changing methods.
pub async fn csrf_and_access_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(services) = req.app_data::<Data<Services>>().cloned() else {
        return Ok(fail(req, AppError::Session("services missing".into())));
    };
    let session = req.get_session();
    let csrf = match ensure_csrf_token(&session) {
        Ok(csrf) => csrf,
        Err(e) => return Ok(fail(req, e)),
    };
    let viewer = match load_viewer(&services, &session).await {
        Ok(viewer) => viewer,
        Err(e) => return Ok(fail(req, e)),
    };
    if let Some(viewer) = viewer.clone() {
        req.extensions_mut().insert(viewer);
    }

    let access = req.match_pattern().and_then(|pattern| {
        let table = req.app_data::<Data<AccessTable>>()?;
        table
            .get(req.method(), &pattern)
            .or_else(|| pattern.starts_with("/static").then_some(Access::Public))
    });
    if let Some(denied) = check_access(&req, access, viewer.as_ref()) {
        return Ok(req.into_response(denied));
    }

    if !is_safe(req.method()) {
        let (http, payload) = req.into_parts();
        let (ok, body) = csrf_ok(&http, payload, &csrf).await;
        if !ok {
            tracing::warn!(path = %http.path(), "CSRF check failed");
            let page = error_page(&http, StatusCode::FORBIDDEN);
            return Ok(ServiceResponse::new(http, page));
        }
        req = ServiceRequest::from_parts(http, Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Answers with the error kept on the response, so `request_context` logs it and shows its page.
fn fail(req: ServiceRequest, error: AppError) -> ServiceResponse<BoxBody> {
    // `ServiceResponse::new` keeps the error on the response; `into_response` would drop it.
    ServiceResponse::new(req.into_parts().0, HttpResponse::from_error(error))
}

fn ensure_csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF_KEY)? {
        return Ok(token);
    }
    let token = random_token(32)?;
    session.insert(CSRF_KEY, &token)?;
    Ok(token)
}

async fn load_viewer(services: &Services, session: &Session) -> Result<Option<Viewer>, AppError> {
    let Some(token) = session.get::<String>(SESSION_TOKEN_KEY)? else {
        return Ok(None);
    };
    let viewer = services.resume_session(&token).await?;
    if viewer.is_none() {
        session.remove(SESSION_TOKEN_KEY);
    }
    Ok(viewer)
}

/// `None` when the request may go on; otherwise the response that stops it. A route missing
/// from the table (only static files and unknown paths reach here that way) needs nothing.
fn check_access(
    req: &ServiceRequest,
    access: Option<Access>,
    viewer: Option<&Viewer>,
) -> Option<HttpResponse> {
    let allowed = match (access?, viewer) {
        (Access::Public, _) => return None,
        (_, None) => return Some(sign_in_first(req)),
        (Access::SignedIn, Some(_)) => true,
        (Access::Needs(p), Some(v)) => v.can(p),
        (Access::AnyOf(ps), Some(v)) => ps.iter().any(|p| v.can(*p)),
    };
    (!allowed).then(|| error_page(req.request(), StatusCode::FORBIDDEN))
}

/// An anonymous visitor is sent to the login page and brought back afterwards.
fn sign_in_first(req: &ServiceRequest) -> HttpResponse {
    let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let location = format!("/login?next={}", urlencode(next));
    if is_htmx(req.request()) {
        return HttpResponse::Unauthorized()
            .insert_header(("HX-Redirect", location))
            .finish();
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        see_other(&location)
    } else {
        error_page(req.request(), StatusCode::FORBIDDEN)
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Largest form body read for the CSRF check; larger posts are refused.
const MAX_FORM_BYTES: usize = 1 << 20;

/// Checks the request's origin and its token (`X-CSRF-Token` header or `csrf_token` form field),
/// and hands back the body it had to read so the handler can read it again.
async fn csrf_ok(req: &HttpRequest, mut payload: Payload, expected: &str) -> (bool, Bytes) {
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

/// Refuses requests a browser marks as cross-site, and those whose `Origin` is another host.
fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if headers.get("Sec-Fetch-Site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}
