//! The catalogue tables: `products` with `product_options`, and `campaigns` with
//! `campaign_products` and `campaign_notify_emails`. Every function that returns products loads
//! their options in one more query, and every one that returns campaigns their products and
//! notify addresses in two more, whatever the number of rows: never one query per row.

use chrono::{DateTime, Utc};
use const_format::concatcp;

use super::{Conn, DbError, Dialect, on_conn};
use crate::domain::catalogue::{
    CYCLE_MAX_DAYS, Campaign, CampaignListing, CampaignQuery, CampaignSort, Product, ProductOption,
    ProductQuery, ProductSort, SalesRoute, StoredProduct, TRIAL_MAX_DAYS, Trial,
};
use crate::domain::contact::Email;
use crate::domain::ids::{CampaignId, MidId, ProductId, ProfileId};
use crate::domain::money::{Currency, MinorUnits, Money};
use crate::domain::page::{Page, PageRequest};

// ---------------------------------------------------------------------------------------------
// Products

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    name: String,
    sku: String,
    currency: String,
    price_minor: i64,
    trial_days: Option<i64>,
    trial_price_minor: Option<i64>,
    cycle_days: Option<i64>,
    shippable: bool,
    enabled: bool,
    archived: bool,
}

#[derive(sqlx::FromRow)]
struct OptionRow {
    product_id: i64,
    name: String,
    price_minor: Option<i64>,
}

/// An amount stored in `column` of product `id`: never negative.
fn stored_money(
    id: i64,
    column: &'static str,
    minor: i64,
    currency: Currency,
) -> Result<Money, DbError> {
    if minor < 0 {
        return Err(DbError::corrupt("products", id, column, minor));
    }
    Ok(Money::new(MinorUnits::from_minor(minor), currency))
}

/// A whole number of days in `range`, as the schema's CHECK allows.
fn stored_days(id: i64, column: &'static str, days: i64, max: u32) -> Result<u32, DbError> {
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=max).contains(d))
        .ok_or_else(|| DbError::corrupt("products", id, column, days))
}

impl ProductRow {
    /// The product with its options (those of `options` that belong to it, in order).
    fn into_stored(self, options: &[OptionRow]) -> Result<StoredProduct, DbError> {
        let id = self.id;
        let currency = Currency::from_code(&self.currency)
            .ok_or_else(|| DbError::corrupt("products", id, "currency", &self.currency))?;
        let trial = match (self.trial_days, self.trial_price_minor) {
            (None, None) => None,
            (Some(days), Some(price)) => Some(Trial {
                days: stored_days(id, "trial_days", days, TRIAL_MAX_DAYS)?,
                price: stored_money(id, "trial_price_minor", price, currency)?,
            }),
            (days, _) => {
                return Err(DbError::corrupt(
                    "products",
                    id,
                    "trial_days",
                    format!("{days:?} without its trial price"),
                ));
            }
        };
        let cycle_days = self
            .cycle_days
            .map(|d| stored_days(id, "cycle_days", d, CYCLE_MAX_DAYS))
            .transpose()?;
        let options = options
            .iter()
            .filter(|o| o.product_id == id)
            .map(|o| {
                Ok(ProductOption {
                    name: o.name.clone(),
                    price: o
                        .price_minor
                        .map(|p| stored_money(id, "product_options.price_minor", p, currency))
                        .transpose()?,
                })
            })
            .collect::<Result<_, DbError>>()?;
        Ok(StoredProduct {
            id: ProductId(id),
            product: Product {
                name: self.name,
                sku: self.sku,
                price: stored_money(id, "price_minor", self.price_minor, currency)?,
                trial,
                cycle_days,
                options,
                shippable: self.shippable,
            },
            enabled: self.enabled,
            archived: self.archived,
        })
    }
}

const PRODUCT_SELECT: &str = "SELECT p.id, p.name, p.sku, p.currency, p.price_minor, p.trial_days, \
     p.trial_price_minor, p.cycle_days, p.shippable, p.enabled, p.archived_at IS NOT NULL AS archived \
     FROM products p";

/// `ids` as one JSON array, which each backend reads as rows (one statement for any number).
fn json_ids(ids: impl Iterator<Item = i64>) -> String {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    format!("[{}]", ids.join(","))
}

