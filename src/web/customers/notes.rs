//! The History panel's green "+": a note in the agent's words. With JavaScript it is a dialog
//! on the profile (Create / Cancel) whose form htmx posts; without, `GET
//! /customers/{id}/notes/new` is a page with the same form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::profile::{history_panel, not_found};
use super::{HistoryFragment, NoteForm, NoteFragment, customer_id};
use crate::domain::customer::ProfileTab;
use crate::domain::history::NoteText;
use crate::domain::order::Customer;
use crate::error::AppError;
use crate::services::Services;
use crate::services::customers::CustomerError;
use crate::web::page::{Layout, PageCtx, is_htmx, parse_form, render, render_status};

#[derive(Template)]
#[template(path = "pages/customers/note.html")]
struct NotePage {
    layout: Layout,
    customer: Customer,
    note: NoteForm,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct NoteBody {
    note: String,
}

/// The note form on a page of its own: the "+" without JavaScript.
pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path)?;
    let profile = services.customers.profile(id).await.map_err(not_found)?;
    render(&NotePage {
        layout: ctx.layout("Add a note", "customers"),
        note: NoteForm::new(id, &ctx.csrf, false),
        customer: profile.customer,
    })
}

pub async fn add(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path)?;
    let posted: NoteBody = parse_form(&body)?;
    let htmx = is_htmx(&req);
    let result = match NoteText::parse(&posted.note) {
        Ok(note) => services.customers.add_note(&ctx.actor()?, id, &note).await,
        Err(e) => Err(CustomerError::Invalid(crate::services::field_error(
            "note",
            e.to_string(),
        ))),
    };
    match result {
        Ok(_) if htmx => {
            let mut history = history_panel(&services, &ctx, id, ProfileTab::Orders, None).await?;
            history.said = Some("Note added.".to_owned());
            let body = HistoryFragment { history }
                .render()
                .map_err(|e| AppError::Template(e.to_string()))?;
            // The form posted from the dialog; the answer replaces the whole panel (and with it
            // the dialog, closed).
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header(("HX-Retarget", "#history"))
                .insert_header(("HX-Reswap", "outerHTML"))
                .body(body))
        }
        Ok(_) => Ok(ctx.done("Note added.", &format!("/customers/{id}"))),
        Err(CustomerError::Invalid(errors)) => {
            let profile = services.customers.profile(id).await.map_err(not_found)?;
            let mut note = NoteForm::new(id, &ctx.csrf, htmx);
            // A note far too long is not sent back whole into the page.
            note.text = posted.note.chars().take(note.max * 2).collect();
            note.errors = errors;
            if htmx {
                // 200: htmx swaps the form in the dialog with its message (an error status
                // would be answered with a flash instead, by the request-context middleware).
                return render(&NoteFragment { note });
            }
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NotePage {
                    layout: ctx.layout("Add a note", "customers"),
                    customer: profile.customer,
                    note,
                },
            )
        }
        Err(e) => Err(not_found(e)),
    }
}
