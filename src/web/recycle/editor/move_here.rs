//! `POST /recycle-billing/{id}/move`: "Move here" on a MID that another profile holds. The
//! editor's button posts the MID and asks first, naming both profiles; `confirm=yes` moves it
//! (R-RB-1 kept) and returns to the editor.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::recycle::RecycleDraft;
use crate::error::AppError;
use crate::services::Services;
use crate::services::recycle::{MidMove, RecycleError};
use crate::web::page::{Layout, PageCtx, parse_form, render_status};
use crate::web::recycle::form::RecycleForm;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct MoveForm {
    move_mid: String,
    confirm: String,
    /// Present when the editor posted: its values are compared with the saved profile.
    name: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/recycle/move.html")]
struct MovePage {
    layout: Layout,
    heading: String,
    message: String,
    /// Why it cannot move; no confirm button when there are any.
    blockers: Vec<String>,
    /// The editor had changes that the move does not save.
    unsaved: bool,
    action: String,
    mid: String,
    button: String,
    back: String,
}

fn messages(errors: &FieldErrors) -> Vec<String> {
    errors.iter().map(|e| e.message.clone()).collect()
}

pub async fn move_here(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let to = services.recycle.find(RecycleProfileId(*id)).await?;
    let ask = parse_form::<MoveForm>(&body)?;
    let mid = ask
        .move_mid
        .trim()
        .parse::<i64>()
        .map(MidId)
        .map_err(|_| AppError::Malformed("move_mid: not a MID id".to_owned()))?;
    let back = format!("/recycle-billing/{}/edit", to.id);
    let mut page = MovePage {
        layout: ctx.layout("Move a MID", "recycle"),
        heading: format!("Move a MID into “{}”?", to.profile.name),
        message: String::new(),
        blockers: Vec::new(),
        unsaved: false,
        action: format!("/recycle-billing/{}/move", to.id),
        mid: mid.to_string(),
        button: String::new(),
        back: back.clone(),
    };
    if ask.confirm != "yes" {
        if ask.name.is_some() {
            let (draft, _) = parse_form::<RecycleForm>(&body)?.read();
            page.unsaved = draft != RecycleDraft::from(&to.profile);
        }
        return match services.recycle.plan_move(mid, to.id).await {
            Ok(plan) => {
                describe(&mut page, &plan);
                render_status(StatusCode::OK, &page)
            }
            Err(RecycleError::Invalid(errors)) => {
                page.blockers = messages(&errors);
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(e) => Err(e.into()),
        };
    }
    match services.recycle.move_mid(&ctx.actor()?, mid, to.id).await {
        Ok(done) => Ok(ctx.done(
            match &done.from {
                Some(from) => format!(
                    "{} moved from “{}” to “{}”.",
                    done.mid_title, from.profile.name, done.to.profile.name
                ),
                None => format!("{} added to “{}”.", done.mid_title, done.to.profile.name),
            },
            &back,
        )),
        Err(RecycleError::Invalid(errors)) => {
            page.blockers = messages(&errors);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The question, naming the MID and both profiles.
fn describe(page: &mut MovePage, plan: &MidMove) {
    let (mid, to) = (&plan.mid_title, &plan.to.profile.name);
    page.button = format!("Move {mid} here");
    match &plan.from {
        Some(from) => {
            let from = &from.profile.name;
            page.heading = format!("Move {mid} from “{from}” to “{to}”?");
            page.message = format!(
                "{mid} leaves the profile “{from}” and joins “{to}”: its declines are then recycled by the rules of “{to}”. Both profiles are saved, and the change is written to the event log."
            );
        }
        None => {
            page.heading = format!("Add {mid} to “{to}”?");
            page.message = format!(
                "No profile holds {mid} now. It joins “{to}”, and the change is written to the event log."
            );
        }
    }
}
