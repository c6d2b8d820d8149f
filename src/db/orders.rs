//! Customers, payment methods, orders and what hangs off them: items, routing notes,
//! transactions, subscriptions, fulfillments, the email outbox and the blacklist.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::card::{Brand, CardType, Fingerprint};
use crate::domain::contact::Email;
use crate::domain::decline::DeclineClass;
use crate::domain::ids::{
    CampaignId, CustomerId, FulfillmentId, MidId, OrderId, OrderItemId, PaymentMethodId, ProductId,
    SubscriptionId, TransactionId,
};
use crate::domain::money::{Currency, MinorUnits, Money};
use crate::domain::order::{
    Address, Customer, Fulfillment, FulfillmentStatus, NewCustomer, Order, OrderItem, OrderKind,
    OrderNote, OrderStatus, PaymentMethod, PricedItem, Subscription, SubscriptionStatus,
    Transaction,
};
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::provider::Provider;

pub(crate) fn money(
    table: &'static str,
    id: i64,
    minor: i64,
    currency: &str,
) -> Result<Money, DbError> {
    let currency = Currency::from_code(currency)
        .ok_or_else(|| DbError::corrupt(table, id, "currency", currency))?;
    Ok(Money::new(MinorUnits::from_minor(minor), currency))
}

fn count(table: &'static str, id: i64, column: &'static str, n: i64) -> Result<u32, DbError> {
    u32::try_from(n).map_err(|_| DbError::corrupt(table, id, column, n))
}

// ---- customers -------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    blacklisted: bool,
    created_at: DateTime<Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: CustomerId(r.id),
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone: r.phone,
            blacklisted: r.blacklisted,
            created_at: r.created_at,
        }
    }
}

const CUSTOMER: &str =
    "SELECT id, first_name, last_name, email, phone, blacklisted, created_at FROM customers";

pub async fn find_customer(
    conn: impl Into<Conn<'_>>,
    id: CustomerId,
) -> Result<Option<Customer>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(CUSTOMER, " WHERE id = $1");
    let row: Option<CustomerRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Customer::from))
}

/// The newest customer with this email: a returning customer's orders stay on one profile.
pub async fn customer_by_email(
    conn: impl Into<Conn<'_>>,
    email: &Email,
) -> Result<Option<CustomerId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id FROM customers WHERE email = $1 ORDER BY id DESC LIMIT 1";
    let id: Option<i64> = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(email.as_str()).fetch_optional(c).await)?;
    Ok(id.map(CustomerId))
}

pub async fn insert_customer(
    conn: impl Into<Conn<'_>>,
    customer: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<CustomerId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO customers (first_name, last_name, email, phone, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    let phone = customer.phone.as_ref().map_or("", |p| p.as_str());
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(customer.first_name.as_str()).bind(customer.last_name.as_str())
        .bind(customer.email.as_str()).bind(phone).bind(now)
        .fetch_one(c).await)?;
    Ok(CustomerId(id))
}

/// The customer's billing address, when one is on record.
pub async fn billing_address(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
) -> Result<Option<Address>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT line1, line2, city, state, postal_code, country FROM customer_addresses \
                       WHERE customer_id = $1 AND kind = 'billing'";
    let row: Option<(String, String, String, String, String, String)> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(customer.0).fetch_optional(c).await)?;
    Ok(row.map(
        |(line1, line2, city, state, postal_code, country)| Address {
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
        },
    ))
}

// ---- payment methods -------------------------------------------------------------------

/// A card to keep: everything of [`PaymentMethod`] but its id.
pub struct NewPaymentMethod<'a> {
    pub customer_id: CustomerId,
    pub provider: Provider,
    pub token: &'a str,
    pub brand: Brand,
    pub card_type: CardType,
    pub first6: &'a str,
    pub last4: &'a str,
    pub exp_month: u32,
    pub exp_year: i32,
    pub fingerprint: &'a Fingerprint,
}

pub async fn insert_payment_method(
    conn: impl Into<Conn<'_>>,
    card: &NewPaymentMethod<'_>,
    now: DateTime<Utc>,
) -> Result<PaymentMethodId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO payment_methods (customer_id, provider, token, brand, card_type, first6, last4, \
         exp_month, exp_year, fingerprint, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(card.customer_id.0).bind(card.provider.key()).bind(card.token).bind(card.brand.key())
        .bind(card.card_type.key()).bind(card.first6).bind(card.last4)
        .bind(i64::from(card.exp_month)).bind(i64::from(card.exp_year))
        .bind(card.fingerprint.as_str()).bind(now)
        .fetch_one(c).await)?;
    Ok(PaymentMethodId(id))
}

