//! `/recycle-billing`: the decline salvage profiles list, and delete. The editor is in `editor`.

mod editor;
mod form;

pub use editor::{create, edit_form, mid_list, new_form, preset, preview, update, validate};

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::ids::RecycleProfileId;
use crate::domain::mid::Mid;
use crate::domain::recycle::StoredProfile;
use crate::domain::recycle::{Block, BlockMerchant};
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{ConfirmForm, ConfirmPage, Layout, PageCtx, render};

/// A profile as the list shows it.
struct ProfileRow {
    id: RecycleProfileId,
    name: String,
    mids: String,
    routing: Vec<String>,
    active: String,
    bill_on_fridays: bool,
}

/// "the original MID" or the MID's title.
pub(crate) fn merchant_label(merchant: BlockMerchant, mids: &[Mid]) -> String {
    match merchant {
        BlockMerchant::Original => "original MID".to_owned(),
        BlockMerchant::Mid(id) => mids
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| format!("MID {id}"), |m| m.title.clone()),
    }
}

fn row(stored: StoredProfile, mids: &[Mid]) -> ProfileRow {
    let p = &stored.profile;
    let titles: Vec<String> = p
        .apply_to
        .iter()
        .map(|id| {
            mids.iter()
                .find(|m| m.id == *id)
                .map_or_else(|| id.to_string(), |m| m.title.clone())
        })
        .collect();
    let routing = Block::ALL
        .iter()
        .map(|b| {
            format!(
                "{}: {}",
                b.label(),
                merchant_label(p.blocks[b.index()], mids)
            )
        })
        .collect();
    let active: Vec<String> = p
        .active_attempts()
        .iter()
        .map(|n| {
            if *n == 10 {
                "final".to_owned()
            } else {
                n.to_string()
            }
        })
        .collect();
    ProfileRow {
        id: stored.id,
        name: p.name.clone(),
        mids: titles.join(", "),
        routing,
        active: active.join(", "),
        bill_on_fridays: p.bill_on_fridays,
    }
}

#[derive(Template)]
#[template(path = "pages/recycle/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ProfileRow>,
}

pub async fn list(ctx: PageCtx, services: web::Data<Services>) -> Result<HttpResponse, AppError> {
    let mids = services.mids.all().await?;
    let rows = services
        .recycle
        .list()
        .await?
        .into_iter()
        .map(|p| row(p, &mids))
        .collect();
    render(&ListPage {
        layout: ctx.layout("Recycle Billing", "recycle"),
        rows,
    })
}

pub async fn delete(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let stored = services.recycle.find(RecycleProfileId(*id)).await?;
    if !form.confirmed() {
        let page = ConfirmPage {
            layout: ctx.layout("Delete profile", "recycle"),
            heading: format!("Delete the decline salvage profile {}?", stored.profile.name),
            message: "Its MIDs stop recycling declines until another profile applies to them. This cannot be undone.".to_owned(),
            blockers: Vec::new(),
            action: format!("/recycle-billing/{}/delete", stored.id),
            button: "Delete profile",
            back: "/recycle-billing".to_owned(),
        };
        return render(&page);
    }
    services.recycle.delete(&ctx.actor()?, stored.id).await?;
    Ok(ctx.done(
        format!("Profile {} deleted.", stored.profile.name),
        "/recycle-billing",
    ))
}
