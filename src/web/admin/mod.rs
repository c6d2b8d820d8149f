//! Admin pages: users, roles, the event log and API keys.

pub mod api_keys;
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
    api_keys: bool,
}

pub async fn index(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let viewer = ctx.viewer()?;
    let page = AdminIndex {
        users: viewer.can(Permission::UsersManage),
        roles: viewer.can(Permission::RolesManage),
        events: viewer.can(Permission::EventsView),
        api_keys: viewer.can(Permission::ApiKeysManage),
        layout: ctx.layout("Admin", "admin"),
    };
    render(&page)
}
