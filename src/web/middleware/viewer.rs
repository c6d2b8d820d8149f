//! Loads the signed-in viewer from the session (fresh from the database on every request, so a
//! role change or a disabled account counts at once) and makes sure the session has a CSRF
//! token. It decides nothing: each route's own rule does (`access::authorize`).

use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, HttpMessage, HttpResponse};

use crate::domain::auth::Viewer;
use crate::error::AppError;
use crate::services::{Services, random_token};
use crate::web::page::{CSRF_KEY, SESSION_TOKEN_KEY};

pub async fn load_viewer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // An API call never reads the session (its route's rule checks its key); the route table
    // names the API routes, matched against the path as the router decodes it.
    if crate::web::is_api_route(req.match_info().as_str()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(services) = req.app_data::<Data<Services>>().cloned() else {
        return Ok(fail(req, AppError::Session("services missing".into())));
    };
    let session = req.get_session();
    if let Err(e) = ensure_csrf_token(&session) {
        return Ok(fail(req, e));
    }
    match viewer(&services, &session).await {
        Ok(Some(viewer)) => {
            req.extensions_mut().insert(viewer);
        }
        Ok(None) => {}
        Err(e) => return Ok(fail(req, e)),
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Answers with the error kept on the response, so `request_context` logs it and shows its page.
fn fail(req: ServiceRequest, error: AppError) -> ServiceResponse<BoxBody> {
    // `ServiceResponse::new` keeps the error on the response; `into_response` would drop it.
    ServiceResponse::new(req.into_parts().0, HttpResponse::from_error(error))
}

fn ensure_csrf_token(session: &Session) -> Result<(), AppError> {
    if session.get::<String>(CSRF_KEY)?.is_none() {
        session.insert(CSRF_KEY, random_token(32)?)?;
    }
    Ok(())
}

async fn viewer(services: &Services, session: &Session) -> Result<Option<Viewer>, AppError> {
    let Some(token) = session.get::<String>(SESSION_TOKEN_KEY)? else {
        return Ok(None);
    };
    let viewer = services.auth.resume_session(&token).await?;
    if viewer.is_none() {
        session.remove(SESSION_TOKEN_KEY);
    }
    Ok(viewer)
}
