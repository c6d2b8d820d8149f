//! The dashboard, the 404 page and the health check.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::AppError;
use crate::services::Services;
use crate::web::admin::events::EventView;
use crate::web::middleware::error_page;
use crate::web::page::{Layout, PageCtx, render};

#[derive(Template)]
#[template(path = "pages/dashboard.html")]
struct Dashboard {
    layout: Layout,
    summary: crate::services::dashboard::Dashboard,
    recent_events: Option<Vec<EventView>>,
}

pub async fn dashboard(
    ctx: PageCtx,
    services: web::Data<Services>,
) -> Result<HttpResponse, AppError> {
    let viewer = ctx.viewer()?;
    let mut summary = services.dashboard(viewer).await?;
    let recent_events = summary.recent_events.take().map(|events| {
        events
            .into_iter()
            .map(|e| EventView::of(e, viewer))
            .collect()
    });
    render(&Dashboard {
        layout: ctx.layout("Dashboard", "dashboard"),
        summary,
        recent_events,
    })
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_page(&req, StatusCode::NOT_FOUND)
}

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(services: web::Data<Services>) -> HttpResponse {
    match services.health().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
