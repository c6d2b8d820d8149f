//! `AppError` decides what a user sees when a request fails. Internal detail never reaches the
//! browser: the request-context middleware logs it with the request id and renders the page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::services::Unexpected;
use crate::services::declines::MappingError;
use crate::services::mids::MidError;
use crate::services::recycle::RecycleError;
use crate::services::roles::RoleError;
use crate::services::routing::ProfileError;
use crate::services::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("template failed: {0}")]
    Template(String),
    #[error("session store failed: {0}")]
    Session(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Template(_) | AppError::Session(_) | AppError::Unexpected(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// A plain body; full pages replace it in `web::guard::request_context`.
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(status.canonical_reason().unwrap_or("Error"))
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Unexpected(e.into())
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        AppError::Session(e.to_string())
    }
}

impl From<actix_session::SessionGetError> for AppError {
    fn from(e: actix_session::SessionGetError) -> Self {
        AppError::Session(e.to_string())
    }
}

/// Service errors: the variants a handler does not turn into a form message itself.
macro_rules! from_service_error {
    ($($error:ident),* $(,)?) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                match e {
                    $error::NotFound => AppError::NotFound,
                    $error::Unexpected(u) => AppError::Unexpected(u),
                    other => AppError::BadRequest(other.to_string()),
                }
            }
        }
    )*};
}

/// User and role managers reaching above their own role (R-AU-6) are refused with a 403.
macro_rules! from_service_error_with_ceiling {
    ($($error:ident),* $(,)?) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                match e {
                    $error::NotFound => AppError::NotFound,
                    $error::Overreach(_) => AppError::Forbidden,
                    $error::Unexpected(u) => AppError::Unexpected(u),
                    other => AppError::BadRequest(other.to_string()),
                }
            }
        }
    )*};
}

from_service_error_with_ceiling!(UserError, RoleError);

from_service_error!(MidError, ProfileError, MappingError, RecycleError);