/// The SQL that reads the JSON array bound as `$1` as a set of ids.
macro_rules! ids_in {
    (sqlite) => {
        "(SELECT value FROM json_each($1))"
    };
    (postgres) => {
        "(SELECT jsonb_array_elements_text($1::jsonb)::bigint)"
    };
}

/// The options of the products `ids`, in one query.
async fn options_of(conn: impl Into<Conn<'_>>, ids: &[i64]) -> Result<Vec<OptionRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let conn: Conn<'_> = conn.into();
    const HEAD: &str =
        "SELECT product_id, name, price_minor FROM product_options WHERE product_id IN ";
    const TAIL: &str = " ORDER BY product_id, position";
    let sql: &'static str = match conn.dialect() {
        Dialect::Sqlite => concatcp!(HEAD, ids_in!(sqlite), TAIL),
        Dialect::Postgres => concatcp!(HEAD, ids_in!(postgres), TAIL),
    };
    let ids = json_ids(ids.iter().copied());
    Ok(on_conn!(conn, c => sqlx::query_as(sql).bind(&ids).fetch_all(c).await)?)
}

/// Products read by one query, completed with their options by a second.
async fn with_options(
    conn: impl Into<Conn<'_>>,
    rows: Vec<ProductRow>,
) -> Result<Vec<StoredProduct>, DbError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let options = options_of(conn, &ids).await?;
    rows.into_iter().map(|r| r.into_stored(&options)).collect()
}

pub async fn find_product(
    conn: impl Into<Conn<'_>>,
    id: ProductId,
) -> Result<Option<StoredProduct>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(PRODUCT_SELECT, " WHERE p.id = $1");
    let rows: Vec<ProductRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_all(c).await)?;
    Ok(with_options(&mut conn, rows).await?.into_iter().next())
}

/// The products `ids` (those that exist, archived or not), by id, with their options: two
/// queries whatever the number of ids.
pub async fn products_by_ids(
    conn: impl Into<Conn<'_>>,
    ids: &[ProductId],
) -> Result<Vec<StoredProduct>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn: Conn<'_> = conn.into();
    const TAIL: &str = " ORDER BY p.id";
    let sql: &'static str = match conn.dialect() {
        Dialect::Sqlite => concatcp!(PRODUCT_SELECT, " WHERE p.id IN ", ids_in!(sqlite), TAIL),
        Dialect::Postgres => {
            concatcp!(PRODUCT_SELECT, " WHERE p.id IN ", ids_in!(postgres), TAIL)
        }
    };
    let json = json_ids(ids.iter().map(|id| id.0));
    let rows: Vec<ProductRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(sql).bind(&json).fetch_all(c).await)?;
    with_options(&mut conn, rows).await
}

const PRODUCT_WHERE: &str = " WHERE ($1 = '' OR LOWER(p.name) LIKE $2 ESCAPE '\\' OR LOWER(p.sku) LIKE $2 ESCAPE '\\') \
     AND ($3 = 0 OR (p.cycle_days IS NOT NULL) = $4) AND ($5 = 0 OR p.enabled = $6) \
     AND ($7 = 1 OR p.archived_at IS NULL)";

/// Binds a [`ProductQuery`]'s filters as `$1`..`$7` of [`PRODUCT_WHERE`].
macro_rules! bind_product_filters {
    ($query:expr, $f:expr) => {
        $query
            .bind(&$f.search)
            .bind(&$f.pattern)
            .bind($f.has_recurring)
            .bind($f.recurring)
            .bind($f.has_enabled)
            .bind($f.enabled)
            .bind($f.archived)
    };
}

/// A list query's filters as bound values.
struct Filters {
    search: String,
    pattern: String,
    has_recurring: i32,
    recurring: bool,
    has_enabled: i32,
    enabled: bool,
    archived: i32,
    currency: &'static str,
}

impl Filters {
    fn new(search: &str, enabled: Option<bool>, archived: bool) -> Self {
        let search = search.trim().to_lowercase();
        Self {
            pattern: super::users::like_pattern(&search),
            search,
            has_recurring: 0,
            recurring: false,
            has_enabled: i32::from(enabled.is_some()),
            enabled: enabled.unwrap_or(true),
            archived: i32::from(archived),
            currency: "",
        }
    }
}

