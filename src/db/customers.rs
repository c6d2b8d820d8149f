//! Customer service's reads and the details edits: the order search (R-CS-8), a customer's
//! profile, and the rows of its tabs. Every list is read by keyset on an indexed key, so a deep
//! page costs what the first does and no query reads the whole orders table.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::orders::money;
use super::{Conn, DbError, Dialect, on_conn};
use crate::domain::card::{Brand, CardType};
use crate::domain::customer::{
    CardOnFile, CustomerOrder, CustomerProfile, CustomerTransaction, OrderProduct, SearchFilters,
    SearchPage, SearchRow, prefix_end,
};
use crate::domain::ids::{
    CampaignId, CustomerId, FulfillmentId, OrderId, SubscriptionId, TransactionId,
};
use crate::domain::money::{MinorUnits, Money};
use crate::domain::order::{
    Address, Fulfillment, FulfillmentStatus, OrderKind, OrderStatus, Subscription, Transaction,
};
use crate::domain::page::{KeysetPage, KeysetRequest};

/// A phone number's digits, in SQL. Must stay identical to the expression of
/// `customers_phone_digits_idx` (migration 0011), or the index is not used.
const PHONE_DIGITS: &str = "replace(replace(replace(replace(replace(replace(cu.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '')";

fn limit_of(size: u32) -> i64 {
    i64::from(size) + 1
}

/// The rows of one of a customer's lists (the profile's tabs, History, Emails): a keyset page's
/// worth plus one, which only says more follow, and how many the customer has in all. `sql`
/// binds the customer ($1), whether the page follows a key ($2, 0 or 1), that key ($3) and the
/// limit ($4), newest first; `count` binds the customer.
pub(super) async fn page_rows<R, K>(
    conn: &mut Conn<'_>,
    sql: &'static str,
    count: &'static str,
    customer: CustomerId,
    page: &KeysetRequest<K>,
) -> Result<(Vec<R>, i64), DbError>
where
    K: Copy + Into<i64>,
    R: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let after = page.after.map_or(0, Into::into);
    let rows: Vec<R> = on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
        .bind(customer.0).bind(i64::from(page.after.is_some())).bind(after)
        .bind(limit_of(page.size)).fetch_all(c).await)?;
    let total: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(count)
        .bind(customer.0).fetch_one(c).await)?;
    Ok((rows, total))
}

// ---- search -------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct SearchDbRow {
    id: i64,
    customer_id: i64,
    first_name: String,
    last_name: String,
    email: String,
    created_at: DateTime<Utc>,
    total_minor: i64,
    currency: String,
    status: String,
    kind: String,
    campaign_name: String,
}

impl TryFrom<SearchDbRow> for SearchRow {
    type Error = DbError;

    fn try_from(r: SearchDbRow) -> Result<Self, DbError> {
        Ok(SearchRow {
            order_id: OrderId(r.id),
            customer_id: CustomerId(r.customer_id),
            customer_name: format!("{} {}", r.first_name, r.last_name),
            email: r.email,
            placed_at: r.created_at,
            total: money("orders", r.id, r.total_minor, &r.currency)?,
            status: OrderStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt("orders", r.id, "status", &r.status))?,
            kind: OrderKind::from_key(&r.kind)
                .ok_or_else(|| DbError::corrupt("orders", r.id, "kind", &r.kind))?,
            campaign: r.campaign_name,
        })
    }
}

const SEARCH: &str = "SELECT o.id, o.customer_id, c.first_name, c.last_name, c.email, o.created_at, \
     o.total_minor, o.currency, o.status, o.kind, cp.name AS campaign_name \
     FROM orders o JOIN customers c ON c.id = o.customer_id JOIN campaigns cp ON cp.id = o.campaign_id \
     WHERE 1 = 1";

