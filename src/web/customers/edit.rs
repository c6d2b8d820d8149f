//! The pencils of the details card: `GET /customers/{id}/edit/{field}` opens the field as an
//! inline form (htmx swaps the card; without JavaScript the whole profile comes back with the
//! form open), `POST` saves it (validated next to the field, logged before and after).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::profile::{ProfileQuery, Shown, full_page, not_found};
use super::{DetailsCard, DetailsFragment, customer_id};
use crate::domain::customer::{DetailField, DetailsEdit, DetailsForm};
use crate::error::AppError;
use crate::services::Services;
use crate::services::customers::CustomerError;
use crate::web::page::{PageCtx, is_htmx, parse_form, render};

#[derive(Debug, serde::Deserialize)]
pub struct EditPath {
    id: String,
    field: String,
}

fn field_of(raw: &str) -> Result<DetailField, AppError> {
    DetailField::from_key(raw).ok_or(AppError::NotFound)
}

pub async fn form(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<EditPath>,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path.id)?;
    let field = field_of(&path.field)?;
    let profile = services.customers.profile(id).await.map_err(not_found)?;
    if is_htmx(&req) {
        return render(&DetailsFragment {
            details: DetailsCard::new(&profile, Some(field), None, true, &ctx.csrf),
        });
    }
    let shown = Shown {
        editing: Some(field),
        ..Shown::default()
    };
    full_page(
        &services,
        &ctx,
        profile,
        &ProfileQuery::default(),
        shown,
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<EditPath>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path.id)?;
    let field = field_of(&path.field)?;
    let form: DetailsForm = parse_form(&body)?;
    let result = match DetailsEdit::parse(field, &form) {
        Ok(edit) => services.customers.update(&ctx.actor()?, id, &edit).await,
        Err(errors) => Err(CustomerError::Invalid(errors)),
    };
    let htmx = is_htmx(&req);
    match result {
        Ok(profile) if htmx => {
            let mut details = DetailsCard::new(&profile, None, Some(field), true, &ctx.csrf);
            details.said = Some(format!("{} saved.", field.label()));
            render(&DetailsFragment { details })
        }
        Ok(_) => Ok(ctx.done(
            format!("{} saved.", field.label()),
            &format!("/customers/{id}"),
        )),
        Err(CustomerError::Invalid(errors)) => {
            let profile = services.customers.profile(id).await.map_err(not_found)?;
            let mut details = DetailsCard::new(&profile, Some(field), None, true, &ctx.csrf);
            details.form = form;
            details.errors = errors;
            if htmx {
                // 200: htmx swaps the form back in with its messages (an error status would
                // be answered with a flash instead, by the request-context middleware).
                return render(&DetailsFragment { details });
            }
            let shown = Shown {
                editing: Some(field),
                details: Some(details),
                ..Shown::default()
            };
            full_page(
                &services,
                &ctx,
                profile,
                &ProfileQuery::default(),
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(not_found(e)),
    }
}