/// A page of the product list, with options: three queries (rows, count, options).
pub async fn list_products(
    conn: impl Into<Conn<'_>>,
    query: &ProductQuery,
    page: PageRequest,
) -> Result<Page<StoredProduct>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    // One static statement per sort order: the ORDER BY is chosen, never built from input.
    macro_rules! sorted {
        ($order:literal) => {
            concatcp!(
                PRODUCT_SELECT,
                PRODUCT_WHERE,
                " ORDER BY ",
                $order,
                ", LOWER(p.name), p.id LIMIT $8 OFFSET $9"
            )
        };
    }
    let sql: &'static str = match (query.sort, query.descending) {
        (ProductSort::Name, false) => sorted!("LOWER(p.name) ASC"),
        (ProductSort::Name, true) => sorted!("LOWER(p.name) DESC"),
        (ProductSort::Sku, false) => sorted!("LOWER(p.sku) ASC"),
        (ProductSort::Sku, true) => sorted!("LOWER(p.sku) DESC"),
        (ProductSort::Price, false) => sorted!("p.currency ASC, p.price_minor ASC"),
        (ProductSort::Price, true) => sorted!("p.currency DESC, p.price_minor DESC"),
        (ProductSort::Enabled, false) => sorted!("p.enabled DESC"),
        (ProductSort::Enabled, true) => sorted!("p.enabled ASC"),
    };
    const COUNT: &str = concatcp!("SELECT COUNT(*) FROM products p", PRODUCT_WHERE);
    let mut filters = Filters::new(&query.search, query.enabled, query.archived);
    filters.has_recurring = i32::from(query.recurring.is_some());
    filters.recurring = query.recurring.unwrap_or(true);
    let rows: Vec<ProductRow> = on_conn!(conn.reborrow(), c => bind_product_filters!(sqlx::query_as(sql), filters)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(c)
        .await)?;
    let total: i64 = on_conn!(conn.reborrow(), c => bind_product_filters!(sqlx::query_scalar(COUNT), filters)
        .fetch_one(c)
        .await)?;
    Ok(Page {
        items: with_options(&mut conn, rows).await?,
        number: page.number,
        size: page.size,
        total,
    })
}

/// The products a campaign form offers: every one not archived, and the archived ones
/// `campaign` already offers, by name.
pub async fn selectable_products(
    conn: impl Into<Conn<'_>>,
    campaign: Option<CampaignId>,
) -> Result<Vec<StoredProduct>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(
        PRODUCT_SELECT,
        " WHERE p.archived_at IS NULL OR p.id IN \
         (SELECT product_id FROM campaign_products WHERE campaign_id = $1) ORDER BY LOWER(p.name), p.id"
    );
    let rows: Vec<ProductRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
        .bind(campaign.map_or(0, |c| c.0))
        .fetch_all(c)
        .await)?;
    with_options(&mut conn, rows).await
}

/// Binds a product's columns, in the order both statements below share.
macro_rules! bind_product {
    ($query:expr, $p:expr) => {
        $query
            .bind(&$p.name)
            .bind(&$p.sku)
            .bind($p.currency().code())
            .bind($p.price.amount().get())
            .bind($p.trial.map(|t| i64::from(t.days)))
            .bind($p.trial.map(|t| t.price.amount().get()))
            .bind($p.cycle_days.map(i64::from))
            .bind($p.shippable)
    };
}

pub async fn insert_product(
    conn: impl Into<Conn<'_>>,
    product: &Product,
    now: DateTime<Utc>,
) -> Result<ProductId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO products (name, sku, currency, price_minor, trial_days, trial_price_minor, \
         cycle_days, shippable, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => bind_product!(sqlx::query_scalar(SQL), product)
        .bind(now)
        .fetch_one(c)
        .await)?;
    replace_options(&mut conn, ProductId(id), &product.options).await?;
    Ok(ProductId(id))
}

