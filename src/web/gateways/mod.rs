//! `/gateways`: gateway integrations, routing profiles, decline message mapping and the PrePaid BIN
//! mapping.

pub mod bins;
pub mod decline_mapping;
mod mapping_form;
mod profile_form;

pub use profile_form::ProfileForm;
pub mod profiles;

use actix_web::HttpResponse;
use askama::Template;

use crate::domain::provider::Provider;
use crate::error::AppError;
use crate::web::page::{Layout, PageCtx, render};

#[derive(Template)]
#[template(path = "pages/gateways/index.html")]
struct GatewaysPage {
    layout: Layout,
    providers: Vec<Provider>,
}

pub async fn index(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render(&GatewaysPage {
        layout: ctx.layout("Gateways", "gateways"),
        providers: Provider::all().collect(),
    })
}
