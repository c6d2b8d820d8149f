//! Who may use a route, enforced on the route itself (SPEC R-AU-2, R-AU-7).
//!
//! The rule is attached to each route when the table is registered, so it runs after the router
//! has decoded the path and chosen the handler: whatever spelling of a path reaches a handler
//! meets that handler's rule. A path the table does not name reaches no handler (404), and a
//! method the table does not name for a path is answered 405 by the resource.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};

use super::context::error_page;
use super::csrf::check_csrf;
use crate::domain::auth::Viewer;
use crate::domain::permission::Permission;
use crate::web::page::{is_htmx, see_other};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health check).
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user whose role has this permission.
    Needs(Permission),
    /// A signed-in user whose role has at least one of these.
    AnyOf(&'static [Permission]),
    /// A program calling the JSON API with `Authorization: Bearer <key>` of a live API key. No
    /// session is read and no CSRF token is asked for; a signed-in user passes only with a key.
    ApiKey,
}

impl Access {
    /// Whether `viewer` (or an anonymous visitor, `None`) passes this rule.
    pub fn allows(self, viewer: Option<&Viewer>) -> bool {
        match (self, viewer) {
            (Access::Public, _) => true,
            // A session never authenticates an API call: only its key does.
            (Access::ApiKey, _) => false,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Needs(p), Some(v)) => v.can(p),
            (Access::AnyOf(ps), Some(v)) => ps.iter().any(|p| v.can(*p)),
        }
    }
}

/// Route middleware: the route's access rule, then (for state-changing methods) the CSRF check.
pub async fn authorize(
    access: Access,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if access == Access::ApiKey {
        return crate::web::api::auth::authorize(req, next).await;
    }
    let viewer = req.extensions().get::<Viewer>().cloned();
    if !access.allows(viewer.as_ref()) {
        let refusal = match viewer {
            None => sign_in_first(&req),
            Some(_) => error_page(req.request(), StatusCode::FORBIDDEN),
        };
        return Ok(req.into_response(refusal));
    }
    let req = match check_csrf(req).await {
        Ok(req) => req,
        Err(refused) => return Ok(refused),
    };
    next.call(req).await
}

/// The resource's answer to a method the route table does not name for its path; `allow` lists
/// the methods it does name.
pub fn method_not_allowed(req: &HttpRequest, allow: &str) -> HttpResponse {
    let mut response = error_page(req, StatusCode::METHOD_NOT_ALLOWED);
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
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
