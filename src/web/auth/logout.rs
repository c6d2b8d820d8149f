//! `POST /logout`: ends the server-side session, so the old cookie is worthless if replayed.

use actix_web::{HttpResponse, web};

use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{PageCtx, SESSION_TOKEN_KEY};

pub async fn submit(ctx: PageCtx, services: web::Data<Services>) -> Result<HttpResponse, AppError> {
    if let (Some(token), Some(viewer)) = (
        ctx.session.get::<String>(SESSION_TOKEN_KEY)?,
        ctx.viewer.as_ref(),
    ) {
        services
            .auth
            .logout(&token, viewer, ctx.ip.as_deref())
            .await?;
    }
    ctx.session.purge();
    Ok(ctx.done("You are signed out.", "/login"))
}
