//! `GET /login` and `POST /login`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::services::Services;
use crate::services::auth::{LoginAttempt, LoginError};
use crate::web::page::{
    CSRF_KEY, Layout, PageCtx, SESSION_TOKEN_KEY, render, render_status, see_other,
};

#[derive(Template)]
#[template(path = "pages/auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site, so the login page cannot be used to send people elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub async fn form(ctx: PageCtx, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    if ctx.viewer.is_some() {
        return Ok(see_other(&safe_next(query.next.as_deref())));
    }
    render(&LoginPage {
        layout: ctx.layout("Sign in", "login"),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
    })
}

pub async fn submit(
    ctx: PageCtx,
    services: web::Data<Services>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ip = ctx.ip.clone().unwrap_or_else(|| "unknown".to_owned());
    let attempt = LoginAttempt {
        email: &form.email,
        password: &form.password,
        ip: &ip,
    };
    match services.login(&attempt).await {
        Ok((token, _viewer)) => {
            // A fresh cookie and a fresh CSRF token: nothing from before sign-in carries over.
            ctx.session.renew();
            ctx.session.insert(SESSION_TOKEN_KEY, token.as_str())?;
            ctx.session
                .insert(CSRF_KEY, crate::services::random_token(32)?)?;
            Ok(see_other(&safe_next(Some(&form.next))))
        }
        Err(LoginError::Unexpected(e)) => Err(e.into()),
        Err(e) => {
            let status = match e {
                LoginError::InvalidCredentials => StatusCode::UNAUTHORIZED,
                _ => StatusCode::TOO_MANY_REQUESTS,
            };
            let page = LoginPage {
                layout: ctx.layout("Sign in", "login"),
                email: form.email.trim().to_owned(),
                next: safe_next(Some(&form.next)),
                error: Some(e.to_string()),
            };
            render_status(status, &page)
        }
    }
}