/// Appends the filters to a search: each one given an indexed condition, every value bound.
/// Name prefixes are byte-order ranges (`COLLATE "C"` on PostgreSQL, SQLite's own order), so
/// the name indexes answer them whatever the database's collation.
fn push_filters<DB: sqlx::Database>(
    q: &mut QueryBuilder<DB>,
    f: &SearchFilters,
    page: KeysetRequest<OrderId>,
    dialect: Dialect,
    newest_first: bool,
) where
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> DateTime<Utc>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let collate = match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => " COLLATE \"C\"",
    };
    if f.first_name.is_some()
        || f.last_name.is_some()
        || f.email.is_some()
        || f.phone_digits.is_some()
    {
        q.push(" AND o.customer_id IN (SELECT cu.id FROM customers cu WHERE 1 = 1");
        for (column, prefix) in [("last_name", &f.last_name), ("first_name", &f.first_name)] {
            if let Some(prefix) = prefix {
                q.push(format!(" AND LOWER(cu.{column}){collate} >= "))
                    .push_bind(prefix.clone());
                if let Some(end) = prefix_end(prefix) {
                    q.push(format!(" AND LOWER(cu.{column}){collate} < "))
                        .push_bind(end);
                }
            }
        }
        if let Some(email) = &f.email {
            q.push(" AND cu.email = ").push_bind(email.clone());
        }
        if let Some(digits) = &f.phone_digits {
            q.push(format!(" AND {PHONE_DIGITS} = "))
                .push_bind(digits.clone());
        }
        q.push(")");
    }
    if let Some(id) = f.order_id {
        q.push(" AND o.id = ").push_bind(id.0);
    }
    // SQLite's unary `+` keeps a column's index out of the plan: with `newest_first` the orders
    // are read newest first by id and the other conditions only filter them.
    let o = if newest_first { "+o" } else { "o" };
    if let Some(last4) = &f.last4 {
        q.push(format!(
            " AND {o}.payment_method_id IN (SELECT pm.id FROM payment_methods pm WHERE pm.last4 = "
        ))
        .push_bind(last4.clone())
        .push(")");
    }
    if let Some(from) = f.placed_from() {
        q.push(format!(" AND {o}.created_at >= ")).push_bind(from);
    }
    if let Some(before) = f.placed_before() {
        q.push(format!(" AND {o}.created_at < ")).push_bind(before);
    }
    if let Some(status) = f.status {
        q.push(format!(" AND {o}.status = "))
            .push_bind(status.key().to_owned());
    }
    if let Some(campaign) = f.campaign {
        q.push(format!(" AND {o}.campaign_id = "))
            .push_bind(campaign.0);
    }
    if let Some(after) = page.after {
        q.push(" AND o.id < ").push_bind(after.0);
    }
    q.push(" ORDER BY o.id DESC LIMIT ")
        .push_bind(limit_of(page.size));
}

/// Cards sharing one last 4 beyond which SQLite reads orders newest first instead.
const COMMON_LAST4: i64 = 500;

/// Whether SQLite should read the orders newest first and filter them, rather than gather every
/// order of every card with the last 4 asked for and sort them: true when that many cards share
/// it (the 14 test cards of generated data; rarely real cards). The first page is then found
/// after a few hundred orders instead of tens of thousands. PostgreSQL's planner weighs this
/// itself from its statistics.
async fn newest_first(conn: Conn<'_>, filters: &SearchFilters) -> Result<bool, DbError> {
    let (Some(last4), Dialect::Sqlite) = (&filters.last4, conn.dialect()) else {
        return Ok(false);
    };
    const SQL: &str =
        "SELECT COUNT(*) FROM (SELECT 1 FROM payment_methods WHERE last4 = $1 LIMIT $2) m";
    let cards: i64 = on_conn!(conn, c => sqlx::query_scalar(SQL)
        .bind(last4).bind(COMMON_LAST4).fetch_one(c).await)?;
    Ok(cards >= COMMON_LAST4)
}

/// The orders matching `filters`, newest first, one page by keyset on the order id.
pub async fn search(
    conn: impl Into<Conn<'_>>,
    filters: &SearchFilters,
    page: KeysetRequest<OrderId>,
) -> Result<SearchPage, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let dialect = conn.dialect();
    let newest_first = newest_first(conn.reborrow(), filters).await?;
    let rows: Vec<SearchDbRow> = on_conn!(conn.reborrow(), c => {
        let mut q = QueryBuilder::new(SEARCH);
        push_filters(&mut q, filters, page, dialect, newest_first);
        q.build_query_as::<SearchDbRow>().fetch_all(c).await
    })?;
    let rows = rows
        .into_iter()
        .map(SearchRow::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let (items, next) = crate::domain::page::split_keyset(rows, page.size, |r| r.order_id);
    Ok(SearchPage { items, next })
}

