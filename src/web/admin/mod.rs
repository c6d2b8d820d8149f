//! Admin pages: users, roles, the event log, API keys and background jobs.

pub mod api_keys;
pub mod events;
pub mod jobs;
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
    jobs: bool,
}

pub async fn index(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let viewer = ctx.viewer()?;
    let page = AdminIndex {
        users: viewer.can(Permission::UsersManage),
        roles: viewer.can(Permission::RolesManage),
        events: viewer.can(Permission::EventsView),
        api_keys: viewer.can(Permission::ApiKeysManage),
        jobs: viewer.can(Permission::JobsManage),
        layout: ctx.layout("Admin", "admin"),
    };
    render(&page)
}
