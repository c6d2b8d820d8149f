//! The product list (filter, search, sort, paginate), the inline enable/disable toggle, and
//! archiving with a confirmation.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{ListLinks, yes_no};
use crate::domain::catalogue::{ProductQuery, ProductSort, StoredProduct};
use crate::domain::ids::ProductId;
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{ConfirmForm, ConfirmPage, Layout, PageCtx, is_htmx, render};

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    /// "recurring", "one_off" or "" (both).
    kind: String,
    enabled: String,
    /// "show" lists archived products too.
    archived: String,
    sort: String,
    dir: String,
    page: String,
}

impl ListQuery {
    /// Anything unrecognised falls back to "all" / the default order.
    fn to_query(&self) -> ProductQuery {
        ProductQuery {
            search: self.q.clone(),
            recurring: match self.kind.as_str() {
                "recurring" => Some(true),
                "one_off" => Some(false),
                _ => None,
            },
            enabled: yes_no(&self.enabled),
            archived: self.archived == "show",
            sort: match self.sort.as_str() {
                "sku" => ProductSort::Sku,
                "price" => ProductSort::Price,
                "enabled" => ProductSort::Enabled,
                _ => ProductSort::Name,
            },
            descending: self.dir == "desc",
        }
    }

    fn links(&self) -> ListLinks<'_> {
        ListLinks {
            base: "/products",
            filters: vec![
                ("q", &self.q),
                ("kind", &self.kind),
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
            && self.kind.is_empty()
            && self.enabled.is_empty()
            && self.archived.is_empty())
    }
}

/// A product row as the table shows it.
pub struct ProductRow {
    pub product: StoredProduct,
    pub price: String,
    /// "One-off", or "Every 30 days" with its trial.
    pub billing: String,
    /// The options' names (with their own prices), or "" for none.
    pub options: String,
}

impl ProductRow {
    pub fn new(product: StoredProduct) -> Self {
        let p = &product.product;
        let mut billing = match p.cycle_days {
            None => "One-off".to_owned(),
            Some(1) => "Every day".to_owned(),
            Some(days) => format!("Every {days} days"),
        };
        if let Some(trial) = p.trial {
            if trial.price.amount().get() == 0 {
                billing.push_str(&format!(", free {}-day trial", trial.days));
            } else {
                billing.push_str(&format!(", {}-day trial at {}", trial.days, trial.price));
            }
        }
        let options = p
            .options
            .iter()
            .map(|o| match o.price {
                Some(price) => format!("{} ({price})", o.name),
                None => o.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            price: p.price.to_string(),
            billing,
            options,
            product,
        }
    }

    pub fn id(&self) -> ProductId {
        self.product.id
    }

    pub fn name(&self) -> &str {
        &self.product.product.name
    }
}

#[derive(Template)]
#[template(path = "pages/catalogue/products.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ProductRow>,
    page: Page<()>,
    query: ListQuery,
    pager_base: String,
    csrf: String,
    focus: bool,
}

#[derive(Template)]
#[template(path = "partials/catalogue/product_row.html")]
struct RowPartial<'a> {
    row: &'a ProductRow,
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
        .list_products(
            &query.to_query(),
            PageRequest::new(query.page.parse().ok(), PageRequest::DEFAULT_SIZE),
        )
        .await?;
    let page = ListPage {
        layout: ctx.layout("Products", "catalogue"),
        rows: items.into_iter().map(ProductRow::new).collect(),
        page: Page {
            items: Vec::new(),
            number,
            size,
            total,
        },
        pager_base: query.links().pager_base(),
        query,
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
    let product = services
        .catalogue
        .set_product_enabled(&ctx.actor()?, ProductId(*id), form.enabled == "true")
        .await?;
    let row = ProductRow::new(product);
    if is_htmx(&req) {
        return render(&RowPartial {
            row: &row,
            csrf: &ctx.csrf,
            focus: true,
        });
    }
    let state = if row.product.enabled {
        "enabled"
    } else {
        "disabled"
    };
    Ok(ctx.done(format!("{} is {state}.", row.name()), "/products"))
}

/// Without `confirm=yes` it asks first, naming the campaigns that stop selling the product.
pub async fn archive(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let product = services.catalogue.find_product(ProductId(*id)).await?;
    let name = product.product.name.clone();
    if product.archived {
        return Ok(ctx.done(format!("{name} is already archived."), "/products"));
    }
    if !form.confirmed() {
        let campaigns: Vec<String> = services
            .catalogue
            .campaigns_offering(product.id)
            .await?
            .into_iter()
            .filter(|c| !c.archived)
            .map(|c| format!("“{}”", c.name))
            .collect();
        let mut message = "It leaves the product list and is sold no more; orders and subscriptions that have it keep it. It cannot be added to a campaign again, and archiving cannot be undone.".to_owned();
        match campaigns.as_slice() {
            [] => {}
            [one] => message.push_str(&format!(
                " The campaign {one} stops selling it and shows it as archived until you take it out."
            )),
            many => message.push_str(&format!(
                " The campaigns {} stop selling it and show it as archived until you take it out.",
                many.join(", ")
            )),
        }
        let page = ConfirmPage {
            layout: ctx.layout("Archive product", "catalogue"),
            heading: format!("Archive the product {name}?"),
            message,
            blockers: Vec::new(),
            action: format!("/products/{}/archive", product.id),
            button: "Archive product",
            back: "/products".to_owned(),
        };
        return render(&page);
    }
    services
        .catalogue
        .archive_product(&ctx.actor()?, product.id)
        .await?;
    Ok(ctx.done(format!("Product {name} archived."), "/products"))
}
