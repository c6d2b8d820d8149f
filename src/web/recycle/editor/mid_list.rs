//! `POST /recycle-billing/mid-list`: the filtered MID checkboxes.

use actix_web::{HttpResponse, web};

use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{parse_form, render};
use crate::web::recycle::form::RecycleForm;

use super::views::*;

/// The MID checkboxes, filtered by the filter box; ticked MIDs stay in the form while hidden.
pub async fn mid_list(
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RecycleForm>(&body)?;
    let editing = editing_of(&services, &form).await?;
    let facts = services.recycle.mid_facts(editing).await?;
    let filter = form.rest.get("mid_filter").cloned().unwrap_or_default();
    render(&MidListPartial {
        mids: mid_options(&form, &facts, &filter),
        editing: editing.map(|id| id.to_string()).unwrap_or_default(),
    })
}