pub async fn update_product(
    conn: impl Into<Conn<'_>>,
    id: ProductId,
    product: &Product,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE products SET name = $1, sku = $2, currency = $3, price_minor = $4, trial_days = $5, \
         trial_price_minor = $6, cycle_days = $7, shippable = $8, updated_at = $9 WHERE id = $10";
    on_conn!(conn.reborrow(), c => bind_product!(sqlx::query(SQL), product)
        .bind(now)
        .bind(id.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    replace_options(&mut conn, id, &product.options).await
}

async fn replace_options(
    conn: impl Into<Conn<'_>>,
    id: ProductId,
    options: &[ProductOption],
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const DELETE: &str = "DELETE FROM product_options WHERE product_id = $1";
    const INSERT: &str = "INSERT INTO product_options (product_id, position, name, price_minor) VALUES ($1, $2, $3, $4)";
    on_conn!(conn.reborrow(), c => sqlx::query(DELETE).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    for (position, option) in (1_i64..).zip(options) {
        on_conn!(conn.reborrow(), c => sqlx::query(INSERT)
            .bind(id.0)
            .bind(position)
            .bind(&option.name)
            .bind(option.price.map(|p| p.amount().get()))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn set_product_enabled(
    conn: impl Into<Conn<'_>>,
    id: ProductId,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE products SET enabled = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(enabled).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn archive_product(
    conn: impl Into<Conn<'_>>,
    id: ProductId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE products SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A record that already holds a unique value: its name, and whether it is archived.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub name: String,
    pub archived: bool,
}

/// The product other than `except` whose SKU is `sku` in any case, if any.
pub async fn sku_holder(
    conn: impl Into<Conn<'_>>,
    sku: &str,
    except: Option<ProductId>,
) -> Result<Option<Holder>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT name, archived_at IS NOT NULL AS archived FROM products \
                       WHERE LOWER(sku) = LOWER($1) AND id <> $2";
    Ok(on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
        .bind(sku)
        .bind(except.map_or(0, |p| p.0))
        .fetch_optional(c)
        .await)?)
}

/// A campaign that offers a product, as messages name it.
#[derive(Debug, Clone)]
pub struct Offering {
    pub campaign: CampaignId,
    pub name: String,
    pub currency: Currency,
    pub archived: bool,
}

/// The campaigns that offer `product`, by name.
pub async fn campaigns_offering(
    conn: impl Into<Conn<'_>>,
    product: ProductId,
) -> Result<Vec<Offering>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT c.id, c.name, c.currency, c.archived_at IS NOT NULL AS archived \
         FROM campaign_products cp JOIN campaigns c ON c.id = cp.campaign_id \
         WHERE cp.product_id = $1 ORDER BY LOWER(c.name), c.id";
    let rows: Vec<(i64, String, String, bool)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(product.0).fetch_all(c).await)?;
    rows.into_iter()
        .map(|(id, name, code, archived)| {
            Ok(Offering {
                campaign: CampaignId(id),
                currency: Currency::from_code(&code)
                    .ok_or_else(|| DbError::corrupt("campaigns", id, "currency", &code))?,
                name,
                archived,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Campaigns

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    currency: String,
    mid_id: Option<i64>,
    atri_profile_id: Option<i64>,
    recycling: bool,
    welcome_subject: String,
    welcome_body: String,
    enabled: bool,
    archived: bool,
}

fn campaign_currency(id: i64, code: &str) -> Result<Currency, DbError> {
    Currency::from_code(code).ok_or_else(|| DbError::corrupt("campaigns", id, "currency", code))
}

/// Exactly one of the two route columns is set (the schema's CHECK says so too).
fn campaign_route(id: i64, mid: Option<i64>, atri: Option<i64>) -> Result<SalesRoute, DbError> {
    match (mid, atri) {
        (Some(mid), None) => Ok(SalesRoute::Mid(MidId(mid))),
        (None, Some(profile)) => Ok(SalesRoute::Atri(ProfileId(profile))),
        (mid, atri) => Err(DbError::corrupt(
            "campaigns",
            id,
            "mid_id",
            format!("mid {mid:?} with ATRI profile {atri:?}"),
        )),
    }
}

impl CampaignRow {
    fn into_campaign(
        self,
        products: &[(i64, i64)],
        notify: &[(i64, String)],
    ) -> Result<Campaign, DbError> {
        let id = self.id;
        let notify = notify
            .iter()
            .filter(|(c, _)| *c == id)
            .map(|(_, email)| {
                Email::parse(email)
                    .map_err(|_| DbError::corrupt("campaign_notify_emails", id, "email", email))
            })
            .collect::<Result<_, _>>()?;
        Ok(Campaign {
            id: CampaignId(id),
            currency: campaign_currency(id, &self.currency)?,
            route: campaign_route(id, self.mid_id, self.atri_profile_id)?,
            name: self.name,
            products: products
                .iter()
                .filter(|(c, _)| *c == id)
                .map(|(_, p)| ProductId(*p))
                .collect(),
            recycling: self.recycling,
            notify,
            welcome_subject: self.welcome_subject,
            welcome_body: self.welcome_body,
            enabled: self.enabled,
            archived: self.archived,
        })
    }
}

/// The three statements that read the campaigns matching `$filter` (over `campaigns c`), their
/// products and their notify addresses.
macro_rules! campaign_sql {
    ($filter:literal) => {
        (
            concatcp!(
                "SELECT c.id, c.name, c.currency, c.mid_id, c.atri_profile_id, c.recycling, c.welcome_subject, \
                 c.welcome_body, c.enabled, c.archived_at IS NOT NULL AS archived FROM campaigns c WHERE ",
                $filter,
                " ORDER BY LOWER(c.name), c.id"
            ),
            concatcp!(
                "SELECT cp.campaign_id, cp.product_id FROM campaign_products cp \
                 JOIN campaigns c ON c.id = cp.campaign_id WHERE ",
                $filter,
                " ORDER BY cp.campaign_id, cp.position"
            ),
            concatcp!(
                "SELECT n.campaign_id, n.email FROM campaign_notify_emails n \
                 JOIN campaigns c ON c.id = n.campaign_id WHERE ",
                $filter,
                " ORDER BY n.campaign_id, n.position"
            ),
        )
    };
}

/// Campaigns with their products and notify addresses in three queries; `id` is bound as `$1`
/// when the statements take it.
async fn load_campaigns(
    conn: impl Into<Conn<'_>>,
    sql: (&'static str, &'static str, &'static str),
    id: Option<CampaignId>,
) -> Result<Vec<Campaign>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let (campaigns, products, notify) = sql;
    macro_rules! fetch {
        ($sql:expr) => {
            match id {
                Some(id) => on_conn!(conn.reborrow(), c => sqlx::query_as($sql).bind(id.0).fetch_all(c).await),
                None => on_conn!(conn.reborrow(), c => sqlx::query_as($sql).fetch_all(c).await),
            }
        };
    }
    let rows: Vec<CampaignRow> = fetch!(campaigns)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let products: Vec<(i64, i64)> = fetch!(products)?;
    let notify: Vec<(i64, String)> = fetch!(notify)?;
    rows.into_iter()
        .map(|r| r.into_campaign(&products, &notify))
        .collect()
}

pub async fn find_campaign(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
) -> Result<Option<Campaign>, DbError> {
    let sql = campaign_sql!("c.id = $1");
    Ok(load_campaigns(conn, sql, Some(id))
        .await?
        .into_iter()
        .next())
}

/// Every campaign that takes new sales (enabled, not archived), by name.
pub async fn campaigns_on_sale(conn: impl Into<Conn<'_>>) -> Result<Vec<Campaign>, DbError> {
    let sql = campaign_sql!("c.enabled = TRUE AND c.archived_at IS NULL");
    load_campaigns(conn, sql, None).await
}

/// The products on sale (enabled, not archived) that some campaign on sale offers, with their
/// options: two queries.
pub async fn products_on_sale_in_campaigns(
    conn: impl Into<Conn<'_>>,
) -> Result<Vec<StoredProduct>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(
        PRODUCT_SELECT,
        " WHERE p.enabled = TRUE AND p.archived_at IS NULL AND p.id IN \
         (SELECT cp.product_id FROM campaign_products cp JOIN campaigns c ON c.id = cp.campaign_id \
         WHERE c.enabled = TRUE AND c.archived_at IS NULL) ORDER BY p.id"
    );
    let rows: Vec<ProductRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).fetch_all(c).await)?;
    with_options(&mut conn, rows).await
}

#[derive(sqlx::FromRow)]
struct ListingRow {
    id: i64,
    name: String,
    currency: String,
    mid_id: Option<i64>,
    atri_profile_id: Option<i64>,
    route_name: Option<String>,
    products: i64,
    recycling: bool,
    enabled: bool,
    archived: bool,
}

impl TryFrom<ListingRow> for CampaignListing {
    type Error = DbError;

    fn try_from(r: ListingRow) -> Result<Self, DbError> {
        Ok(CampaignListing {
            id: CampaignId(r.id),
            currency: campaign_currency(r.id, &r.currency)?,
            route: campaign_route(r.id, r.mid_id, r.atri_profile_id)?,
            route_name: r
                .route_name
                .ok_or_else(|| DbError::corrupt("campaigns", r.id, "mid_id", "a missing route"))?,
            name: r.name,
            products: r.products,
            recycling: r.recycling,
            enabled: r.enabled,
            archived: r.archived,
        })
    }
}

const LISTING_SELECT: &str = "SELECT c.id, c.name, c.currency, c.mid_id, c.atri_profile_id, \
     COALESCE(m.title, g.name) AS route_name, \
     (SELECT COUNT(*) FROM campaign_products cp WHERE cp.campaign_id = c.id) AS products, \
     c.recycling, c.enabled, c.archived_at IS NOT NULL AS archived \
     FROM campaigns c LEFT JOIN mids m ON m.id = c.mid_id LEFT JOIN gateway_profiles g ON g.id = c.atri_profile_id";

const CAMPAIGN_WHERE: &str = " WHERE ($1 = '' OR LOWER(c.name) LIKE $2 ESCAPE '\\') \
     AND ($3 = '' OR c.currency = $3) AND ($4 = 0 OR c.enabled = $5) AND ($6 = 1 OR c.archived_at IS NULL)";

macro_rules! bind_campaign_filters {
    ($query:expr, $f:expr) => {
        $query
            .bind(&$f.search)
            .bind(&$f.pattern)
            .bind($f.currency)
            .bind($f.has_enabled)
            .bind($f.enabled)
            .bind($f.archived)
    };
}

/// A page of the campaign list with each route's name and product count: two queries (rows,
/// count).
pub async fn list_campaigns(
    conn: impl Into<Conn<'_>>,
    query: &CampaignQuery,
    page: PageRequest,
) -> Result<Page<CampaignListing>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    macro_rules! sorted {
        ($order:literal) => {
            concatcp!(
                LISTING_SELECT,
                CAMPAIGN_WHERE,
                " ORDER BY ",
                $order,
                ", LOWER(c.name), c.id LIMIT $7 OFFSET $8"
            )
        };
    }
    let sql: &'static str = match (query.sort, query.descending) {
        (CampaignSort::Name, false) => sorted!("LOWER(c.name) ASC"),
        (CampaignSort::Name, true) => sorted!("LOWER(c.name) DESC"),
        (CampaignSort::Currency, false) => sorted!("c.currency ASC"),
        (CampaignSort::Currency, true) => sorted!("c.currency DESC"),
        (CampaignSort::Enabled, false) => sorted!("c.enabled DESC"),
        (CampaignSort::Enabled, true) => sorted!("c.enabled ASC"),
    };
    const COUNT: &str = concatcp!("SELECT COUNT(*) FROM campaigns c", CAMPAIGN_WHERE);
    let mut filters = Filters::new(&query.search, query.enabled, query.archived);
    filters.currency = query.currency.map_or("", Currency::code);
    let rows: Vec<ListingRow> = on_conn!(conn.reborrow(), c => bind_campaign_filters!(sqlx::query_as(sql), filters)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(c)
        .await)?;
    let total: i64 = on_conn!(conn.reborrow(), c => bind_campaign_filters!(sqlx::query_scalar(COUNT), filters)
        .fetch_one(c)
        .await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(CampaignListing::try_from)
            .collect::<Result<_, _>>()?,
        number: page.number,
        size: page.size,
        total,
    })
}

/// One campaign as its list row shows it.
pub async fn campaign_listing(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
) -> Result<Option<CampaignListing>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(LISTING_SELECT, " WHERE c.id = $1");
    let row: Option<ListingRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(CampaignListing::try_from).transpose()
}

