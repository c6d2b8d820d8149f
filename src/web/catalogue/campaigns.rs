//! The campaign list (filter, search, sort, paginate), the inline enable/disable toggle, and
//! archiving with a confirmation.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{ListLinks, yes_no};
use crate::domain::catalogue::{CampaignListing, CampaignQuery, CampaignSort, SalesRoute};
use crate::domain::ids::CampaignId;
use crate::domain::money::Currency;
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{ConfirmForm, ConfirmPage, Layout, PageCtx, is_htmx, render};

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    currency: String,
    enabled: String,
    /// "show" lists archived campaigns too.
    archived: String,
    sort: String,
    dir: String,
    page: String,
}

impl ListQuery {
    /// Anything unrecognised falls back to "all" / the default order.
    fn to_query(&self) -> CampaignQuery {
        CampaignQuery {
            search: self.q.clone(),
            currency: Currency::from_code(&self.currency),
            enabled: yes_no(&self.enabled),
            archived: self.archived == "show",
            sort: match self.sort.as_str() {
                "currency" => CampaignSort::Currency,
                "enabled" => CampaignSort::Enabled,
                _ => CampaignSort::Name,
            },
            descending: self.dir == "desc",
        }
    }

    fn links(&self) -> ListLinks<'_> {
        ListLinks {
            base: "/campaigns",
            filters: vec![
                ("q", &self.q),
                ("currency", &self.currency),
                ("enabled", &self.enabled),
                ("archived", &self.archived),
            ],
            sort: &self.sort,
            dir: &self.dir,
            default_sort: "name",
        }
    }

    fn sort_url(&self, column: &str) -> String {
        self.links().sort_url(column)
    }

    fn sort_state(&self, column: &str) -> &'static str {
        self.links().sort_state(column)
    }

    /// Whether any filter is set, which opens the filter panel.
    fn filtered(&self) -> bool {
        !(self.q.is_empty()
            && self.currency.is_empty()
            && self.enabled.is_empty()
            && self.archived.is_empty())
    }
}

/// A campaign row as the table shows it.
pub struct CampaignRow {
    pub campaign: CampaignListing,
}

impl CampaignRow {
    pub fn id(&self) -> CampaignId {
        self.campaign.id
    }

    pub fn name(&self) -> &str {
        &self.campaign.name
    }

    pub fn is_atri(&self) -> bool {
        matches!(self.campaign.route, SalesRoute::Atri(_))
    }
}

#[derive(Template)]
#[template(path = "pages/catalogue/campaigns.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<CampaignRow>,
    page: Page<()>,
    query: ListQuery,
    currencies: Vec<Currency>,
    pager_base: String,
    csrf: String,
    focus: bool,
}

#[derive(Template)]
#[template(path = "partials/catalogue/campaign_row.html")]
struct RowPartial<'a> {
    row: &'a CampaignRow,
    csrf: &'a str,
    /// After a toggle the row's button takes focus, so the keyboard stays where it was.
    focus: bool,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let Page {
        items,
        number,
        size,
        total,
    } = services
        .catalogue
        .list_campaigns(
            &query.to_query(),
            PageRequest::new(query.page.parse().ok(), PageRequest::DEFAULT_SIZE),
        )
        .await?;
    let page = ListPage {
        layout: ctx.layout("Campaigns", "catalogue"),
        rows: items
            .into_iter()
            .map(|campaign| CampaignRow { campaign })
            .collect(),
        page: Page {
            items: Vec::new(),
            number,
            size,
            total,
        },
        pager_base: query.links().pager_base(),
        query,
        currencies: Currency::all().collect(),
        csrf: ctx.csrf.clone(),
        focus: false,
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

/// The campaign's row as the list shows it (one query for its route's name and product count).
async fn row_of(services: &Services, id: CampaignId) -> Result<CampaignRow, AppError> {
    let campaign = services.catalogue.listing(id).await?;
    Ok(CampaignRow { campaign })
}

/// From htmx: answers the re-rendered row. Without JavaScript: redirects back to the list.
pub async fn set_enabled(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<EnabledForm>,
) -> Result<HttpResponse, AppError> {
    let campaign = services
        .catalogue
        .set_campaign_enabled(&ctx.actor()?, CampaignId(*id), form.enabled == "true")
        .await?;
    if is_htmx(&req) {
        let row = row_of(&services, campaign.id).await?;
        return render(&RowPartial {
            row: &row,
            csrf: &ctx.csrf,
            focus: true,
        });
    }
    let state = if campaign.enabled {
        "enabled"
    } else {
        "disabled"
    };
    Ok(ctx.done(format!("{} is {state}.", campaign.name), "/campaigns"))
}

/// Without `confirm=yes` it asks first.
pub async fn archive(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let campaign = services.catalogue.find_campaign(CampaignId(*id)).await?;
    if campaign.archived {
        return Ok(ctx.done(
            format!("{} is already archived.", campaign.name),
            "/campaigns",
        ));
    }
    if !form.confirmed() {
        let page = ConfirmPage {
            layout: ctx.layout("Archive campaign", "catalogue"),
            heading: format!("Archive the campaign {}?", campaign.name),
            message: "It takes no new sales and leaves the campaign list. Its orders and subscriptions stay as they are. Archiving cannot be undone.".to_owned(),
            blockers: Vec::new(),
            action: format!("/campaigns/{}/archive", campaign.id),
            button: "Archive campaign",
            back: "/campaigns".to_owned(),
        };
        return render(&page);
    }
    services
        .catalogue
        .archive_campaign(&ctx.actor()?, campaign.id)
        .await?;
    Ok(ctx.done(
        format!("Campaign {} archived.", campaign.name),
        "/campaigns",
    ))
}
