//! What every full page needs (the signed-in viewer, navigation, CSRF token, flash message) and
//! the helpers that render templates into responses.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::domain::auth::Viewer;
use crate::domain::event::Actor;
use crate::domain::permission::Permission;
use crate::error::AppError;

pub const CSRF_KEY: &str = "csrf";
pub const SESSION_TOKEN_KEY: &str = "sid";
const FLASH_KEY: &str = "flash";

/// A one-time message shown on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Error => "flash flash-error",
        }
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub section: &'static str,
}

/// The data `layouts/base.html` reads.
pub struct Layout {
    pub title: String,
    pub section: &'static str,
    pub viewer: Option<Viewer>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub nav: Vec<NavItem>,
}

impl Layout {
    /// `hx-headers` for `<body>`: htmx sends the CSRF token with every request it makes.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }

    pub fn is_current(&self, item: &NavItem) -> bool {
        item.section == self.section
    }
}

fn nav_for(viewer: Option<&Viewer>) -> Vec<NavItem> {
    let Some(viewer) = viewer else {
        return Vec::new();
    };
    let items = [
        (
            Some(Permission::DashboardView),
            "/",
            "Dashboard",
            "dashboard",
        ),
        (Some(Permission::MidsManage), "/mids", "MIDs", "mids"),
        (
            Some(Permission::GatewaysManage),
            "/gateways",
            "Gateways",
            "gateways",
        ),
        (
            Some(Permission::RecycleManage),
            "/recycle-billing",
            "Recycle Billing",
            "recycle",
        ),
        (
            Some(Permission::CatalogueManage),
            "/products",
            "Catalogue",
            "catalogue",
        ),
        (
            Some(Permission::CustomersView),
            "/customers",
            "Customer Service",
            "customers",
        ),
        (
            Some(Permission::CustomersView),
            "/refund-queue",
            "Refund Queue",
            "refund-queue",
        ),
        (
            Some(Permission::CustomersBlacklist),
            "/blacklist",
            "Blacklist",
            "blacklist",
        ),
        (
            Some(Permission::OrdersEnter),
            "/orders/new",
            "New Order",
            "orders",
        ),
        (None, "/admin", "Admin", "admin"),
    ];
    items
        .into_iter()
        .filter(|(perm, ..)| match perm {
            Some(p) => viewer.can(*p),
            None => Permission::ADMIN_AREA.iter().any(|p| viewer.can(*p)),
        })
        .map(|(_, href, label, section)| NavItem {
            href,
            label,
            section,
        })
        .collect()
}

/// Extracted by every page handler: who is asking, and their session.
pub struct PageCtx {
    pub viewer: Option<Viewer>,
    pub session: Session,
    pub csrf: String,
    pub ip: Option<String>,
}

impl FromRequest for PageCtx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageCtx::of(req)))
    }
}

impl PageCtx {
    pub fn of(req: &HttpRequest) -> Self {
        let session = req.get_session();
        let csrf = session
            .get::<String>(CSRF_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        Self {
            viewer: req.extensions().get::<Viewer>().cloned(),
            session,
            csrf,
            ip: req.peer_addr().map(|a| a.ip().to_string()),
        }
    }

    /// The layout of a full page; takes the pending flash message so it shows once.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        let flash = self
            .session
            .remove_as::<Flash>(FLASH_KEY)
            .and_then(Result::ok);
        Layout {
            title: title.into(),
            section,
            nav: nav_for(self.viewer.as_ref()),
            viewer: self.viewer.clone(),
            csrf: self.csrf.clone(),
            flash,
        }
    }

    /// A layout that leaves the flash message for the next full page (error pages).
    pub fn bare_layout(&self, title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            section: "",
            nav: nav_for(self.viewer.as_ref()),
            viewer: self.viewer.clone(),
            csrf: self.csrf.clone(),
            flash: None,
        }
    }

    /// The signed-in viewer; the guard already turned anonymous visitors away from such routes.
    pub fn viewer(&self) -> Result<&Viewer, AppError> {
        self.viewer.as_ref().ok_or(AppError::Forbidden)
    }

    pub fn actor(&self) -> Result<Actor, AppError> {
        Ok(Actor::from_viewer(self.viewer()?, self.ip.as_deref()))
    }

    /// After a successful change: a success message for the next page, and a redirect there.
    pub fn done(&self, message: impl Into<String>, location: &str) -> HttpResponse {
        self.flash(FlashKind::Success, message);
        see_other(location)
    }

    /// After a change that was refused (the record moved on since the page was shown): the
    /// reason for the next page, and a redirect there.
    pub fn refused(&self, message: impl Into<String>, location: &str) -> HttpResponse {
        self.flash(FlashKind::Error, message);
        see_other(location)
    }

    pub fn flash(&self, kind: FlashKind, message: impl Into<String>) {
        // A flash that cannot be stored is only a lost message; the action itself succeeded.
        if let Err(e) = self.session.insert(
            FLASH_KEY,
            Flash {
                kind,
                message: message.into(),
            },
        ) {
            tracing::warn!(error = %e, "could not store flash message");
        }
    }
}

/// Parses a form body whose keys repeat (checkbox lists) or are named per row; a body that is
/// not a form at all is a 400.
pub fn parse_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body).map_err(|e| AppError::Malformed(e.to_string()))
}

/// Renders a template as an HTML response with `status`.
pub fn render_status<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<HttpResponse, AppError> {
    let body = template
        .render()
        .map_err(|e| AppError::Template(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn render<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, template)
}

/// A 303 to `location`; after a POST the browser follows it with a GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// True for requests made by htmx, which get a fragment instead of a full page.
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

/// The answer of a confirmation step: destructive actions ask first and act on `confirm=yes`.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

impl ConfirmForm {
    pub fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

/// "Delete X?" with what would stop it, shared by every delete.
#[derive(Template)]
#[template(path = "pages/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub blockers: Vec<String>,
    pub action: String,
    pub button: &'static str,
    pub back: String,
}
