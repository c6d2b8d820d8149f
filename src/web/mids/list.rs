//! The MID list: filter, search, sort, paginate, and the inline enable/disable toggle.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::ids::MidId;
use crate::domain::mid::{Mid, MidQuery, MidSort, MidUsage};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::Provider;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{Layout, PageCtx, is_htmx, render};

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    provider: String,
    enabled: String,
    q: String,
    sort: String,
    dir: String,
    page: String,
}

impl ListQuery {
    /// Anything unrecognised falls back to "all" / the default order.
    fn to_query(&self) -> MidQuery {
        MidQuery {
            provider: Provider::from_key(&self.provider),
            enabled: match self.enabled.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            search: self.q.clone(),
            sort: match self.sort.as_str() {
                "provider" => MidSort::Provider,
                "enabled" => MidSort::Enabled,
                "cap" => MidSort::Cap,
                _ => MidSort::Title,
            },
            descending: self.dir == "desc",
        }
    }

    /// The list's URL with these filters and `extra` pairs replacing their keys.
    fn url(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("provider", &self.provider),
            ("enabled", &self.enabled),
            ("q", &self.q),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ];
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        pairs.retain(|(_, v)| !v.is_empty());
        format!(
            "/mids?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The link a column header sorts by: ascending first, then flips.
    fn sort_url(&self, column: &str) -> String {
        let dir = if self.sort == column && self.dir != "desc" {
            "desc"
        } else {
            "asc"
        };
        self.url(&[("sort", column), ("dir", dir), ("page", "")])
    }

    /// The column's `aria-sort`: "ascending", "descending", or "" when the list is not sorted by it.
    fn sort_state(&self, column: &str) -> &'static str {
        match (
            self.sort == column || (column == "title" && self.sort.is_empty()),
            self.dir == "desc",
        ) {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "",
        }
    }

    /// Whether any filter is set, which opens the filter panel.
    fn filtered(&self) -> bool {
        !(self.provider.is_empty() && self.enabled.is_empty() && self.q.is_empty())
    }
}

/// A MID row as the table shows it.
pub struct MidRow {
    pub mid: Mid,
    pub cap: Option<String>,
    pub accepts: String,
    pub profiles: String,
}

impl MidRow {
    pub fn new(mid: Mid, profiles: Vec<String>) -> Self {
        Self {
            cap: mid.monthly_cap.map(|cap| cap.to_string()),
            accepts: mid.accepts.labels().join(", "),
            profiles: profiles.join(", "),
            mid,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/mids/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<MidRow>,
    page: Page<()>,
    query: ListQuery,
    providers: Vec<Provider>,
    pager_base: String,
    csrf: String,
    focus: bool,
}

#[derive(Template)]
#[template(path = "partials/mids/row.html")]
struct RowPartial<'a> {
    row: &'a MidRow,
    csrf: &'a str,
    /// After a toggle the row's button takes focus, so the keyboard stays where it was.
    focus: bool,
}

/// A MID's row, with the profiles that use it among `usages`.
fn row_of(mid: Mid, usages: &[(MidId, MidUsage)]) -> MidRow {
    let names = usages
        .iter()
        .filter(|(id, _)| *id == mid.id)
        .map(|(_, usage)| match usage {
            MidUsage::RoutingProfile(name) => name.clone(),
            MidUsage::RecycleProfile(name) => format!("{name} (recycle billing)"),
            MidUsage::Campaign(name) => format!("{name} (campaign)"),
            MidUsage::Payments => "payments".to_owned(),
        })
        .collect();
    MidRow::new(mid, names)
}

/// A page's rows, with what uses each MID read in one query for the whole page.
async fn rows_of(services: &Services, mids: Vec<Mid>) -> Result<Vec<MidRow>, AppError> {
    let ids: Vec<MidId> = mids.iter().map(|m| m.id).collect();
    let usages = services.mids.usages_of(&ids).await?;
    Ok(mids.into_iter().map(|mid| row_of(mid, &usages)).collect())
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = services
        .mids
        .list(
            &query.to_query(),
            PageRequest::new(query.page.parse().ok(), PageRequest::DEFAULT_SIZE),
        )
        .await?;
    let Page {
        items,
        number,
        size,
        total,
    } = page;
    let rows = rows_of(&services, items).await?;
    let page = ListPage {
        layout: ctx.layout("MIDs", "mids"),
        rows,
        page: Page {
            items: Vec::new(),
            number,
            size,
            total,
        },
        pager_base: format!("{}&", query.url(&[("page", "")])),
        query,
        providers: Provider::all().collect(),
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

/// From htmx: answers the re-rendered row. Without JavaScript: redirects back to the list.
pub async fn set_enabled(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<EnabledForm>,
) -> Result<HttpResponse, AppError> {
    let mid = services
        .mids
        .set_enabled(&ctx.actor()?, MidId(*id), form.enabled == "true")
        .await?;
    if is_htmx(&req) {
        let usages = services.mids.usages_of(&[mid.id]).await?;
        let row = row_of(mid, &usages);
        return render(&RowPartial {
            row: &row,
            csrf: &ctx.csrf,
            focus: true,
        });
    }
    Ok(ctx.done(
        format!(
            "{} is {}.",
            mid.title,
            if mid.enabled { "enabled" } else { "disabled" }
        ),
        "/mids",
    ))
}