#[derive(sqlx::FromRow)]
struct PaymentMethodRow {
    id: i64,
    customer_id: i64,
    provider: String,
    token: String,
    brand: String,
    card_type: String,
    first6: String,
    last4: String,
    exp_month: i64,
    exp_year: i64,
    fingerprint: String,
}

impl TryFrom<PaymentMethodRow> for PaymentMethod {
    type Error = DbError;

    fn try_from(r: PaymentMethodRow) -> Result<Self, DbError> {
        let bad = |column, value: &str| DbError::corrupt("payment_methods", r.id, column, value);
        Ok(PaymentMethod {
            id: PaymentMethodId(r.id),
            customer_id: CustomerId(r.customer_id),
            provider: Provider::from_key(&r.provider)
                .ok_or_else(|| bad("provider", &r.provider))?,
            brand: Brand::from_key(&r.brand).ok_or_else(|| bad("brand", &r.brand))?,
            card_type: CardType::from_key(&r.card_type)
                .ok_or_else(|| bad("card_type", &r.card_type))?,
            fingerprint: Fingerprint::from_stored(&r.fingerprint)
                .ok_or_else(|| bad("fingerprint", &r.fingerprint))?,
            exp_month: count("payment_methods", r.id, "exp_month", r.exp_month)?,
            exp_year: i32::try_from(r.exp_year)
                .map_err(|_| bad("exp_year", &r.exp_year.to_string()))?,
            token: r.token,
            first6: r.first6,
            last4: r.last4,
        })
    }
}

const PAYMENT_METHOD: &str = "SELECT id, customer_id, provider, token, brand, card_type, first6, last4, \
                              exp_month, exp_year, fingerprint FROM payment_methods";

pub async fn payment_method(
    conn: impl Into<Conn<'_>>,
    id: PaymentMethodId,
) -> Result<Option<PaymentMethod>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(PAYMENT_METHOD, " WHERE id = $1");
    let row: Option<PaymentMethodRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(PaymentMethod::try_from).transpose()
}

/// The cards on file of `customer` that can be charged again (the gateway gave a token),
/// newest first; a card used for several orders is each time its own row, so the same card
/// (by fingerprint) is listed once.
pub async fn cards_on_file(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
) -> Result<Vec<PaymentMethod>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        PAYMENT_METHOD,
        " WHERE customer_id = $1 AND token <> '' ORDER BY id DESC LIMIT 50"
    );
    let rows: Vec<PaymentMethodRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(customer.0).fetch_all(c).await)?;
    let mut cards: Vec<PaymentMethod> = Vec::with_capacity(rows.len());
    for row in rows {
        let card = PaymentMethod::try_from(row)?;
        if !cards.iter().any(|c| c.fingerprint == card.fingerprint) {
            cards.push(card);
        }
    }
    Ok(cards)
}

// ---- blacklist -------------------------------------------------------------------------

/// Whether a transaction was recorded under idempotency key `key`.
pub async fn key_used(conn: impl Into<Conn<'_>>, key: &str) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM transactions WHERE idempotency_key = $1)";
    let used: bool =
        on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(key).fetch_one(c).await)?;
    Ok(used)
}

/// R-OR-4: whether the email, phone or card fingerprint is on the blacklist (one indexed
/// lookup per value).
pub async fn is_blacklisted(
    conn: impl Into<Conn<'_>>,
    email: &str,
    phone: &str,
    fingerprint: &Fingerprint,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM blacklist WHERE (kind = 'email' AND value = $1) \
         OR (kind = 'phone' AND value = $2 AND $2 <> '') OR (kind = 'fingerprint' AND value = $3))";
    let found: bool = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(email).bind(phone).bind(fingerprint.as_str())
        .fetch_one(c).await)?;
    Ok(found)
}

// ---- orders ----------------------------------------------------------------------------

pub struct NewOrder<'a> {
    pub customer_id: CustomerId,
    pub campaign_id: CampaignId,
    pub parent_order_id: Option<OrderId>,
    pub payment_method_id: Option<PaymentMethodId>,
    pub mid_id: Option<MidId>,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub total: Money,
    pub ip_address: Option<&'a str>,
}

pub async fn insert_order(
    conn: impl Into<Conn<'_>>,
    order: &NewOrder<'_>,
    now: DateTime<Utc>,
) -> Result<OrderId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO orders (customer_id, campaign_id, parent_order_id, payment_method_id, mid_id, \
         kind, status, currency, total_minor, ip_address, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(order.customer_id.0).bind(order.campaign_id.0)
        .bind(order.parent_order_id.map(|o| o.0)).bind(order.payment_method_id.map(|p| p.0))
        .bind(order.mid_id.map(|m| m.0)).bind(order.kind.key()).bind(order.status.key())
        .bind(order.total.currency().code()).bind(order.total.amount().get())
        .bind(order.ip_address).bind(now)
        .fetch_one(c).await)?;
    Ok(OrderId(id))
}