/// A checked campaign as the tables hold it.
#[derive(Debug, Clone)]
pub struct CampaignRecord<'a> {
    pub name: &'a str,
    pub currency: Currency,
    pub route: SalesRoute,
    pub products: &'a [ProductId],
    pub recycling: bool,
    pub notify: &'a [Email],
    pub welcome_subject: &'a str,
    pub welcome_body: &'a str,
}

impl CampaignRecord<'_> {
    fn mid(&self) -> Option<i64> {
        match self.route {
            SalesRoute::Mid(mid) => Some(mid.0),
            SalesRoute::Atri(_) => None,
        }
    }

    fn atri(&self) -> Option<i64> {
        match self.route {
            SalesRoute::Atri(profile) => Some(profile.0),
            SalesRoute::Mid(_) => None,
        }
    }
}

macro_rules! bind_campaign {
    ($query:expr, $c:expr) => {
        $query
            .bind($c.name)
            .bind($c.currency.code())
            .bind($c.mid())
            .bind($c.atri())
            .bind($c.recycling)
            .bind($c.welcome_subject)
            .bind($c.welcome_body)
    };
}

pub async fn insert_campaign(
    conn: impl Into<Conn<'_>>,
    campaign: &CampaignRecord<'_>,
    now: DateTime<Utc>,
) -> Result<CampaignId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO campaigns (name, currency, mid_id, atri_profile_id, recycling, welcome_subject, \
         welcome_body, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $8) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => bind_campaign!(sqlx::query_scalar(SQL), campaign)
        .bind(now)
        .fetch_one(c)
        .await)?;
    let id = CampaignId(id);
    replace_members(&mut conn, id, campaign).await?;
    Ok(id)
}

