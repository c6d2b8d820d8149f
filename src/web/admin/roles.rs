//! `/admin/roles`: built-in roles read-only, custom roles created and edited from the fixed
//! permission list.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::ceiling::Overreach;
use crate::domain::ids::RoleId;
use crate::domain::name::matches_search;
use crate::domain::permission::Permission;
use crate::domain::user::{Role, RoleDraft};
use crate::error::AppError;
use crate::services::Services;
use crate::services::roles::RoleError;
use crate::web::page::{FlashKind, Layout, PageCtx, parse_form, render, render_status, see_other};

#[derive(Template)]
#[template(path = "pages/admin/roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<Role>,
    query: ListQuery,
    permissions: Vec<Permission>,
}

/// The list's filters, kept in the URL: a name search and "holds this permission".
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    permission: String,
}

impl ListQuery {
    fn filtered(&self) -> bool {
        !(self.q.trim().is_empty() && self.permission.is_empty())
    }

    fn keeps(&self, role: &Role) -> bool {
        matches_search(&role.name, &self.q)
            && Permission::from_key(&self.permission).is_none_or(|p| role.permissions.contains(p))
    }
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    // Roles are few (four built in, a handful custom) and shown whole: no paging needed.
    let roles = services
        .roles
        .list()
        .await?
        .into_iter()
        .filter(|r| query.keeps(r))
        .collect();
    render(&RolesPage {
        layout: ctx.layout("Roles", "admin"),
        roles,
        query,
        permissions: Permission::all().collect(),
    })
}

/// The role form as typed; `permissions` repeats once per ticked box.
#[derive(Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    confirm: String,
}

impl RoleForm {
    fn from_role(role: &Role) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            permissions: role
                .permissions
                .keys()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            confirm: String::new(),
        }
    }
}

/// One checkbox of the permission list.
struct PermissionChoice {
    key: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "pages/admin/role_form.html")]
struct RoleFormPage {
    layout: Layout,
    role_id: Option<RoleId>,
    form: RoleForm,
    choices: Vec<PermissionChoice>,
    errors: FieldErrors,
}

fn form_page(
    ctx: &PageCtx,
    role_id: Option<RoleId>,
    form: RoleForm,
    errors: FieldErrors,
) -> RoleFormPage {
    let choices = Permission::all()
        .map(|p| PermissionChoice {
            key: p.key(),
            label: p.label(),
            checked: form.permissions.iter().any(|k| k == p.key()),
        })
        .collect();
    let title = if role_id.is_some() {
        "Edit role"
    } else {
        "New role"
    };
    RoleFormPage {
        layout: ctx.layout(title, "admin"),
        role_id,
        form,
        choices,
        errors,
    }
}

/// A refusal under R-AU-6 belongs next to the permission checkboxes.
fn overreach_errors(refused: &Overreach) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.push("permissions", refused.to_string());
    errors
}

pub async fn new_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render(&form_page(
        &ctx,
        None,
        RoleForm::default(),
        FieldErrors::default(),
    ))
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = parse_form::<RoleForm>(&body)?;
    let result = match RoleDraft::parse(&form.name, &form.description, &form.permissions) {
        Ok(draft) => services.roles.create(&ctx.actor()?, &draft).await,
        Err(errors) => Err(RoleError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(ctx.done(
            format!("Role {} created.", form.name.trim()),
            "/admin/roles",
        )),
        Err(RoleError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&ctx, None, form, errors),
        ),
        Err(RoleError::Overreach(refused)) => render_status(
            StatusCode::FORBIDDEN,
            &form_page(&ctx, None, form, overreach_errors(&refused)),
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let role = services.roles.find(RoleId(*id)).await?;
    if role.builtin.is_some() {
        ctx.flash(
            FlashKind::Error,
            "Built-in roles cannot be changed. Create a custom role instead.",
        );
        return Ok(see_other("/admin/roles"));
    }
    render(&form_page(
        &ctx,
        Some(role.id),
        RoleForm::from_role(&role),
        FieldErrors::default(),
    ))
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = RoleId(*id);
    let form = parse_form::<RoleForm>(&body)?;
    let result = match RoleDraft::parse(&form.name, &form.description, &form.permissions) {
        Ok(draft) => services.roles.update(&ctx.actor()?, id, &draft).await,
        Err(errors) => Err(RoleError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(ctx.done(
            format!(
                "Role {} saved. Its users have the new permissions from their next click.",
                form.name.trim()
            ),
            "/admin/roles",
        )),
        Err(RoleError::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&ctx, Some(id), form, errors),
        ),
        Err(RoleError::Overreach(refused)) => render_status(
            StatusCode::FORBIDDEN,
            &form_page(&ctx, Some(id), form, overreach_errors(&refused)),
        ),
        Err(RoleError::BuiltinReadOnly) => {
            ctx.flash(FlashKind::Error, RoleError::BuiltinReadOnly.to_string());
            Ok(see_other("/admin/roles"))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin/role_delete.html")]
struct DeleteRolePage {
    layout: Layout,
    role: Role,
}

/// Without `confirm=yes` it asks first.
pub async fn delete(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = RoleId(*id);
    let form = parse_form::<RoleForm>(&body)?;
    if form.confirm != "yes" {
        let role = services.roles.find(id).await?;
        return render(&DeleteRolePage {
            layout: ctx.layout("Delete role", "admin"),
            role,
        });
    }
    match services.roles.delete(&ctx.actor()?, id).await {
        Ok(()) => ctx.flash(FlashKind::Success, "Role deleted."),
        Err(e @ (RoleError::InUse(_) | RoleError::BuiltinReadOnly | RoleError::Overreach(_))) => {
            ctx.flash(FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/admin/roles"))
}
