//! The outermost middleware: a request id, one log line per request, and full error pages in
//! place of the bare bodies error responses carry.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::services::random_token;
use crate::web::page::{Layout, PageCtx, is_htmx, render_status};

/// The id of one request: in the `X-Request-Id` header, every log line and the error page.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives the request an id, logs one line when it ends, and turns error responses into full
/// pages (logging the cause of a 5xx, which the user never sees).
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
    let message = res.response().error().and_then(|error| {
        if status.is_server_error() {
            tracing::error!(request_id = %id, error = %error, cause = ?error, "request failed");
        }
        error
            .as_error::<AppError>()
            .and_then(AppError::user_message)
            .map(str::to_owned)
    });
    let is_error = status.is_client_error() || status.is_server_error();
    if let Some(json) = crate::web::api::error_json(&res, &id) {
        // The JSON API answers every failure with its JSON error, never a page.
        res = res.into_response(json);
    } else if is_htmx(res.request()) && is_error && !res.headers().contains_key("HX-Redirect") {
        // htmx would swap nothing and the user would see nothing: say it where they are.
        let fragment = flash_fragment(status, message.as_deref(), &id);
        res = res.into_response(fragment);
    } else if res.response().error().is_some() {
        let page = error_page_saying(res.request(), status, message.as_deref());
        res = res.into_response(page);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
        );
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
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
    request_id: String,
}

/// The error pages, inside the normal layout so the navigation is still there.
pub fn error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    error_page_saying(req, status, None)
}

/// The heading and the general advice for an error status.
fn texts(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::FORBIDDEN => (
            "You do not have access to this page",
            "Your role does not allow this. Ask an admin if you need it.",
        ),
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. Check the link, or go back to the dashboard.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "That action is not available here",
            "This address does not take that kind of request. Go back and use the page's own buttons.",
        ),
        StatusCode::BAD_REQUEST => (
            "That request could not be understood",
            "Go back, check what you entered and try again.",
        ),
        StatusCode::CONFLICT => (
            "That cannot be done right now",
            "The record changed or is in use. Reload the page to see it as it is now.",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => (
            "Some of that is not valid",
            "Go back, correct what the message says and try again.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "The server is busy",
            "Nothing was changed. Wait a moment and try again.",
        ),
        _ => (
            "Something went wrong on our side",
            "The error has been logged. Try again; if it keeps happening, give support the request id below.",
        ),
    }
}

#[derive(askama::Template)]
#[template(path = "partials/flash_oob.html")]
struct FlashFragment {
    message: String,
}

/// For htmx: the message in the page's flash area (out of band), and nothing else swapped.
fn flash_fragment(status: StatusCode, message: Option<&str>, request_id: &str) -> HttpResponse {
    let message = match message {
        Some(m) => m.to_owned(),
        None if status.is_server_error() => {
            format!("{} Request id: {request_id}.", texts(status).1)
        }
        None => format!("{} {}", texts(status).0, texts(status).1),
    };
    let body = askama::Template::render(&FlashFragment { message }).unwrap_or_default();
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("HX-Reswap", "none"))
        .body(body)
}

/// An error page; `said` (a service's message for the user) replaces the general advice.
pub fn error_page_saying(
    req: &HttpRequest,
    status: StatusCode,
    said: Option<&str>,
) -> HttpResponse {
    let (heading, advice) = texts(status);
    let message = said.unwrap_or(advice).to_owned();
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
