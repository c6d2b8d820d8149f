//! `/recycle-billing`: the decline salvage profiles list (`list`), delete, and the editor
//! (`editor`).

mod editor;
mod form;
mod list;

pub use editor::{
    create, edit_form, mid_list, move_here, new_form, preset, preview, update, validate,
};
pub use list::list;

use actix_web::{HttpResponse, web};

use crate::domain::ids::RecycleProfileId;
use crate::domain::mid::Mid;
use crate::domain::recycle::BlockMerchant;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{ConfirmForm, ConfirmPage, PageCtx, render};

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
