//! `AppError` decides what a user sees when a request fails. Internal detail never reaches the
//! browser: the request-context middleware logs it with the request id and renders the page.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::services::api_keys::ApiKeyError;
use crate::services::bins::BinRangeError;
use crate::services::blacklist::BlacklistError;
use crate::services::catalogue::CatalogueError;
use crate::services::customers::CustomerError;
use crate::services::declines::MappingError;
use crate::services::emails::EmailError;
use crate::services::jobs::JobError;
use crate::services::mids::MidError;
use crate::services::order_actions::OrderActionError;
use crate::services::orders::SaleError;
use crate::services::payments::PaymentError;
use crate::services::reasons::ReasonError;
use crate::services::recycle::RecycleError;
use crate::services::refund_queue::QueueError;
use crate::services::roles::RoleError;
use crate::services::routing::ProfileError;
use crate::services::users::UserError;
use crate::services::{ErrorClass, ServiceError, Unexpected};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A service refused: its class, its stable code, and a message meant for the user.
    #[error("{message}")]
    Service {
        class: ErrorClass,
        code: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The request itself could not be read (a body that is not a form, a broken field).
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("template failed: {0}")]
    Template(String),
    #[error("session store failed: {0}")]
    Session(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

/// Seconds a client should wait before retrying a request the server was too busy for.
pub const RETRY_AFTER_SECONDS: &str = "2";

impl AppError {
    /// What the user may read: a service's own message, or nothing (the page's generic text).
    pub fn user_message(&self) -> Option<&str> {
        match self {
            AppError::Service { message, .. } => Some(message),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Service { class, .. } => match class {
                ErrorClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorClass::Forbidden => StatusCode::FORBIDDEN,
                ErrorClass::NotFound => StatusCode::NOT_FOUND,
                ErrorClass::Conflict => StatusCode::CONFLICT,
                ErrorClass::Busy => StatusCode::SERVICE_UNAVAILABLE,
                ErrorClass::Unexpected => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::Template(_) | AppError::Session(_) | AppError::Unexpected(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// A plain body; full pages (or, for htmx, a message fragment) replace it in
    /// `web::middleware::request_context`.
    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            ));
        }
        response
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

/// Service errors keep their class, code and message; an unexpected one keeps its cause for the
/// log.
macro_rules! from_service_error {
    ($($error:ident),* $(,)?) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                match e {
                    $error::Unexpected(u) => AppError::Unexpected(u),
                    other => AppError::Service {
                        class: other.class(),
                        code: other.code(),
                        message: other.to_string(),
                    },
                }
            }
        }
    )*};
}

from_service_error!(
    UserError,
    RoleError,
    MidError,
    ProfileError,
    MappingError,
    RecycleError,
    BinRangeError,
    SaleError,
    CatalogueError,
    ApiKeyError,
    PaymentError,
    BlacklistError,
    QueueError,
    ReasonError,
    OrderActionError,
    JobError,
    EmailError,
    CustomerError,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn service(class: ErrorClass) -> AppError {
        AppError::Service {
            class,
            code: "test",
            message: "m".into(),
        }
    }

    #[test]
    fn each_class_answers_its_own_status() {
        let cases = [
            (ErrorClass::Invalid, 422),
            (ErrorClass::Forbidden, 403),
            (ErrorClass::NotFound, 404),
            (ErrorClass::Conflict, 409),
            (ErrorClass::Busy, 503),
            (ErrorClass::Unexpected, 500),
        ];
        for (class, status) in cases {
            assert_eq!(service(class).status_code().as_u16(), status, "{class:?}");
        }
        assert_eq!(AppError::Malformed("x".into()).status_code().as_u16(), 400);
    }

    #[test]
    fn busy_asks_the_client_to_retry_later() {
        let response = service(ErrorClass::Busy).error_response();
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some(RETRY_AFTER_SECONDS)
        );
    }

    #[test]
    fn a_service_error_keeps_its_code_and_message() {
        let e: AppError = MidError::InUse { by: vec![] }.into();
        assert!(matches!(
            e,
            AppError::Service {
                class: ErrorClass::Conflict,
                code: "mid_in_use",
                ..
            }
        ));
        let busy: AppError = UserError::Busy.into();
        assert_eq!(busy.status_code().as_u16(), 503);
        assert_eq!(
            busy.user_message(),
            Some("The server is busy. Try again in a moment.")
        );
    }
}
