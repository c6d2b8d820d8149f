//! `GET /customers`, "Customer Service" (seed 004, R-CS-8): Advanced Filters and Search
//! Orders. The filters are a plain GET form, so they live in the URL; htmx swaps the results
//! (and the fields' messages, out of band) and pushes the URL. Pages go by keyset on the order
//! id, newest first.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::customer::{SearchDraft, SearchFilters, SearchPage};
use crate::domain::ids::{CampaignId, OrderId};
use crate::domain::order::OrderStatus;
use crate::domain::page::KeysetRequest;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{Layout, PageCtx, is_htmx, render_status};

const PAGE_SIZE: u32 = 25;

/// The fields of the form, in order, with their labels, for the out-of-band messages.
const FIELDS: [&str; 10] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "order_id",
    "last4",
    "from",
    "to",
    "status",
    "campaign",
];

/// The results and what their links need.
pub struct Results {
    pub page: SearchPage,
    pub errors: FieldErrors,
    pub newest_href: Option<String>,
    pub older_href: Option<String>,
    /// Whether any filter was given (no filter: the newest orders).
    pub filtered: bool,
    /// For htmx: the fields' message slots, swapped out of band.
    pub oob: bool,
    pub fields: [&'static str; 10],
}

#[derive(Template)]
#[template(path = "pages/customers/search.html")]
struct SearchPageView {
    layout: Layout,
    draft: SearchDraft,
    campaigns: Vec<(CampaignId, String)>,
    statuses: Vec<OrderStatus>,
    results: Results,
}

#[derive(Template)]
#[template(path = "partials/customers/results.html")]
struct ResultsFragment {
    results: Results,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    #[serde(flatten)]
    draft: SearchDraft,
    after: Option<String>,
}

pub async fn page(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
) -> Result<HttpResponse, AppError> {
    // Read leniently: a malformed `after` is the first page, not a 400.
    let query: SearchQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let draft = query.draft;
    let after = query
        .after
        .as_deref()
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0)
        .map(OrderId);
    let base = match serde_urlencoded::to_string(&draft) {
        Ok(q) if !q.is_empty() => format!("/customers?{q}"),
        _ => "/customers".to_owned(),
    };
    let (results, status) = match SearchFilters::parse(&draft) {
        Ok(filters) => {
            let page = services
                .customers
                .search(
                    &filters,
                    KeysetRequest {
                        after,
                        size: PAGE_SIZE,
                    },
                )
                .await?;
            let sep = if base.contains('?') { '&' } else { '?' };
            let results = Results {
                older_href: page.next.map(|k| format!("{base}{sep}after={k}")),
                newest_href: after.map(|_| base.clone()),
                page,
                errors: FieldErrors::default(),
                filtered: !filters.is_empty(),
                oob: false,
                fields: FIELDS,
            };
            (results, StatusCode::OK)
        }
        Err(errors) => (
            Results {
                page: SearchPage::default(),
                errors,
                newest_href: None,
                older_href: None,
                filtered: true,
                oob: false,
                fields: FIELDS,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    if is_htmx(&req) {
        // 200 either way: htmx swaps the results and the messages (an error status would be
        // answered with a flash instead, by the request-context middleware).
        let body = ResultsFragment {
            results: Results {
                oob: true,
                ..results
            },
        }
        .render()
        .map_err(|e| AppError::Template(e.to_string()))?;
        let pushed = match after {
            Some(k) if status == StatusCode::OK => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}after={k}")
            }
            _ => base,
        };
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("HX-Push-Url", pushed))
            .body(body));
    }
    render_status(
        status,
        &SearchPageView {
            layout: ctx.layout("Customer Service", "customers"),
            draft,
            campaigns: services.customers.campaign_choices().await?,
            statuses: OrderStatus::all().collect(),
            results,
        },
    )
}