/// How the database runs the search of `filters`, one line per plan step (the benchmark prints
/// it, so a plan that scans the orders table shows).
pub async fn explain_search(
    conn: impl Into<Conn<'_>>,
    filters: &SearchFilters,
    page: KeysetRequest<OrderId>,
) -> Result<Vec<String>, DbError> {
    use sqlx::Row;
    let mut conn: Conn<'_> = conn.into();
    let dialect = conn.dialect();
    let newest_first = newest_first(conn.reborrow(), filters).await?;
    let explain = match dialect {
        Dialect::Sqlite => "EXPLAIN QUERY PLAN ",
        Dialect::Postgres => "EXPLAIN ",
    };
    let lines: Vec<String> = on_conn!(conn.reborrow(), c => {
        let mut q = QueryBuilder::new(explain);
        q.push(SEARCH);
        push_filters(&mut q, filters, page, dialect, newest_first);
        let rows = q.build().fetch_all(c).await?;
        rows.iter()
            .map(|row| match dialect {
                // SQLite: id, parent, notused, detail.
                Dialect::Sqlite => row.try_get::<String, _>(3),
                Dialect::Postgres => row.try_get::<String, _>(0),
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?;
    Ok(lines)
}

/// The SQL of a search, for the benchmark's query plans and the tests.
pub fn search_sql(
    filters: &SearchFilters,
    page: KeysetRequest<OrderId>,
    dialect: Dialect,
) -> String {
    match dialect {
        Dialect::Sqlite => {
            let mut q = QueryBuilder::<sqlx::Sqlite>::new(SEARCH);
            push_filters(&mut q, filters, page, dialect, false);
            q.into_string()
        }
        Dialect::Postgres => {
            let mut q = QueryBuilder::<sqlx::Postgres>::new(SEARCH);
            push_filters(&mut q, filters, page, dialect, false);
            q.into_string()
        }
    }
}

/// Every campaign, for the search's campaign filter (archived ones too: their orders remain).
pub async fn campaign_choices(
    conn: impl Into<Conn<'_>>,
) -> Result<Vec<(CampaignId, String)>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, name FROM campaigns ORDER BY LOWER(name), id";
    let rows: Vec<(i64, String)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (CampaignId(id), name))
        .collect())
}

// ---- profile ------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct AddressRow {
    kind: String,
    line1: String,
    line2: String,
    city: String,
    state: String,
    postal_code: String,
    country: String,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    brand: String,
    card_type: String,
    last4: String,
    exp_month: i64,
    exp_year: i64,
}

