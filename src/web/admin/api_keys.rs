//! `/admin/api-keys`: keys of the order API. A new key is shown once, on the page that answers
//! its creation, and never again; revoking one asks first.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::api_key::ApiKey;
use crate::domain::event::SystemActor;
use crate::domain::ids::ApiKeyId;
use crate::error::AppError;
use crate::services::Services;
use crate::services::api_keys::{ApiKeyError, CreatedKey};
use crate::web::page::{
    ConfirmForm, ConfirmPage, FlashKind, Layout, PageCtx, parse_form, render, render_status,
    see_other,
};

/// A key as its row shows it.
struct KeyRow {
    key: ApiKey,
    creator: String,
}

impl KeyRow {
    fn of(key: ApiKey) -> Self {
        let creator = match key.creator.as_deref() {
            None => "unknown".to_owned(),
            Some(label) => SystemActor::from_key(label)
                .map_or_else(|| label.to_owned(), |a| a.label().to_owned()),
        };
        Self { key, creator }
    }
}

#[derive(Template)]
#[template(path = "pages/admin/api_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeyRow>,
}

pub async fn list(ctx: PageCtx, services: web::Data<Services>) -> Result<HttpResponse, AppError> {
    // Keys are few (one per integration): shown whole, no paging.
    let keys = services
        .api_keys
        .list()
        .await?
        .into_iter()
        .map(KeyRow::of)
        .collect();
    render(&KeysPage {
        layout: ctx.layout("API keys", "admin"),
        keys,
    })
}

#[derive(Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "pages/admin/api_key_new.html")]
struct NewKeyPage {
    layout: Layout,
    form: KeyForm,
    errors: FieldErrors,
}

pub async fn new_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render(&NewKeyPage {
        layout: ctx.layout("New API key", "admin"),
        form: KeyForm::default(),
        errors: FieldErrors::default(),
    })
}

#[derive(Template)]
#[template(path = "pages/admin/api_key_created.html")]
struct CreatedPage {
    layout: Layout,
    created: CreatedKey,
}

/// Answers with the key itself, once: it is in no flash, no redirect, no log.
pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<KeyForm>(&body)?;
    match services.api_keys.create(&ctx.actor()?, &form.name).await {
        Ok(created) => render(&CreatedPage {
            layout: ctx.layout("API key created", "admin"),
            created,
        }),
        Err(ApiKeyError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewKeyPage {
                layout: ctx.layout("New API key", "admin"),
                form,
                errors,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// Without `confirm=yes` it asks first.
pub async fn revoke(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = ApiKeyId(*id);
    let form = parse_form::<ConfirmForm>(&body)?;
    let key = services.api_keys.find(id).await?;
    if !form.confirmed() {
        return render(&ConfirmPage {
            layout: ctx.layout("Revoke API key", "admin"),
            heading: format!("Revoke the API key {}?", key.name),
            message: format!(
                "Every call made with {} is refused from now on. The integration that uses it \
                 stops working until it is given a new key. This cannot be undone.",
                key.masked()
            ),
            blockers: Vec::new(),
            action: format!("/admin/api-keys/{id}/revoke"),
            button: "Revoke key",
            back: "/admin/api-keys".to_owned(),
        });
    }
    match services.api_keys.revoke(&ctx.actor()?, id).await {
        Ok(()) => ctx.flash(
            FlashKind::Success,
            format!(
                "API key {} revoked. Calls made with it are refused.",
                key.name
            ),
        ),
        Err(e @ ApiKeyError::AlreadyRevoked) => ctx.flash(FlashKind::Error, e.to_string()),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/admin/api-keys"))
}
