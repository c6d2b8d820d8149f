//! `GET /login` and `POST /login`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use url::Url;

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

/// Where to send someone after signing in: only a page of the portal. The value is read as a
/// browser's URL parser reads it (tab and newline characters dropped, `\\` as `/`), so what is
/// checked is what the browser would follow; anything else goes to the dashboard. The answer is
/// rebuilt from the parsed URL, so it is always a valid `Location` header.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(portal_path).unwrap_or_else(|| "/".to_owned())
}

fn portal_path(next: &str) -> Option<String> {
    let stripped: String = next
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let mut chars = stripped.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) {
        return None;
    }
    let base = Url::parse("http://portal.invalid/").ok()?;
    let target = base.join(&stripped).ok()?;
    if target.origin() != base.origin() || !crate::web::is_portal_page(target.path()) {
        return None;
    }
    Some(match target.query() {
        Some(query) => format!("{}?{query}", target.path()),
        None => target.path().to_owned(),
    })
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
    match services.auth.login(&attempt).await {
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_keeps_a_page_of_the_portal_with_its_query() {
        assert_eq!(
            safe_next(Some("/mids?q=main&page=2")),
            "/mids?q=main&page=2"
        );
        assert_eq!(safe_next(Some("/admin/users/12")), "/admin/users/12");
    }

    #[test]
    fn next_refuses_every_way_out_of_the_portal() {
        for next in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\r\n/evil.example",
            "https://evil.example/",
            "evil.example",
            " /mids",
            "",
        ] {
            assert_eq!(safe_next(Some(next)), "/", "{next:?}");
        }
    }

    #[test]
    fn next_refuses_a_path_that_is_no_page_of_the_portal() {
        assert_eq!(safe_next(Some("/static/../../etc/passwd")), "/");
        assert_eq!(safe_next(Some("/no-such-page")), "/");
        assert_eq!(safe_next(Some("/logout")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
