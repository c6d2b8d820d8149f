//! Purchase details (R-CS-7): a subscription read whole for its page, and what an agent's
//! actions change on it. Every change runs in the service's transaction after [`lock`].

use chrono::{DateTime, Utc};

use super::orders::money;
use super::{Conn, DbError, on_conn};
use crate::domain::card::Brand;
use crate::domain::ids::{
    CustomerId, MidId, OrderId, PaymentMethodId, ProductId, SubscriptionId, TransactionId,
};
use crate::domain::money::Money;
use crate::domain::order::SubscriptionStatus;
use crate::domain::subscription::{LastDecline, SubscriptionDetails};

const T: &str = "subscriptions";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    order_id: i64,
    customer_id: i64,
    first_name: String,
    last_name: String,
    email: String,
    product_id: i64,
    product_name: String,
    option_name: Option<String>,
    mid_id: i64,
    mid_title: String,
    payment_method_id: i64,
    brand: String,
    last4: String,
    status: String,
    quantity: i64,
    unit_price_minor: i64,
    price_minor: i64,
    currency: String,
    cycle_days: i64,
    next_bill_at: Option<DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
    paused_from: Option<String>,
    cancel_reason: Option<String>,
    cancelled_at: Option<DateTime<Utc>>,
    cycles_billed: i64,
    began_with_trial: bool,
    last_decline_transaction_id: Option<i64>,
    decline_amount_minor: Option<i64>,
    decline_currency: Option<String>,
    decline_code: Option<String>,
    decline_text: Option<String>,
    decline_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn count(id: i64, column: &'static str, n: i64) -> Result<u32, DbError> {
    u32::try_from(n).map_err(|_| DbError::corrupt(T, id, column, n))
}

impl TryFrom<Row> for SubscriptionDetails {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        let status = |column, key: &str| {
            SubscriptionStatus::from_key(key).ok_or_else(|| DbError::corrupt(T, r.id, column, key))
        };
        let brand = Brand::from_key(&r.brand).ok_or_else(|| {
            DbError::corrupt("payment_methods", r.payment_method_id, "brand", &r.brand)
        })?;
        let last_decline = match (
            r.last_decline_transaction_id,
            r.decline_amount_minor,
            r.decline_currency.as_deref(),
            r.decline_at,
        ) {
            (Some(id), Some(minor), Some(currency), Some(at)) => Some(LastDecline {
                transaction_id: TransactionId(id),
                amount: money("transactions", id, minor, currency)?,
                code: r.decline_code.clone().unwrap_or_default(),
                text: r.decline_text.clone().unwrap_or_default(),
                at,
            }),
            _ => None,
        };
        Ok(SubscriptionDetails {
            id: SubscriptionId(r.id),
            order_id: OrderId(r.order_id),
            customer_id: CustomerId(r.customer_id),
            customer_name: format!("{} {}", r.first_name, r.last_name),
            customer_email: r.email.clone(),
            product_id: ProductId(r.product_id),
            product_name: r.product_name.clone(),
            option: r.option_name.clone(),
            mid_id: MidId(r.mid_id),
            mid_title: r.mid_title.clone(),
            payment_method_id: PaymentMethodId(r.payment_method_id),
            card_label: format!("{} …{}", brand.label(), r.last4),
            status: status("status", &r.status)?,
            quantity: count(r.id, "quantity", r.quantity)?,
            unit_price: money(T, r.id, r.unit_price_minor, &r.currency)?,
            price: money(T, r.id, r.price_minor, &r.currency)?,
            cycle_days: count(r.id, "cycle_days", r.cycle_days)?,
            next_bill_at: r.next_bill_at,
            paused_until: r.paused_until,
            paused_from: r
                .paused_from
                .as_deref()
                .map(|key| status("paused_from", key))
                .transpose()?,
            cancel_reason: r.cancel_reason.clone(),
            cancelled_at: r.cancelled_at,
            cycles_billed: count(r.id, "cycles_billed", r.cycles_billed)?,
            began_with_trial: r.began_with_trial,
            last_decline,
            created_at: r.created_at,
        })
    }
}

/// The subscription with its customer, product line, MID, card and last decline: one row.
pub async fn find(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
) -> Result<Option<SubscriptionDetails>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT s.id, s.order_id, s.customer_id, c.first_name, c.last_name, c.email, \
         s.product_id, i.product_name, s.option_name, s.mid_id, m.title AS mid_title, s.payment_method_id, \
         p.brand, p.last4, s.status, s.quantity, s.unit_price_minor, s.price_minor, s.currency, s.cycle_days, \
         s.next_bill_at, s.paused_until, s.paused_from, s.cancel_reason, s.cancelled_at, s.cycles_billed, \
         i.trial AS began_with_trial, s.last_decline_transaction_id, t.amount_minor AS decline_amount_minor, \
         t.currency AS decline_currency, t.response_code AS decline_code, t.response_text AS decline_text, \
         t.created_at AS decline_at, s.created_at \
         FROM subscriptions s JOIN customers c ON c.id = s.customer_id \
         JOIN order_items i ON i.id = s.order_item_id JOIN mids m ON m.id = s.mid_id \
         JOIN payment_methods p ON p.id = s.payment_method_id \
         LEFT JOIN transactions t ON t.id = s.last_decline_transaction_id WHERE s.id = $1";
    let row: Option<Row> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(SubscriptionDetails::try_from).transpose()
}