pub async fn insert_item(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    item: &PricedItem,
) -> Result<OrderItemId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO order_items (order_id, product_id, product_name, option_name, quantity, \
         unit_price_minor, price_minor, charged_minor, trial) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(order.0).bind(item.product_id.0).bind(&item.product_name).bind(&item.option)
        .bind(i64::from(item.line.quantity)).bind(item.line.unit_price.amount().get())
        .bind(item.line.price.amount().get()).bind(item.line.charged_now.amount().get())
        .bind(item.trial_days.is_some())
        .fetch_one(c).await)?;
    Ok(OrderItemId(id))
}

/// Writes an order's notes in one statement, in their order (the array travels as JSON and is
/// read back as rows by each backend's JSON function).
pub async fn insert_notes(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    bodies: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if bodies.is_empty() {
        return Ok(());
    }
    let conn: Conn<'_> = conn.into();
    const SQLITE: &str = "INSERT INTO order_notes (order_id, body, created_at) \
         SELECT $1, value, $3 FROM json_each($2) ORDER BY key";
    const POSTGRES: &str = "INSERT INTO order_notes (order_id, body, created_at) \
         SELECT $1, n.body, $3 FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS n(body, i) ORDER BY n.i";
    let sql = match conn.dialect() {
        super::Dialect::Sqlite => SQLITE,
        super::Dialect::Postgres => POSTGRES,
    };
    let bodies =
        serde_json::to_string(bodies).map_err(|e| DbError::Other(sqlx::Error::Encode(e.into())))?;
    on_conn!(conn, c => sqlx::query(sql).bind(order.0).bind(&bodies).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

pub struct NewTransaction<'a> {
    pub order_id: OrderId,
    pub parent_id: Option<TransactionId>,
    pub mid_id: MidId,
    pub payment_method_id: Option<PaymentMethodId>,
    pub kind: TransactionKind,
    pub amount: Money,
    pub result: TransactionResult,
    pub response_code: &'a str,
    pub response_text: &'a str,
    pub decline_class: Option<DeclineClass>,
    pub gateway_reference: Option<&'a str>,
    pub idempotency_key: &'a str,
    pub settled_at: Option<DateTime<Utc>>,
    /// Why a refund or void was made; empty for a charge.
    pub reason: &'a str,
}

pub async fn insert_transaction(
    conn: impl Into<Conn<'_>>,
    t: &NewTransaction<'_>,
    now: DateTime<Utc>,
) -> Result<TransactionId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO transactions (order_id, parent_id, mid_id, payment_method_id, kind, amount_minor, \
         currency, result, response_code, response_text, decline_class, gateway_reference, idempotency_key, \
         settled_at, created_at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(t.order_id.0).bind(t.parent_id.map(|p| p.0)).bind(t.mid_id.0)
        .bind(t.payment_method_id.map(|p| p.0)).bind(t.kind.key()).bind(t.amount.amount().get())
        .bind(t.amount.currency().code()).bind(t.result.key()).bind(t.response_code)
        .bind(t.response_text).bind(t.decline_class.map(DeclineClass::key))
        .bind(t.gateway_reference).bind(t.idempotency_key).bind(t.settled_at).bind(now)
        .bind(t.reason)
        .fetch_one(c).await)?;
    Ok(TransactionId(id))
}

pub struct NewSubscription {
    pub order_id: OrderId,
    pub order_item_id: OrderItemId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub mid_id: MidId,
    pub payment_method_id: PaymentMethodId,
    pub status: SubscriptionStatus,
    pub option: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub price: Money,
    pub cycle_days: u32,
    pub next_bill_at: Option<DateTime<Utc>>,
}

pub async fn insert_subscription(
    conn: impl Into<Conn<'_>>,
    s: &NewSubscription,
    now: DateTime<Utc>,
) -> Result<SubscriptionId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO subscriptions (order_id, order_item_id, customer_id, product_id, mid_id, \
         payment_method_id, status, option_name, quantity, unit_price_minor, price_minor, currency, cycle_days, \
         next_bill_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(s.order_id.0).bind(s.order_item_id.0).bind(s.customer_id.0).bind(s.product_id.0)
        .bind(s.mid_id.0).bind(s.payment_method_id.0).bind(s.status.key()).bind(&s.option)
        .bind(i64::from(s.quantity)).bind(s.unit_price.amount().get()).bind(s.price.amount().get())
        .bind(s.price.currency().code()).bind(i64::from(s.cycle_days)).bind(s.next_bill_at).bind(now)
        .fetch_one(c).await)?;
    Ok(SubscriptionId(id))
}

