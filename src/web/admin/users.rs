//! `/admin/users`: list, create, change role, disable/enable, reset password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::{NewUser, Role, RoleName, User};
use crate::error::AppError;
use crate::services::Services;
use crate::services::users::UserError;
use crate::web::page::{
    ConfirmForm, FlashKind, Layout, PageCtx, is_htmx, render, render_status, see_other,
};

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "pages/admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Page<User>,
    q: String,
    csrf: String,
    me: UserId,
    /// The list's URL up to `page=`, keeping the search.
    pager_base: String,
    /// Rows rendered by the row partial can carry an error; the full list never does.
    error: Option<String>,
    /// Only a row swapped in by htmx takes focus.
    focus: bool,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.q.trim().to_owned();
    let page = PageRequest::new(query.page.parse().ok(), PageRequest::DEFAULT_SIZE);
    let users = services.users.list(Some(&q), page).await?;
    let me = ctx.viewer()?.user_id;
    let pager_base = format!(
        "/admin/users?{}&",
        serde_urlencoded::to_string([("q", &q)]).unwrap_or_default()
    );
    let layout = ctx.layout("Users", "admin");
    render(&UsersPage {
        csrf: ctx.csrf.clone(),
        layout,
        users,
        q,
        me,
        pager_base,
        error: None,
        focus: false,
    })
}

#[derive(Template)]
#[template(path = "partials/admin/user_row.html")]
struct UserRow<'a> {
    user: &'a User,
    csrf: &'a str,
    me: UserId,
    error: Option<String>,
    focus: bool,
}

#[derive(Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "pages/admin/user_new.html")]
struct NewUserPage {
    layout: Layout,
    roles: Vec<Role>,
    form: NewUserForm,
    errors: FieldErrors,
}

pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
) -> Result<HttpResponse, AppError> {
    let roles = services.roles.grantable_by(&ctx.actor()?).await?;
    render(&NewUserPage {
        layout: ctx.layout("New user", "admin"),
        roles,
        form: NewUserForm::default(),
        errors: FieldErrors::default(),
    })
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let parsed = NewUser::parse(&form.email, &form.name, &form.role, &form.password);
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if form.password != form.password_confirm && errors.get("password").is_none() {
        errors.push("password_confirm", "The two passwords do not match.");
    }
    let result = match parsed {
        Ok(new) if errors.is_empty() => services.users.create(&ctx.actor()?, new).await,
        _ => Err(UserError::Invalid(errors)),
    };
    match result {
        Ok(user) => Ok(ctx.done(
            format!("User {} created with role {}.", user.email, user.role_name),
            &format!("/admin/users/{}", user.id),
        )),
        Err(UserError::Invalid(errors)) => {
            new_user_again(
                &ctx,
                &services,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(UserError::Overreach(refused)) => {
            let mut errors = FieldErrors::default();
            errors.push("role", refused.to_string());
            new_user_again(&ctx, &services, form, errors, StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The new-user form again, with its messages; the passwords are never sent back.
async fn new_user_again(
    ctx: &PageCtx,
    services: &Services,
    form: NewUserForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = NewUserPage {
        layout: ctx.layout("New user", "admin"),
        roles: services.roles.grantable_by(&ctx.actor()?).await?,
        form: NewUserForm {
            password: String::new(),
            password_confirm: String::new(),
            ..form
        },
        errors,
    };
    render_status(status, &page)
}

#[derive(Template)]
#[template(path = "pages/admin/user_show.html")]
struct UserShowPage {
    layout: Layout,
    user: User,
    roles: Vec<Role>,
    is_me: bool,
    role_error: Option<String>,
}

pub async fn show(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = services.users.find(UserId(*id)).await?;
    show_page(&ctx, &services, user, None, StatusCode::OK).await
}

async fn show_page(
    ctx: &PageCtx,
    services: &Services,
    user: User,
    role_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let roles = services.roles.grantable_by(&ctx.actor()?).await?;
    let is_me = ctx.viewer()?.user_id == user.id;
    let layout = ctx.layout(user.name.clone(), "admin");
    render_status(
        status,
        &UserShowPage {
            layout,
            user,
            roles,
            is_me,
            role_error,
        },
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(*id);
    let result = match RoleName::parse(&form.role) {
        Ok(role) => services.users.change_role(&ctx.actor()?, id, &role).await,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.push("role", e.to_string());
            Err(UserError::Invalid(errors))
        }
    };
    match result {
        Ok(user) => Ok(ctx.done(
            format!("{} now has the role {}.", user.email, user.role_name),
            &format!("/admin/users/{id}"),
        )),
        Err(UserError::Invalid(errors)) => {
            let user = services.users.find(id).await?;
            let message = errors.get("role").map(str::to_owned);
            show_page(
                &ctx,
                &services,
                user,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ (UserError::Refused(_) | UserError::Overreach(_))) => {
            let status = match e {
                UserError::Overreach(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            let user = services.users.find(id).await?;
            show_page(&ctx, &services, user, Some(e.to_string()), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
    /// `list` when posted from the user list, which is where the person goes back to.
    #[serde(default)]
    from: String,
}

/// Disable or enable. From htmx it answers the re-rendered table row; otherwise it redirects.
pub async fn set_active(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(*id);
    let active = form.active == "true";
    let me = ctx.viewer()?.user_id;
    let (user, error) = match services.users.set_active(&ctx.actor()?, id, active).await {
        Ok(user) => (user, None),
        Err(UserError::Refused(message)) => {
            (services.users.find(id).await?, Some(message.to_owned()))
        }
        Err(UserError::Overreach(refused)) => {
            (services.users.find(id).await?, Some(refused.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    if is_htmx(&req) {
        return render(&UserRow {
            user: &user,
            csrf: &ctx.csrf,
            me,
            error,
            focus: true,
        });
    }
    match error {
        Some(message) => ctx.flash(FlashKind::Error, message),
        None => ctx.flash(
            FlashKind::Success,
            format!(
                "{} is {}.",
                user.email,
                if user.active {
                    "enabled"
                } else {
                    "disabled and signed out"
                }
            ),
        ),
    }
    let location = if form.from == "list" {
        "/admin/users".to_owned()
    } else {
        format!("/admin/users/{id}")
    };
    Ok(see_other(&location))
}

#[derive(Template)]
#[template(path = "pages/admin/user_password.html")]
struct PasswordPage {
    layout: Layout,
    user: User,
    new_password: Option<String>,
}

/// Without `confirm=yes` it asks first; with it, sets and shows (once) a new random password.
pub async fn reset_password(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(*id);
    if !form.confirmed() {
        let user = services.users.find(id).await?;
        return render(&PasswordPage {
            layout: ctx.layout("Reset password", "admin"),
            user,
            new_password: None,
        });
    }
    let (user, password) = services.users.reset_password(&ctx.actor()?, id).await?;
    render(&PasswordPage {
        layout: ctx.layout("Password reset", "admin"),
        user,
        new_password: Some(password),
    })
}