/// The customer with their addresses and cards on file (one line per card, newest first):
/// three indexed queries.
pub async fn profile(
    conn: impl Into<Conn<'_>>,
    id: CustomerId,
) -> Result<Option<CustomerProfile>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let Some(customer) = super::orders::find_customer(conn.reborrow(), id).await? else {
        return Ok(None);
    };
    const ADDRESSES: &str = "SELECT kind, line1, line2, city, state, postal_code, country \
         FROM customer_addresses WHERE customer_id = $1";
    let addresses: Vec<AddressRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(ADDRESSES).bind(id.0).fetch_all(c).await)?;
    // The same card paid many orders: one line per card (its fingerprint), newest first.
    const CARDS: &str = "SELECT MAX(id) AS id, brand, card_type, last4, exp_month, exp_year \
         FROM payment_methods WHERE customer_id = $1 \
         GROUP BY fingerprint, brand, card_type, last4, exp_month, exp_year ORDER BY MAX(id) DESC";
    let cards: Vec<CardRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(CARDS).bind(id.0).fetch_all(c).await)?;
    let mut billing = None;
    let mut shipping = None;
    for a in addresses {
        let address = Address {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        };
        match a.kind.as_str() {
            "billing" => billing = Some(address),
            "shipping" => shipping = Some(address),
            other => return Err(DbError::corrupt("customer_addresses", id.0, "kind", other)),
        }
    }
    let cards = cards
        .into_iter()
        .map(|r| {
            const T: &str = "payment_methods";
            Ok(CardOnFile {
                brand: Brand::from_key(&r.brand)
                    .ok_or_else(|| DbError::corrupt(T, r.id, "brand", &r.brand))?,
                card_type: CardType::from_key(&r.card_type)
                    .ok_or_else(|| DbError::corrupt(T, r.id, "card_type", &r.card_type))?,
                last4: r.last4,
                exp_month: u32::try_from(r.exp_month)
                    .map_err(|_| DbError::corrupt(T, r.id, "exp_month", r.exp_month))?,
                exp_year: i32::try_from(r.exp_year)
                    .map_err(|_| DbError::corrupt(T, r.id, "exp_year", r.exp_year))?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(Some(CustomerProfile {
        customer,
        billing,
        shipping,
        cards,
    }))
}

/// The details a pencil edit writes on the customer's own row; `None` leaves a column as it
/// is, so two agents saving different fields at once both keep their change. Every edit,
/// an address's too, moves `updated_at`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ContactEdit<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// "" takes the phone number off.
    pub phone: Option<&'a str>,
}

pub async fn set_contact(
    conn: impl Into<Conn<'_>>,
    id: CustomerId,
    edit: ContactEdit<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE customers SET first_name = COALESCE($2, first_name), \
         last_name = COALESCE($3, last_name), email = COALESCE($4, email), phone = COALESCE($5, phone), \
         updated_at = $6 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(edit.first_name)
        .bind(edit.last_name).bind(edit.email).bind(edit.phone).bind(now)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// Sets one of the customer's addresses (`kind` is "billing" or "shipping").
pub async fn put_address(
    conn: impl Into<Conn<'_>>,
    id: CustomerId,
    kind: &str,
    address: &Address,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO customer_addresses (customer_id, kind, line1, line2, city, state, postal_code, country) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (customer_id, kind) DO UPDATE SET line1 = excluded.line1, line2 = excluded.line2, \
         city = excluded.city, state = excluded.state, postal_code = excluded.postal_code, country = excluded.country";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(kind).bind(&address.line1).bind(&address.line2).bind(&address.city)
        .bind(&address.state).bind(&address.postal_code).bind(&address.country)
        .execute(c).await.map(drop))?;
    Ok(())
}

// ---- the profile's tabs -------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    kind: String,
    status: String,
    currency: String,
    total_minor: i64,
    created_at: DateTime<Utc>,
    campaign_name: String,
}

/// A page of the customer's orders, newest first, each with its products (and the
/// subscription a recurring product started): three queries on `(customer_id, id)` and the
/// page's order ids.
pub async fn orders(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<OrderId>,
) -> Result<KeysetPage<CustomerOrder, OrderId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT o.id, o.kind, o.status, o.currency, o.total_minor, o.created_at, \
         c.name AS campaign_name FROM orders o JOIN campaigns c ON c.id = o.campaign_id \
         WHERE o.customer_id = $1 AND ($2 = 0 OR o.id < $3) ORDER BY o.id DESC LIMIT $4";
    const COUNT: &str = "SELECT COUNT(*) FROM orders WHERE customer_id = $1";
    let (rows, total): (Vec<OrderRow>, _) =
        page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let (rows, next) = crate::domain::page::split_keyset(rows, page.size, |r| OrderId(r.id));
    let products: Vec<(i64, String, Option<i64>)> = if rows.is_empty() {
        Vec::new()
    } else {
        const PRODUCTS: &str = "SELECT i.order_id, i.product_name, s.id FROM order_items i \
             LEFT JOIN subscriptions s ON s.order_id = i.order_id AND s.order_item_id = i.id \
             WHERE i.order_id IN (";
        on_conn!(conn.reborrow(), c => {
            let mut q = QueryBuilder::new(PRODUCTS);
            let mut ids = q.separated(", ");
            for r in &rows {
                ids.push_bind(r.id);
            }
            q.push(") ORDER BY i.order_id, i.id");
            q.build_query_as::<(i64, String, Option<i64>)>().fetch_all(c).await
        })?
    };
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(CustomerOrder {
                id: OrderId(r.id),
                kind: OrderKind::from_key(&r.kind)
                    .ok_or_else(|| DbError::corrupt("orders", r.id, "kind", &r.kind))?,
                status: OrderStatus::from_key(&r.status)
                    .ok_or_else(|| DbError::corrupt("orders", r.id, "status", &r.status))?,
                total: money("orders", r.id, r.total_minor, &r.currency)?,
                campaign: r.campaign_name,
                created_at: r.created_at,
                products: products
                    .iter()
                    .filter(|(order, ..)| *order == r.id)
                    .map(|(_, name, subscription)| OrderProduct {
                        name: name.clone(),
                        subscription: subscription.map(SubscriptionId),
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(KeysetPage { items, next, total })
}

use super::orders::SubscriptionRow;

/// A page of the customer's subscriptions, newest first.
pub async fn subscriptions(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<SubscriptionId>,
) -> Result<KeysetPage<Subscription, SubscriptionId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT s.id, s.order_id, s.customer_id, s.product_id, i.product_name, s.mid_id, s.status, \
         s.option_name, s.quantity, s.unit_price_minor, s.price_minor, s.currency, s.cycle_days, s.next_bill_at \
         FROM subscriptions s JOIN order_items i ON i.id = s.order_item_id \
         WHERE s.customer_id = $1 AND ($2 = 0 OR s.id < $3) ORDER BY s.id DESC LIMIT $4";
    const COUNT: &str = "SELECT COUNT(*) FROM subscriptions WHERE customer_id = $1";
    let (rows, total): (Vec<SubscriptionRow>, _) =
        page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let rows = rows
        .into_iter()
        .map(Subscription::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysetPage::cut(rows, &page, total, |s| s.id))
}

/// A transaction's row with its refunds summed and its void noted.
#[derive(sqlx::FromRow)]
struct TransactionRow {
    #[sqlx(flatten)]
    transaction: super::orders::TransactionRow,
    refunded: i64,
    voided: i64,
}

impl TryFrom<TransactionRow> for CustomerTransaction {
    type Error = DbError;

    fn try_from(r: TransactionRow) -> Result<Self, DbError> {
        let transaction = Transaction::try_from(&r.transaction)?;
        Ok(CustomerTransaction {
            refunded: Money::new(
                MinorUnits::from_minor(r.refunded),
                transaction.amount.currency(),
            ),
            mid_title: r.transaction.mid_title,
            voided: r.voided != 0,
            transaction,
        })
    }
}

/// A page of the transactions of all the customer's orders, newest first, each with its
/// refunds summed and its void noted (what its actions depend on: R-CS-1, R-CS-2).
pub async fn transactions(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<TransactionId>,
) -> Result<KeysetPage<CustomerTransaction, TransactionId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT t.id, t.order_id, t.parent_id, t.mid_id, t.kind, t.amount_minor, t.currency, \
         t.result, t.response_code, t.response_text, t.decline_class, t.gateway_reference, t.settled_at, \
         t.created_at, m.title AS mid_title, \
         CAST(COALESCE((SELECT SUM(r.amount_minor) FROM transactions r WHERE r.parent_id = t.id \
           AND r.kind = 'refund' AND r.result IN ('approved', 'pending')), 0) AS BIGINT) AS refunded, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM transactions r WHERE r.parent_id = t.id \
           AND r.kind = 'void' AND r.result IN ('approved', 'pending')) THEN 1 ELSE 0 END AS BIGINT) AS voided \
         FROM transactions t JOIN orders o ON o.id = t.order_id JOIN mids m ON m.id = t.mid_id \
         WHERE o.customer_id = $1 AND ($2 = 0 OR t.id < $3) ORDER BY t.id DESC LIMIT $4";
    const COUNT: &str = "SELECT COUNT(*) FROM transactions t JOIN orders o ON o.id = t.order_id \
         WHERE o.customer_id = $1";
    let (rows, total): (Vec<TransactionRow>, _) =
        page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let rows = rows
        .into_iter()
        .map(CustomerTransaction::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysetPage::cut(rows, &page, total, |t| t.transaction.id))
}