pub async fn insert_fulfillment(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    item: OrderItemId,
    now: DateTime<Utc>,
) -> Result<FulfillmentId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO fulfillments (order_id, order_item_id, status, created_at, updated_at) \
                       VALUES ($1, $2, 'pending', $3, $3) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(order.0).bind(item.0).bind(now).fetch_one(c).await)?;
    Ok(FulfillmentId(id))
}

/// What each MID in `mids` has taken since `since` (approved sales and captures), for the
/// monthly caps. One indexed range per MID; only capped MIDs are asked about.
pub async fn taken_since(
    conn: impl Into<Conn<'_>>,
    mid: MidId,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM transactions WHERE mid_id = $1 \
         AND created_at >= $2 AND kind IN ('sale', 'capture') AND result = 'approved'";
    let sum: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(mid.0).bind(since).fetch_one(c).await)?;
    Ok(sum)
}

// ---- reading an order ------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    customer_id: i64,
    campaign_id: i64,
    parent_order_id: Option<i64>,
    payment_method_id: Option<i64>,
    mid_id: Option<i64>,
    kind: String,
    status: String,
    currency: String,
    total_minor: i64,
    ip_address: Option<String>,
    created_at: DateTime<Utc>,
    campaign_name: String,
    mid_title: Option<String>,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    blacklisted: bool,
    customer_created_at: DateTime<Utc>,
    pm_provider: Option<String>,
    pm_token: Option<String>,
    pm_brand: Option<String>,
    pm_card_type: Option<String>,
    pm_first6: Option<String>,
    pm_last4: Option<String>,
    pm_exp_month: Option<i64>,
    pm_exp_year: Option<i64>,
    pm_fingerprint: Option<String>,
}

impl OrderRow {
    fn customer(&self) -> Customer {
        Customer {
            id: CustomerId(self.customer_id),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            blacklisted: self.blacklisted,
            created_at: self.customer_created_at,
        }
    }

    fn payment_method(&self) -> Result<Option<PaymentMethod>, DbError> {
        let Some(id) = self.payment_method_id else {
            return Ok(None);
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        PaymentMethod::try_from(PaymentMethodRow {
            id,
            customer_id: self.customer_id,
            provider: text(&self.pm_provider),
            token: text(&self.pm_token),
            brand: text(&self.pm_brand),
            card_type: text(&self.pm_card_type),
            first6: text(&self.pm_first6),
            last4: text(&self.pm_last4),
            exp_month: self.pm_exp_month.unwrap_or_default(),
            exp_year: self.pm_exp_year.unwrap_or_default(),
            fingerprint: text(&self.pm_fingerprint),
        })
        .map(Some)
    }

    fn order(&self) -> Result<Order, DbError> {
        let bad = |column, value: &str| DbError::corrupt("orders", self.id, column, value);
        Ok(Order {
            id: OrderId(self.id),
            customer_id: CustomerId(self.customer_id),
            campaign_id: CampaignId(self.campaign_id),
            parent_order_id: self.parent_order_id.map(OrderId),
            payment_method_id: self.payment_method_id.map(PaymentMethodId),
            mid_id: self.mid_id.map(MidId),
            kind: OrderKind::from_key(&self.kind).ok_or_else(|| bad("kind", &self.kind))?,
            status: OrderStatus::from_key(&self.status)
                .ok_or_else(|| bad("status", &self.status))?,
            total: money("orders", self.id, self.total_minor, &self.currency)?,
            ip_address: self.ip_address.clone(),
            created_at: self.created_at,
        })
    }
}

pub async fn find_order(conn: impl Into<Conn<'_>>, id: OrderId) -> Result<Option<Order>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let row: Option<OrderRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(ORDER_SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(|r| r.order()).transpose()
}

/// The order with its campaign's name, its MID's title, its customer and its card: one row.
const ORDER_SQL: &str = "SELECT o.id, o.customer_id, o.campaign_id, o.parent_order_id, o.payment_method_id, o.mid_id, \
     o.kind, o.status, o.currency, o.total_minor, o.ip_address, o.created_at, c.name AS campaign_name, \
     m.title AS mid_title, \
     u.first_name, u.last_name, u.email, u.phone, u.blacklisted, u.created_at AS customer_created_at, \
     p.provider AS pm_provider, p.token AS pm_token, p.brand AS pm_brand, p.card_type AS pm_card_type, \
     p.first6 AS pm_first6, p.last4 AS pm_last4, p.exp_month AS pm_exp_month, p.exp_year AS pm_exp_year, \
     p.fingerprint AS pm_fingerprint \
     FROM orders o JOIN campaigns c ON c.id = o.campaign_id JOIN customers u ON u.id = o.customer_id \
     LEFT JOIN mids m ON m.id = o.mid_id LEFT JOIN payment_methods p ON p.id = o.payment_method_id \
     WHERE o.id = $1";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    product_id: i64,
    product_name: String,
    option_name: Option<String>,
    quantity: i64,
    unit_price_minor: i64,
    price_minor: i64,
    charged_minor: i64,
    trial: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct TransactionRow {
    id: i64,
    order_id: i64,
    parent_id: Option<i64>,
    mid_id: i64,
    kind: String,
    amount_minor: i64,
    currency: String,
    result: String,
    response_code: String,
    response_text: String,
    decline_class: Option<String>,
    gateway_reference: Option<String>,
    settled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    pub(super) mid_title: String,
}

impl TryFrom<&TransactionRow> for Transaction {
    type Error = DbError;

