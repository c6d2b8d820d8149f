//! What the order summary's actions change (R-CS-7): cancelling an order with its
//! subscriptions and pending fulfillments, reships and cancelled fulfillments, and the emails
//! an agent sends again.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::{CustomerId, FulfillmentId, MidId, OrderId, OutboxId};
use crate::domain::order::FulfillmentStatus;

/// What cancelling an order changed, for its event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cancelled {
    pub subscriptions: u64,
    pub fulfillments: u64,
}

/// Cancels `order` (unless it is already), its live subscriptions and its pending fulfillments.
/// `None` when the order was cancelled already (or is not there): nothing changed.
pub async fn cancel_order(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<Cancelled>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const ORDER: &str = "UPDATE orders SET status = 'cancelled', cancel_reason = $2, cancelled_at = $3, \
                         updated_at = $3 WHERE id = $1 AND status <> 'cancelled'";
    const SUBSCRIPTIONS: &str = "UPDATE subscriptions SET status = 'cancelled', cancel_reason = $2, \
                                 cancelled_at = $3, next_bill_at = NULL, updated_at = $3 \
                                 WHERE order_id = $1 AND status <> 'cancelled'";
    const FULFILLMENTS: &str = "UPDATE fulfillments SET status = 'cancelled', reason = $2, updated_at = $3 \
                                WHERE order_id = $1 AND status = 'pending'";
    let changed = on_conn!(conn.reborrow(), c => sqlx::query(ORDER)
        .bind(order.0).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Ok(None);
    }
    let subscriptions = on_conn!(conn.reborrow(), c => sqlx::query(SUBSCRIPTIONS)
        .bind(order.0).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    let fulfillments = on_conn!(conn.reborrow(), c => sqlx::query(FULFILLMENTS)
        .bind(order.0).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(Some(Cancelled {
        subscriptions,
        fulfillments,
    }))
}

/// A fulfillment with the order and customer it belongs to.
#[derive(Debug, Clone)]
pub struct FulfillmentFacts {
    pub id: FulfillmentId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub order_item_id: Option<i64>,
    pub status: FulfillmentStatus,
    pub product_name: Option<String>,
}

pub async fn fulfillment(
    conn: impl Into<Conn<'_>>,
    id: FulfillmentId,
) -> Result<Option<FulfillmentFacts>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT f.id, f.order_id, o.customer_id, f.order_item_id, f.status, i.product_name \
                       FROM fulfillments f JOIN orders o ON o.id = f.order_id \
                       LEFT JOIN order_items i ON i.id = f.order_item_id WHERE f.id = $1";
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        order_id: i64,
        customer_id: i64,
        order_item_id: Option<i64>,
        status: String,
        product_name: Option<String>,
    }
    let row: Option<Row> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(|r| {
        Ok(FulfillmentFacts {
            id: FulfillmentId(r.id),
            order_id: OrderId(r.order_id),
            customer_id: CustomerId(r.customer_id),
            order_item_id: r.order_item_id,
            status: FulfillmentStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt("fulfillments", r.id, "status", &r.status))?,
            product_name: r.product_name,
        })
    })
    .transpose()
}

/// A new pending fulfillment shipping `from`'s item again, with why.
pub async fn reship(
    conn: impl Into<Conn<'_>>,
    from: &FulfillmentFacts,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<FulfillmentId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO fulfillments (order_id, order_item_id, status, reason, reshipped_from, created_at, updated_at) \
                       VALUES ($1, $2, 'pending', $3, $4, $5, $5) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(from.order_id.0).bind(from.order_item_id).bind(reason).bind(from.id.0).bind(now)
        .fetch_one(c).await)?;
    Ok(FulfillmentId(id))
}

/// Cancels a fulfillment that is still pending: true when it was.
pub async fn cancel_fulfillment(
    conn: impl Into<Conn<'_>>,
    id: FulfillmentId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE fulfillments SET status = 'cancelled', reason = $2, updated_at = $3 \
                       WHERE id = $1 AND status = 'pending'";
    let changed = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(reason).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// An email as it was written to the outbox, to send again.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub id: OutboxId,
    pub customer_id: Option<CustomerId>,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The newest email of one of `kinds` written for `order`.
pub async fn latest_email(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    kinds: &[&str],
) -> Result<Option<SentEmail>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, customer_id, kind, to_address, subject, body FROM outbox \
                       WHERE order_id = $1 AND kind IN ($2, $3) ORDER BY id DESC LIMIT 1";
    let first = kinds.first().copied().unwrap_or("");
    let second = kinds.get(1).copied().unwrap_or(first);
    let row: Option<(i64, Option<i64>, String, String, String, String)> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
            .bind(order.0).bind(first).bind(second).fetch_optional(c).await)?;
    Ok(
        row.map(|(id, customer, kind, to, subject, body)| SentEmail {
            id: OutboxId(id),
            customer_id: customer.map(CustomerId),
            kind,
            to,
            subject,
            body,
        }),
    )
}

/// A refund or void as Resend Refund Email needs it.
#[derive(Debug, Clone)]
pub struct ReversalFacts {
    pub kind: crate::domain::payment::TransactionKind,
    pub result: crate::domain::payment::TransactionResult,
    pub amount: crate::domain::money::Money,
    pub parent_id: Option<crate::domain::ids::TransactionId>,
}

pub async fn reversal(
    conn: impl Into<Conn<'_>>,
    id: crate::domain::ids::TransactionId,
) -> Result<Option<ReversalFacts>, DbError> {
    use crate::domain::payment::{TransactionKind, TransactionResult};
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        "SELECT kind, result, amount_minor, currency, parent_id FROM transactions WHERE id = $1";
    let row: Option<(String, String, i64, String, Option<i64>)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(|(kind, result, minor, currency, parent)| {
        let bad = |column, value: &str| DbError::corrupt("transactions", id.0, column, value);
        Ok(ReversalFacts {
            kind: TransactionKind::from_key(&kind).ok_or_else(|| bad("kind", &kind))?,
            result: TransactionResult::from_key(&result).ok_or_else(|| bad("result", &result))?,
            amount: super::orders::money("transactions", id.0, minor, &currency)?,
            parent_id: parent.map(crate::domain::ids::TransactionId),
        })
    })
    .transpose()
}

/// Takes a declined new sale for a rerun (R-EN-5): `pending` while its charge is under way, so
/// two reruns at once charge once. True for the caller that won it.
pub async fn claim_rerun(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE orders SET status = 'pending', updated_at = $2 \
                       WHERE id = $1 AND status = 'declined' AND kind = 'new_sale'";
    let changed = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(order.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Ends a rerun: `complete` on the MID that approved it, or `declined` again.
pub async fn finish_rerun(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
    approved_on: Option<MidId>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE orders SET status = CASE WHEN $2 = 1 THEN 'complete' ELSE 'declined' END, \
                       mid_id = COALESCE($3, mid_id), updated_at = $4 WHERE id = $1 AND status = 'pending'";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(order.0).bind(i64::from(approved_on.is_some())).bind(approved_on.map(|m| m.0)).bind(now)
        .execute(c).await.map(drop))?;
    Ok(())
}
