//! The outermost middleware: a request id, one log line per request, and full error pages in
//! place of the bare bodies error responses carry.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};

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
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: &'static str,
    request_id: String,
}

/// The 400, 403, 404, 405 and 500 pages, inside the normal layout so the navigation is still
/// there.
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
        StatusCode::METHOD_NOT_ALLOWED => (
            "That action is not available here",
            "This address does not take that kind of request. Go back and use the page's own buttons.",
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