pub async fn update_campaign(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
    campaign: &CampaignRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE campaigns SET name = $1, currency = $2, mid_id = $3, atri_profile_id = $4, \
         recycling = $5, welcome_subject = $6, welcome_body = $7, updated_at = $8 WHERE id = $9";
    on_conn!(conn.reborrow(), c => bind_campaign!(sqlx::query(SQL), campaign)
        .bind(now)
        .bind(id.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    replace_members(&mut conn, id, campaign).await
}

/// Writes a campaign's products and notify addresses, in order, over what it had.
async fn replace_members(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
    campaign: &CampaignRecord<'_>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const CLEAR_PRODUCTS: &str = "DELETE FROM campaign_products WHERE campaign_id = $1";
    const CLEAR_NOTIFY: &str = "DELETE FROM campaign_notify_emails WHERE campaign_id = $1";
    const PRODUCT: &str =
        "INSERT INTO campaign_products (campaign_id, product_id, position) VALUES ($1, $2, $3)";
    const NOTIFY: &str =
        "INSERT INTO campaign_notify_emails (campaign_id, position, email) VALUES ($1, $2, $3)";
    for sql in [CLEAR_PRODUCTS, CLEAR_NOTIFY] {
        on_conn!(conn.reborrow(), c => sqlx::query(sql).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    }
    for (position, product) in (1_i64..).zip(campaign.products) {
        on_conn!(conn.reborrow(), c => sqlx::query(PRODUCT)
            .bind(id.0)
            .bind(product.0)
            .bind(position)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    for (position, email) in (1_i64..).zip(campaign.notify) {
        on_conn!(conn.reborrow(), c => sqlx::query(NOTIFY)
            .bind(id.0)
            .bind(position)
            .bind(email.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn set_campaign_enabled(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE campaigns SET enabled = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(enabled).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn archive_campaign(
    conn: impl Into<Conn<'_>>,
    id: CampaignId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE campaigns SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The campaign other than `except` named `name` in any case, if any.
pub async fn campaign_name_holder(
    conn: impl Into<Conn<'_>>,
    name: &str,
    except: Option<CampaignId>,
) -> Result<Option<Holder>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT name, archived_at IS NOT NULL AS archived FROM campaigns \
                       WHERE LOWER(name) = LOWER($1) AND id <> $2";
    Ok(on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
        .bind(name)
        .bind(except.map_or(0, |c| c.0))
        .fetch_optional(c)
        .await)?)
}

/// The campaigns (archived ones too) whose new sales go to `route`, by name: what stops that MID
/// or ATRI profile from being deleted.
pub async fn campaigns_routed_to(
    conn: impl Into<Conn<'_>>,
    route: SalesRoute,
) -> Result<Vec<String>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const BY_MID: &str = "SELECT name FROM campaigns WHERE mid_id = $1 ORDER BY LOWER(name), id";
    const BY_ATRI: &str =
        "SELECT name FROM campaigns WHERE atri_profile_id = $1 ORDER BY LOWER(name), id";
    let (sql, id) = match route {
        SalesRoute::Mid(mid) => (BY_MID, mid.0),
        SalesRoute::Atri(profile) => (BY_ATRI, profile.0),
    };
    Ok(on_conn!(conn.reborrow(), c => sqlx::query_scalar(sql).bind(id).fetch_all(c).await)?)
}
