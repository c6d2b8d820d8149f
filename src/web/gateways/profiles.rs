//! `/gateways/profiles`: ATRI gateway profiles and cascade profiles.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::profile_form::ProfileForm;
use crate::domain::FieldErrors;
use crate::domain::ids::ProfileId;
use crate::domain::mid::Mid;
use crate::domain::name::matches_search;
use crate::domain::routing::{ProfileKind, RoutingProfile};
use crate::error::AppError;
use crate::services::Services;
use crate::services::routing::ProfileError;
use crate::web::page::{
    ConfirmForm, ConfirmPage, Layout, PageCtx, parse_form, render, render_status,
};

#[derive(Template)]
#[template(path = "pages/gateways/profiles.html")]
struct ProfilesPage {
    layout: Layout,
    profiles: Vec<RoutingProfile>,
    query: ListQuery,
    kinds: Vec<ProfileKind>,
}

/// The list's filters, kept in the URL.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    kind: String,
}

impl ListQuery {
    fn filtered(&self) -> bool {
        !(self.q.trim().is_empty() && self.kind.is_empty())
    }

    fn keeps(&self, profile: &RoutingProfile) -> bool {
        matches_search(&profile.name, &self.q)
            && ProfileKind::from_key(&self.kind).is_none_or(|kind| kind == profile.kind)
    }
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    // A merchant has a handful of routing profiles, each shown whole: no paging needed.
    let profiles = services
        .routing
        .list()
        .await?
        .into_iter()
        .filter(|p| query.keeps(p))
        .collect();
    render(&ProfilesPage {
        layout: ctx.layout("Routing profiles", "gateways"),
        profiles,
        query,
        kinds: ProfileKind::all().collect(),
    })
}

/// One MID row of the profile form.
struct MemberRow {
    mid: Mid,
    included: bool,
    weight: String,
    position: String,
}

#[derive(Template)]
#[template(path = "pages/gateways/profile_form.html")]
struct ProfileFormPage {
    layout: Layout,
    profile_id: Option<ProfileId>,
    form: ProfileForm,
    kind: Option<ProfileKind>,
    rows: Vec<MemberRow>,
    errors: FieldErrors,
}

async fn form_page(
    ctx: &PageCtx,
    services: &Services,
    profile_id: Option<ProfileId>,
    form: ProfileForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let kind = ProfileKind::from_key(&form.kind);
    let rows = services
        .mids
        .all()
        .await?
        .into_iter()
        .map(|mid| MemberRow {
            included: form.included(mid.id),
            weight: non_empty(form.weight(mid.id), "1"),
            position: form.position(mid.id).to_owned(),
            mid,
        })
        .collect();
    let title = match (profile_id, kind) {
        (Some(_), _) => "Edit routing profile".to_owned(),
        (None, Some(k)) => format!("New {}", k.label().to_lowercase()),
        (None, None) => "New routing profile".to_owned(),
    };
    let page = ProfileFormPage {
        layout: ctx.layout(title, "gateways"),
        profile_id,
        form,
        kind,
        rows,
        errors,
    };
    render_status(status, &page)
}

fn non_empty(value: &str, default: &str) -> String {
    if value.trim().is_empty() {
        default.to_owned()
    } else {
        value.to_owned()
    }
}

#[derive(Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    kind: String,
}

pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = ProfileKind::from_key(&query.kind).unwrap_or(ProfileKind::Cascade);
    let form = ProfileForm {
        kind: kind.key().to_owned(),
        ..ProfileForm::default()
    };
    form_page(
        &ctx,
        &services,
        None,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn save(
    ctx: PageCtx,
    services: &Services,
    profile_id: Option<ProfileId>,
    form: ProfileForm,
) -> Result<HttpResponse, AppError> {
    let offered: Vec<_> = services
        .mids
        .all()
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let result = match form.draft(&offered) {
        Ok(draft) => match profile_id {
            Some(id) => services
                .routing
                .update(&ctx.actor()?, id, &draft)
                .await
                .map(|()| id),
            None => services.routing.create(&ctx.actor()?, &draft).await,
        },
        Err(errors) => Err(ProfileError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(ctx.done(
            format!("Profile {} saved.", form.name.trim()),
            "/gateways/profiles",
        )),
        Err(ProfileError::Invalid(errors)) => {
            form_page(
                &ctx,
                services,
                profile_id,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(ctx, &services, None, parse_form::<ProfileForm>(&body)?).await
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let profile = services.routing.find(ProfileId(*id)).await?;
    let mut form = ProfileForm {
        name: profile.name.clone(),
        kind: profile.kind.key().to_owned(),
        ..ProfileForm::default()
    };
    for m in &profile.members {
        form.rows
            .insert(format!("include_{}", m.mid_id), "on".to_owned());
        form.rows
            .insert(format!("weight_{}", m.mid_id), m.weight.to_string());
        form.rows
            .insert(format!("position_{}", m.mid_id), m.position.to_string());
    }
    form_page(
        &ctx,
        &services,
        Some(profile.id),
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let profile = services.routing.find(ProfileId(*id)).await?;
    save(
        ctx,
        &services,
        Some(profile.id),
        parse_form::<ProfileForm>(&body)?,
    )
    .await
}

pub async fn delete(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let profile = services.routing.find(ProfileId(*id)).await?;
    if !form.confirmed() {
        let page = ConfirmPage {
            layout: ctx.layout("Delete profile", "gateways"),
            heading: format!("Delete the profile {}?", profile.name),
            message:
                "Its MIDs stay; MIDs using it as their direct cascade profile lose that setting."
                    .to_owned(),
            blockers: Vec::new(),
            action: format!("/gateways/profiles/{}/delete", profile.id),
            button: "Delete profile",
            back: "/gateways/profiles".to_owned(),
        };
        return render(&page);
    }
    services.routing.delete(&ctx.actor()?, profile.id).await?;
    Ok(ctx.done(
        format!("Profile {} deleted.", profile.name),
        "/gateways/profiles",
    ))
}