#[derive(sqlx::FromRow)]
struct FulfillmentRow {
    id: i64,
    order_id: i64,
    product_name: Option<String>,
    status: String,
    tracking_number: Option<String>,
    created_at: DateTime<Utc>,
}

/// A page of the fulfillments of all the customer's orders, newest first.
pub async fn fulfillments(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<FulfillmentId>,
) -> Result<KeysetPage<Fulfillment, FulfillmentId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT f.id, f.order_id, i.product_name, f.status, f.tracking_number, f.created_at \
         FROM fulfillments f JOIN orders o ON o.id = f.order_id LEFT JOIN order_items i ON i.id = f.order_item_id \
         WHERE o.customer_id = $1 AND ($2 = 0 OR f.id < $3) ORDER BY f.id DESC LIMIT $4";
    const COUNT: &str = "SELECT COUNT(*) FROM fulfillments f JOIN orders o ON o.id = f.order_id \
         WHERE o.customer_id = $1";
    let (rows, total): (Vec<FulfillmentRow>, _) =
        page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(Fulfillment {
                id: FulfillmentId(r.id),
                order_id: OrderId(r.order_id),
                product_name: r.product_name,
                status: FulfillmentStatus::from_key(&r.status)
                    .ok_or_else(|| DbError::corrupt("fulfillments", r.id, "status", &r.status))?,
                tracking_number: r.tracking_number,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(KeysetPage::cut(rows, &page, total, |f| f.id))
}
