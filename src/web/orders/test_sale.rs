//! "Run a test sale" on a test MID's page (issue #10 item 7): 1.00 authorized with a chosen test
//! card and voided at once, the gateway's answers shown inline (htmx) or on a page of their own
//! without JavaScript.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::card::{Brand, CardNumber};
use crate::domain::ids::MidId;
use crate::domain::test_gateway::test_cards;
use crate::error::AppError;
use crate::services::Services;
use crate::services::orders::{SaleError, TestSale};
use crate::web::page::{Layout, PageCtx, is_htmx, render, render_status};

/// The cards the picker offers: (number, "Visa 4111…1111: approved").
pub fn card_choices() -> Vec<(&'static str, String)> {
    test_cards()
        .filter_map(|(number, scenario)| {
            let card = CardNumber::parse(number).ok()?;
            let brand: Brand = card.bin().brand;
            Some((
                number,
                format!(
                    "{} {} ({}): {}",
                    brand.label(),
                    card.last4(),
                    card.bin().card_type.label(),
                    scenario.label()
                ),
            ))
        })
        .collect()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TestSaleForm {
    card: String,
}

/// What the result shows: the answers, or why nothing ran.
pub struct Outcome {
    pub card: String,
    pub result: Result<TestSale, String>,
}

#[derive(Template)]
#[template(path = "partials/mids/test_sale_result.html")]
struct ResultPartial<'a> {
    outcome: &'a Outcome,
}

#[derive(Template)]
#[template(path = "pages/mids/test_sale.html")]
struct ResultPage<'a> {
    layout: Layout,
    mid_id: MidId,
    outcome: &'a Outcome,
}

pub async fn run(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<TestSaleForm>,
) -> Result<HttpResponse, AppError> {
    let id = MidId(path.parse::<i64>().map_err(|_| AppError::NotFound)?);
    let chosen = test_cards().find(|(number, _)| *number == form.card.trim());
    let outcome = match chosen.map(|(number, _)| CardNumber::parse(number)) {
        Some(Ok(card)) => {
            let label = format!("{} …{}", card.bin().brand.label(), card.last4());
            match services.orders.test_sale(&ctx.actor()?, id, &card).await {
                Ok(sale) => Outcome {
                    card: label,
                    result: Ok(sale),
                },
                Err(SaleError::MidNotFound) => return Err(AppError::NotFound),
                Err(
                    e @ (SaleError::NotATestMid
                    | SaleError::MidDisabled
                    | SaleError::GatewayFailed(_)),
                ) => Outcome {
                    card: label,
                    result: Err(e.to_string()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        _ => Outcome {
            card: String::new(),
            result: Err("Pick one of the test cards.".to_owned()),
        },
    };
    let status = match &outcome.result {
        Ok(_) => actix_web::http::StatusCode::OK,
        Err(_) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    if is_htmx(&req) {
        // htmx swaps 4xx answers too (the portal's htmx configuration), so the message shows
        // where the result would have.
        return render(&ResultPartial { outcome: &outcome });
    }
    let page = ResultPage {
        layout: ctx.layout("Test sale", "mids"),
        mid_id: id,
        outcome: &outcome,
    };
    render_status(status, &page)
}
