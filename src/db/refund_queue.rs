//! The `refund_queue` table (R-CS-4).

use chrono::{DateTime, Utc};

use super::orders::money;
use super::{Conn, DbError, on_conn};
use crate::domain::ids::{CustomerId, OrderId, RefundQueueId, TransactionId, UserId};
use crate::domain::money::Money;
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::domain::refund_queue::{QueueCounts, QueueEntry, QueueStatus};

/// A refund the gateway failed, as it enters the queue.
#[derive(Debug, Clone)]
pub struct NewQueueEntry<'a> {
    pub transaction_id: TransactionId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub amount: Money,
    pub reason: &'a str,
    pub last_error: &'a str,
    pub next_try_at: DateTime<Utc>,
    pub requested_by: Option<UserId>,
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    entry: &NewQueueEntry<'_>,
    now: DateTime<Utc>,
) -> Result<RefundQueueId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO refund_queue (transaction_id, order_id, customer_id, amount_minor, \
                       currency, reason, status, attempts, last_error, next_try_at, requested_by, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $10, $10) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(entry.transaction_id.0).bind(entry.order_id.0).bind(entry.customer_id.0)
        .bind(entry.amount.amount().get()).bind(entry.amount.currency().code())
        .bind(entry.reason).bind(entry.last_error).bind(entry.next_try_at)
        .bind(entry.requested_by.map(|u| u.0)).bind(now)
        .fetch_one(conn).await)?;
    Ok(RefundQueueId(id))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    transaction_id: i64,
    order_id: i64,
    customer_id: i64,
    customer_name: String,
    amount_minor: i64,
    currency: String,
    reason: String,
    status: String,
    attempts: i64,
    last_error: String,
    next_try_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for QueueEntry {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        Ok(QueueEntry {
            id: RefundQueueId(r.id),
            transaction_id: TransactionId(r.transaction_id),
            order_id: OrderId(r.order_id),
            customer_id: CustomerId(r.customer_id),
            customer_name: r.customer_name,
            amount: money("refund_queue", r.id, r.amount_minor, &r.currency)?,
            reason: r.reason,
            status: QueueStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt("refund_queue", r.id, "status", &r.status))?,
            attempts: r.attempts,
            last_error: r.last_error,
            next_try_at: r.next_try_at,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT q.id, q.transaction_id, q.order_id, q.customer_id, \
                      c.first_name || ' ' || c.last_name AS customer_name, q.amount_minor, q.currency, \
                      q.reason, q.status, q.attempts, q.last_error, q.next_try_at, q.created_at \
                      FROM refund_queue q JOIN customers c ON c.id = q.customer_id";

pub async fn find(
    conn: impl Into<Conn<'_>>,
    id: RefundQueueId,
) -> Result<Option<QueueEntry>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE q.id = $1");
    let row: Option<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(id.0).fetch_optional(conn).await)?;
    row.map(QueueEntry::try_from).transpose()
}

/// Takes the next retry of a queued entry that has made `attempts` retries: true for the one
/// caller that won it, so two workers or a double click never retry it twice at once.
pub async fn claim(
    conn: impl Into<Conn<'_>>,
    id: RefundQueueId,
    attempts: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE refund_queue SET attempts = attempts + 1, updated_at = $3 \
                       WHERE id = $1 AND status = 'queued' AND attempts = $2";
    let done = on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(attempts).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Where an entry stands after a retry or a removal; `next_try_at` is set only while queued.
pub async fn set_status(
    conn: impl Into<Conn<'_>>,
    id: RefundQueueId,
    status: QueueStatus,
    last_error: &str,
    next_try_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE refund_queue SET status = $2, last_error = $3, next_try_at = $4, updated_at = $5 \
                       WHERE id = $1";
    let done = on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(status.key()).bind(last_error).bind(next_try_at).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// Removes a queued entry: true when it was still queued.
pub async fn remove(
    conn: impl Into<Conn<'_>>,
    id: RefundQueueId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE refund_queue SET status = 'removed', next_try_at = NULL, updated_at = $2 \
                       WHERE id = $1 AND status = 'queued'";
    let done = on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// One page of entries of a status, newest first, by keyset on the id.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    status: QueueStatus,
    page: KeysetRequest<RefundQueueId>,
) -> Result<KeysetPage<QueueEntry, RefundQueueId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " WHERE q.status = $1 AND ($2 = 0 OR q.id < $3) ORDER BY q.id DESC LIMIT $4"
    );
    const COUNT: &str = "SELECT COUNT(*) FROM refund_queue WHERE status = $1";
    let limit = i64::from(page.size) + 1;
    let rows: Vec<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(status.key()).bind(i64::from(page.after.is_some()))
        .bind(page.after.map_or(0, |a| a.0)).bind(limit)
        .fetch_all(conn).await)?;
    let total: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(COUNT)
        .bind(status.key()).fetch_one(conn).await)?;
    let items = rows
        .into_iter()
        .map(QueueEntry::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysetPage::cut(items, &page, total, |e| e.id))
}

/// The dashboard's counts, in one statement on the status index.
pub async fn counts(conn: impl Into<Conn<'_>>, now: DateTime<Utc>) -> Result<QueueCounts, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT \
        CAST(COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'queued' AND next_try_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'failed' AND updated_at >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
        FROM refund_queue WHERE status IN ('queued', 'failed')";
    let (queued, due, failed_recently): (i64, i64, i64) = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(now).bind(now - chrono::Duration::days(30)).fetch_one(conn).await)?;
    Ok(QueueCounts {
        queued,
        due,
        failed_recently,
    })
}

/// The notify emails of the campaign an order came through: who is told when a queued refund
/// gives up.
pub async fn notify_emails(
    conn: impl Into<Conn<'_>>,
    order: OrderId,
) -> Result<Vec<String>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT n.email FROM campaign_notify_emails n \
                       JOIN orders o ON o.campaign_id = n.campaign_id \
                       WHERE o.id = $1 ORDER BY n.position";
    Ok(on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(order.0).fetch_all(conn).await)?)
}
