//! Admin pages: users, roles and the event log.

pub mod events;
pub mod roles;
pub mod users;

use actix_web::HttpResponse;
use askama::Template;

use crate::domain::permission::Permission;
use crate::error::AppError;
use crate::web::page::{Layout, PageCtx, render};

#[derive(Template)]
#[template(path = "pages/admin/index.html")]
struct AdminIndex {
    layout: Layout,
    users: bool,
    roles: bool,
    events: bool,
}

pub async fn index(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let viewer = ctx.viewer()?;
    let page = AdminIndex {
        users: viewer.can(Permission::UsersManage),
        roles: viewer.can(Permission::RolesManage),
        events: viewer.can(Permission::EventsView),
        layout: ctx.layout("Admin", "admin"),
    };
    render(&page)
}