    fn try_from(r: &TransactionRow) -> Result<Self, DbError> {
        let bad = |column, value: &str| DbError::corrupt("transactions", r.id, column, value);
        Ok(Transaction {
            id: TransactionId(r.id),
            order_id: OrderId(r.order_id),
            parent_id: r.parent_id.map(TransactionId),
            mid_id: MidId(r.mid_id),
            kind: TransactionKind::from_key(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            amount: money("transactions", r.id, r.amount_minor, &r.currency)?,
            result: TransactionResult::from_key(&r.result)
                .ok_or_else(|| bad("result", &r.result))?,
            response_code: r.response_code.clone(),
            response_text: r.response_text.clone(),
            decline_class: match &r.decline_class {
                None => None,
                Some(class) => {
                    Some(DeclineClass::from_key(class).ok_or_else(|| bad("decline_class", class))?)
                }
            },
            gateway_reference: r.gateway_reference.clone(),
            settled_at: r.settled_at,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SubscriptionRow {
    id: i64,
    order_id: i64,
    customer_id: i64,
    product_id: i64,
    product_name: String,
    mid_id: i64,
    status: String,
    option_name: Option<String>,
    quantity: i64,
    unit_price_minor: i64,
    price_minor: i64,
    currency: String,
    cycle_days: i64,
    next_bill_at: Option<DateTime<Utc>>,
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = DbError;

    fn try_from(r: SubscriptionRow) -> Result<Self, DbError> {
        const T: &str = "subscriptions";
        Ok(Subscription {
            id: SubscriptionId(r.id),
            order_id: OrderId(r.order_id),
            customer_id: CustomerId(r.customer_id),
            product_id: ProductId(r.product_id),
            mid_id: MidId(r.mid_id),
            status: SubscriptionStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt(T, r.id, "status", &r.status))?,
            quantity: count(T, r.id, "quantity", r.quantity)?,
            unit_price: money(T, r.id, r.unit_price_minor, &r.currency)?,
            price: money(T, r.id, r.price_minor, &r.currency)?,
            cycle_days: count(T, r.id, "cycle_days", r.cycle_days)?,
            next_bill_at: r.next_bill_at,
            option: r.option_name,
            product_name: r.product_name,
        })
    }
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

/// The order with its customer, card, items, transactions, subscriptions, fulfillments and
/// notes: six indexed queries whatever the order holds.
pub async fn order_details(
    conn: impl Into<Conn<'_>>,
    id: OrderId,
) -> Result<Option<crate::domain::order::OrderDetails>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let row: Option<OrderRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(ORDER_SQL).bind(id.0).fetch_optional(c).await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let order = row.order()?;
    let customer = row.customer();
    let payment_method = row.payment_method()?;

    const ITEMS: &str = "SELECT id, product_id, product_name, option_name, quantity, unit_price_minor, price_minor, \
                         charged_minor, trial FROM order_items WHERE order_id = $1 ORDER BY id";
    let items: Vec<ItemRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(ITEMS).bind(id.0).fetch_all(c).await)?;
    let currency = order.total.currency().code();
    let items = items
        .into_iter()
        .map(|r| {
            const T: &str = "order_items";
            Ok(OrderItem {
                id: OrderItemId(r.id),
                product_id: ProductId(r.product_id),
                product_name: r.product_name,
                option: r.option_name,
                quantity: count(T, r.id, "quantity", r.quantity)?,
                unit_price: money(T, r.id, r.unit_price_minor, currency)?,
                price: money(T, r.id, r.price_minor, currency)?,
                charged: money(T, r.id, r.charged_minor, currency)?,
                trial: r.trial,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;

    const TRANSACTIONS: &str = "SELECT t.id, t.order_id, t.parent_id, t.mid_id, t.kind, t.amount_minor, t.currency, \
         t.result, t.response_code, t.response_text, t.decline_class, t.gateway_reference, t.settled_at, \
         t.created_at, m.title AS mid_title FROM transactions t JOIN mids m ON m.id = t.mid_id \
         WHERE t.order_id = $1 ORDER BY t.id";
    let rows: Vec<TransactionRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(TRANSACTIONS).bind(id.0).fetch_all(c).await)?;
    let transactions = rows
        .iter()
        .map(Transaction::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let mut mid_titles: Vec<(MidId, String)> = Vec::new();
    for r in rows {
        if !mid_titles.iter().any(|(m, _)| m.0 == r.mid_id) {
            mid_titles.push((MidId(r.mid_id), r.mid_title));
        }
    }
    if let (Some(mid), Some(title)) = (order.mid_id, row.mid_title.clone())
        && !mid_titles.iter().any(|(m, _)| *m == mid)
    {
        mid_titles.push((mid, title));
    }

    const SUBSCRIPTIONS: &str = "SELECT s.id, s.order_id, s.customer_id, s.product_id, i.product_name, s.mid_id, s.status, \
         s.option_name, s.quantity, s.unit_price_minor, s.price_minor, s.currency, s.cycle_days, s.next_bill_at \
         FROM subscriptions s JOIN order_items i ON i.id = s.order_item_id WHERE s.order_id = $1 ORDER BY s.id";
    let rows: Vec<SubscriptionRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(SUBSCRIPTIONS).bind(id.0).fetch_all(c).await)?;
    let subscriptions = rows
        .into_iter()
        .map(Subscription::try_from)
        .collect::<Result<Vec<_>, _>>()?;

    const FULFILLMENTS: &str = "SELECT f.id, f.order_id, i.product_name, f.status, f.tracking_number, f.created_at \
         FROM fulfillments f LEFT JOIN order_items i ON i.id = f.order_item_id WHERE f.order_id = $1 ORDER BY f.id";
    let rows: Vec<FulfillmentRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(FULFILLMENTS).bind(id.0).fetch_all(c).await)?;
    let fulfillments = rows
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

    const NOTES: &str = "SELECT body, created_at FROM order_notes WHERE order_id = $1 ORDER BY id";
    let notes: Vec<(String, DateTime<Utc>)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(NOTES).bind(id.0).fetch_all(c).await)?;
    Ok(Some(crate::domain::order::OrderDetails {
        order,
        customer,
        campaign_name: row.campaign_name,
        mid_title: row.mid_title,
        payment_method,
        items,
        transactions,
        mid_titles,
        subscriptions,
        fulfillments,
        notes: notes
            .into_iter()
            .map(|(body, created_at)| OrderNote { body, created_at })
            .collect(),
    }))
}

// ---- reversals (voids and refunds) ------------------------------------------------------

/// A charge as the reversal rules see it, held for update, with what its reversal needs.
#[derive(Debug, Clone)]
pub struct ChargeFacts {
    pub id: TransactionId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub payment_method_id: Option<PaymentMethodId>,
    pub mid: crate::domain::mid::Mid,
    /// The gateway's reference of the sale.
    pub reference: String,
    pub charged: crate::domain::payment::Charged,
    /// Set once the reversal is reserved.
    pub reversal_id: TransactionId,
}

#[derive(sqlx::FromRow)]
struct ChargeRow {
    id: i64,
    order_id: i64,
    customer_id: i64,
    payment_method_id: Option<i64>,
    mid_id: i64,
    kind: String,
    result: String,
    amount_minor: i64,
    currency: String,
    gateway_reference: Option<String>,
    settled_at: Option<DateTime<Utc>>,
    refunded: i64,
    voided: bool,
}

/// The charge `id` with its approved and pending refunds summed and its void noted, its row
/// locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's one writer already
/// holds the database).
pub async fn charge_for_update(
    conn: impl Into<Conn<'_>>,
    id: TransactionId,
    now: DateTime<Utc>,
) -> Result<Option<ChargeFacts>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const COLUMNS: &str = "SELECT t.id, t.order_id, \
         (SELECT o.customer_id FROM orders o WHERE o.id = t.order_id) AS customer_id, t.payment_method_id, t.mid_id, t.kind, t.result, \
         t.amount_minor, t.currency, t.gateway_reference, t.settled_at, \
         CAST((SELECT COALESCE(SUM(r.amount_minor), 0) FROM transactions r WHERE r.parent_id = t.id \
               AND r.kind = 'refund' AND r.result IN ('approved', 'pending')) AS BIGINT) AS refunded, \
         EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = t.id AND v.kind = 'void' \
               AND v.result IN ('approved', 'pending')) AS voided \
         FROM transactions t WHERE t.id = $1";
    // PostgreSQL: the lock is taken by a statement of its own, so the sums are read after it,
    // from a snapshot that sees every reversal committed while this one waited for it.
    if conn.dialect() == super::Dialect::Postgres {
        const LOCK: &str = "SELECT id FROM transactions WHERE id = $1 FOR UPDATE";
        let locked: Option<i64> = on_conn!(conn.reborrow(), c => sqlx::query_scalar(LOCK).bind(id.0).fetch_optional(c).await)?;
        if locked.is_none() {
            return Ok(None);
        }
    }
    let row: Option<ChargeRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(COLUMNS).bind(id.0).fetch_optional(c).await)?;
    let Some(r) = row else {
        return Ok(None);
    };
    let bad = |column, value: &str| DbError::corrupt("transactions", r.id, column, value);
    let mid = super::mids::find(conn.reborrow(), MidId(r.mid_id))
        .await?
        .ok_or_else(|| bad("mid_id", &r.mid_id.to_string()))?;
    let charged = crate::domain::payment::Charged {
        kind: TransactionKind::from_key(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
        result: TransactionResult::from_key(&r.result).ok_or_else(|| bad("result", &r.result))?,
        amount: money("transactions", r.id, r.amount_minor, &r.currency)?,
        settled: r.settled_at.is_some_and(|at| at <= now),
        voided: r.voided,
        refunded: money("transactions", r.id, r.refunded, &r.currency)?,
    };
    Ok(Some(ChargeFacts {
        id,
        order_id: OrderId(r.order_id),
        customer_id: CustomerId(r.customer_id),
        payment_method_id: r.payment_method_id.map(PaymentMethodId),
        mid,
        reference: r.gateway_reference.unwrap_or_default(),
        charged,
        reversal_id: id,
    }))
}

/// Writes the gateway's answer on a pending reversal.
pub async fn answer_reversal(
    conn: impl Into<Conn<'_>>,
    id: TransactionId,
    reply: &crate::gateway::Reply,
    class: Option<DeclineClass>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE transactions SET result = $2, response_code = $3, response_text = $4, \
         decline_class = $5, gateway_reference = $6 WHERE id = $1 AND result = 'pending'";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(reply.result().key()).bind(&reply.code).bind(&reply.text)
        .bind(class.map(DeclineClass::key)).bind(&reply.reference)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// A charge as a confirmation names it: its order, its amount and its card ("Visa …1111").
pub async fn describe_charge(
    conn: impl Into<Conn<'_>>,
    id: TransactionId,
) -> Result<Option<(OrderId, Money, String)>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT t.order_id, t.amount_minor, t.currency, p.brand, p.last4 FROM transactions t \
         LEFT JOIN payment_methods p ON p.id = t.payment_method_id WHERE t.id = $1";
    #[derive(sqlx::FromRow)]
    struct Row {
        order_id: i64,
        amount_minor: i64,
        currency: String,
        brand: Option<String>,
        last4: Option<String>,
    }
    let row: Option<Row> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(|r| {
        let (order, last4) = (r.order_id, r.last4);
        let amount = money("transactions", id.0, r.amount_minor, &r.currency)?;
        let brand = r
            .brand
            .as_deref()
            .and_then(Brand::from_key)
            .map_or("the card", Brand::label);
        let card = match last4 {
            Some(last4) => format!("{brand} …{last4}"),
            None => brand.to_owned(),
        };
        Ok((OrderId(order), amount, card))
    })
    .transpose()
}

/// After a reversal: an order whose charges are all given back is `refunded`, one partly given
/// back `partial` (SPEC 3). Only a complete or partial order moves; one statement.
pub async fn mark_reversed(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE orders SET updated_at = $2, status = CASE \
         WHEN r.reversed >= r.charged AND r.charged > 0 THEN 'refunded' \
         WHEN r.reversed > 0 THEN 'partial' ELSE orders.status END \
         FROM (SELECT \
           COALESCE(SUM(CASE WHEN kind IN ('sale', 'capture') THEN amount_minor END), 0) AS charged, \
           COALESCE(SUM(CASE WHEN kind IN ('refund', 'void') THEN amount_minor END), 0) AS reversed \
           FROM transactions WHERE order_id = $1 AND result = 'approved') r \
         WHERE orders.id = $1 AND orders.status IN ('complete', 'partial')";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(order.0).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Records `customer`'s email, phone and every card fingerprint on file on the blacklist (a
/// value already there stays as it is) and flags the customer; answers how many entries they
/// have. (`WHERE TRUE` lets SQLite read the `ON CONFLICT` of an `INSERT ... SELECT`.)
pub async fn blacklist_customer(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const VALUES: &str = "INSERT INTO blacklist (customer_id, kind, value, reason, created_at) \
         SELECT $1, v.kind, v.value, $2, $3 FROM ( \
           SELECT 'email' AS kind, email AS value FROM customers WHERE id = $1 \
           UNION SELECT 'phone', phone FROM customers WHERE id = $1 AND phone <> '' \
           UNION SELECT 'fingerprint', fingerprint FROM payment_methods WHERE customer_id = $1) v \
         WHERE TRUE ON CONFLICT (kind, value) DO NOTHING";
    const FLAG: &str = "UPDATE customers SET blacklisted = TRUE, updated_at = $2 WHERE id = $1";
    const COUNT: &str = "SELECT COUNT(*) FROM blacklist WHERE customer_id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(VALUES).bind(customer.0).bind(reason).bind(now).execute(c).await.map(drop))?;
    on_conn!(conn.reborrow(), c => sqlx::query(FLAG).bind(customer.0).bind(now).execute(c).await.map(drop))?;
    let n: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(COUNT).bind(customer.0).fetch_one(c).await)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Removes every blacklist entry made for `customer` and clears the flag.
pub async fn unblacklist_customer(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const DELETE: &str = "DELETE FROM blacklist WHERE customer_id = $1";
    const FLAG: &str = "UPDATE customers SET blacklisted = FALSE, updated_at = $2 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(DELETE).bind(customer.0).execute(c).await.map(drop))?;
    on_conn!(conn.reborrow(), c => sqlx::query(FLAG).bind(customer.0).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Customers matching every part of `lookup` given, newest first, with their cards ("Visa
/// …1111"): two queries. Each part is an indexed equality (email, phone, last 4).
pub async fn find_customers(
    conn: impl Into<Conn<'_>>,
    lookup: &crate::domain::order::CustomerLookup,
) -> Result<Vec<(Customer, Vec<String>)>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, first_name, last_name, email, phone, blacklisted, created_at FROM customers c \
         WHERE ($1 = '' OR c.email = $1) AND ($2 = '' OR c.phone = $2) \
         AND ($3 = '' OR EXISTS (SELECT 1 FROM payment_methods p WHERE p.customer_id = c.id AND p.last4 = $3)) \
         ORDER BY c.id DESC LIMIT $4";
    let limit = i64::try_from(crate::domain::order::LOOKUP_LIMIT).unwrap_or(50);
    let email = lookup.email.as_deref().unwrap_or("");
    let phone = lookup.phone.as_deref().unwrap_or("");
    let last4 = lookup.last4.as_deref().unwrap_or("");
    let rows: Vec<CustomerRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
        .bind(email).bind(phone).bind(last4).bind(limit)
        .fetch_all(c).await)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let ids = format!("[{}]", ids.join(","));
    const CARDS_SQLITE: &str = "SELECT customer_id, brand, last4 FROM payment_methods \
         WHERE customer_id IN (SELECT value FROM json_each($1)) ORDER BY id";
    const CARDS_POSTGRES: &str = "SELECT customer_id, brand, last4 FROM payment_methods \
         WHERE customer_id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint) ORDER BY id";
    let sql = match conn.dialect() {
        super::Dialect::Sqlite => CARDS_SQLITE,
        super::Dialect::Postgres => CARDS_POSTGRES,
    };
    let cards: Vec<(i64, String, String)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(sql).bind(&ids).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let id = r.id;
            let labels = cards
                .iter()
                .filter(|(owner, ..)| *owner == id)
                .map(|(_, brand, last4)| {
                    let brand = Brand::from_key(brand).map_or("Card", Brand::label);
                    format!("{brand} …{last4}")
                })
                .collect();
            (Customer::from(r), labels)
        })
        .collect())
}

/// One page of blacklisted customers, newest first, with how many entries each has.
pub async fn blacklisted_customers(
    conn: impl Into<Conn<'_>>,
    page: crate::domain::page::PageRequest,
) -> Result<crate::domain::page::Page<crate::domain::order::BlacklistedCustomer>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT c.id, c.first_name, c.last_name, c.email, COUNT(b.id) AS entries, \
         MIN(b.reason) AS reason, MIN(b.created_at) AS since \
         FROM blacklist b JOIN customers c ON c.id = b.customer_id \
         GROUP BY c.id, c.first_name, c.last_name, c.email ORDER BY MIN(b.created_at) DESC, c.id DESC \
         LIMIT $1 OFFSET $2";
    const COUNT: &str =
        "SELECT COUNT(DISTINCT customer_id) FROM blacklist WHERE customer_id IS NOT NULL";
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        first_name: String,
        last_name: String,
        email: String,
        entries: i64,
        reason: String,
        since: DateTime<Utc>,
    }
    let rows: Vec<Row> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(page.limit()).bind(page.offset()).fetch_all(c).await)?;
    let total: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(COUNT).fetch_one(c).await)?;
    Ok(crate::domain::page::Page {
        items: rows
            .into_iter()
            .map(|r| crate::domain::order::BlacklistedCustomer {
                customer_id: CustomerId(r.id),
                name: format!("{} {}", r.first_name, r.last_name),
                email: r.email,
                entries: u32::try_from(r.entries).unwrap_or(u32::MAX),
                reason: r.reason,
                since: r.since,
            })
            .collect(),
        number: page.number,
        size: page.size,
        total,
    })
}