/// Holds the subscription's row until the transaction ends (`FOR UPDATE` on PostgreSQL;
/// SQLite's one writer already holds the database). False when there is no such subscription.
pub async fn lock(conn: impl Into<Conn<'_>>, id: SubscriptionId) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let sql = match conn.dialect() {
        super::Dialect::Postgres => "SELECT id FROM subscriptions WHERE id = $1 FOR UPDATE",
        super::Dialect::Sqlite => "SELECT id FROM subscriptions WHERE id = $1",
    };
    let found: Option<i64> =
        on_conn!(conn.reborrow(), c => sqlx::query_scalar(sql).bind(id.0).fetch_optional(c).await)?;
    Ok(found.is_some())
}

/// A trial begun again, or a next billing date set by hand: billing next at `next_bill_at`.
pub async fn set_next_bill(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    next_bill_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET next_bill_at = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(next_bill_at).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Another option of the product, at `unit_price`; the price follows (R-CS-6).
pub async fn set_option(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    option: &str,
    unit_price: Money,
    price: Money,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET option_name = $2, unit_price_minor = $3, price_minor = $4, \
         updated_at = $5 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(option).bind(unit_price.amount().get()).bind(price.amount().get()).bind(now)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// A new quantity and unit price, and the price they make (R-CS-6).
pub async fn set_price(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    quantity: u32,
    unit_price: Money,
    price: Money,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET quantity = $2, unit_price_minor = $3, price_minor = $4, \
         updated_at = $5 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(i64::from(quantity)).bind(unit_price.amount().get()).bind(price.amount().get())
        .bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Cancelled with `reason`: no next bill, no pause.
pub async fn cancel(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET status = 'cancelled', cancel_reason = $2, cancelled_at = $3, \
         next_bill_at = NULL, paused_until = NULL, paused_from = NULL, updated_at = $3 \
         WHERE id = $1 AND status <> 'cancelled'";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(reason).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Paused, from `from` (where a resume returns it), until `until` or until resumed.
pub async fn pause(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    from: SubscriptionStatus,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET status = 'paused', paused_from = $2, paused_until = $3, \
         updated_at = $4 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(from.key()).bind(until).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Back to `status`, billing next at `next_bill_at`.
pub async fn resume(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    status: SubscriptionStatus,
    next_bill_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET status = $2, paused_from = NULL, paused_until = NULL, \
         next_bill_at = $3, updated_at = $4 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(status.key()).bind(next_bill_at).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// A cycle billed: active, one more cycle counted, billing next at `next_bill_at`; the last
/// decline is behind it and the bill's claim is let go.
pub async fn billed(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    next_bill_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET status = 'active', cycles_billed = cycles_billed + 1, \
         next_bill_at = $2, last_decline_transaction_id = NULL, billing_claim = NULL, billing_claimed_at = NULL, \
         updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(next_bill_at).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// A bill declined: recorded as the subscription's last decline; the claim is let go.
pub async fn declined(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    transaction: TransactionId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET last_decline_transaction_id = $2, billing_claim = NULL, \
         billing_claimed_at = NULL, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(transaction.0).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Takes the subscription for a bill under `key`, unless another bill holds it (a claim made
/// at `stale_before` or later). True for the caller that won it.
pub async fn claim_billing(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    key: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET billing_claim = $2, billing_claimed_at = $3 \
         WHERE id = $1 AND status <> 'cancelled' AND (billing_claim IS NULL OR billing_claimed_at < $4)";
    let changed = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(key).bind(now).bind(stale_before)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// The key of the bill holding the subscription, if one does.
pub async fn billing_claim(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
) -> Result<Option<String>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT billing_claim FROM subscriptions WHERE id = $1";
    let claim: Option<Option<String>> =
        on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(id.0).fetch_optional(c).await)?;
    Ok(claim.flatten())
}

/// Lets go of the claim `key` holds (a bill that ended without writing its answer).
pub async fn release_billing(
    conn: impl Into<Conn<'_>>,
    id: SubscriptionId,
    key: &str,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE subscriptions SET billing_claim = NULL, billing_claimed_at = NULL \
         WHERE id = $1 AND billing_claim = $2";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(key).execute(c).await.map(drop))?;
    Ok(())
}

/// The transaction recorded under idempotency key `key`.
pub async fn transaction_by_key(
    conn: impl Into<Conn<'_>>,
    key: &str,
) -> Result<Option<TransactionId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id FROM transactions WHERE idempotency_key = $1";
    let id: Option<i64> =
        on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(key).fetch_optional(c).await)?;
    Ok(id.map(TransactionId))
}
