//! `/blacklist` (R-CS-5): the blacklisted customers, with Remove, for CS admins and admins.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::ids::CustomerId;
use crate::domain::order::BlacklistedCustomer;
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;
use crate::services::Services;
use crate::services::blacklist::BlacklistError;
use crate::web::page::{ConfirmForm, ConfirmPage, Layout, PageCtx, render};

const PAGE_SIZE: u32 = 25;

#[derive(Template)]
#[template(path = "pages/blacklist.html")]
struct BlacklistPage {
    layout: Layout,
    page: Page<BlacklistedCustomer>,
    pager_base: &'static str,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    page: Option<u32>,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = services
        .blacklist
        .list(PageRequest::new(query.page, PAGE_SIZE))
        .await?;
    render(&BlacklistPage {
        layout: ctx.layout("Blacklist", "blacklist"),
        page,
        pager_base: "/blacklist?",
    })
}

/// Remove asks first, naming the customer; `confirm=yes` removes every entry made for them.
pub async fn remove(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = CustomerId(path.parse::<i64>().map_err(|_| AppError::NotFound)?);
    if !form.confirmed() {
        let customer = services
            .orders
            .customer(id)
            .await?
            .ok_or(AppError::NotFound)?;
        return render(&ConfirmPage {
            layout: ctx.layout("Remove from the blacklist", "blacklist"),
            heading: format!("Take {} off the blacklist?", customer.name()),
            message: format!(
                "New orders with {}, their phone and their cards will be taken again.",
                customer.email
            ),
            blockers: Vec::new(),
            action: format!("/blacklist/{id}/remove"),
            button: "Remove from the blacklist",
            back: "/blacklist".to_owned(),
        });
    }
    match services.blacklist.remove(&ctx.actor()?, id).await {
        Ok(()) => Ok(ctx.done("Taken off the blacklist.", "/blacklist")),
        Err(BlacklistError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
