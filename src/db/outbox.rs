//! The `outbox` table: emails written in the transaction of the change that caused them, each
//! with a `deliver_email` job enqueued beside it.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, jobs, on_conn};
use crate::domain::ids::{CustomerId, OrderId, OutboxId};
use crate::domain::job::Job;
use crate::domain::outbox::{EmailKind, EmailStatus, OutboxEmail};
use crate::domain::page::{KeysetPage, KeysetRequest};

/// An email to send, written in the transaction of the change that caused it.
pub struct NewEmail<'a> {
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<OrderId>,
    pub kind: &'static str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Writes `email` to the outbox and enqueues its delivery, both on `conn` (so in the caller's
/// transaction: the email exists exactly when the change that caused it does).
pub async fn queue(
    conn: impl Into<Conn<'_>>,
    email: &NewEmail<'_>,
    now: DateTime<Utc>,
) -> Result<OutboxId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO outbox (customer_id, order_id, kind, to_address, subject, body, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(email.customer_id.map(|c| c.0)).bind(email.order_id.map(|o| o.0)).bind(email.kind)
        .bind(email.to).bind(email.subject).bind(email.body).bind(now)
        .fetch_one(c).await)?;
    let id = OutboxId(id);
    jobs::enqueue(
        conn.reborrow(),
        &Job::DeliverEmail { outbox_id: id },
        now,
        None,
        now,
    )
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    customer_id: Option<i64>,
    order_id: Option<i64>,
    kind: String,
    to_address: String,
    subject: String,
    body: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for OutboxEmail {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        Ok(OutboxEmail {
            id: OutboxId(r.id),
            customer_id: r.customer_id.map(CustomerId),
            order_id: r.order_id.map(OrderId),
            status: EmailStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt("outbox", r.id, "status", &r.status))?,
            kind: EmailKind::from_key(&r.kind)
                .ok_or_else(|| DbError::corrupt("outbox", r.id, "kind", &r.kind))?,
            to: r.to_address,
            subject: r.subject,
            body: r.body,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    }
}

const SELECT: &str = "SELECT id, customer_id, order_id, kind, to_address, subject, body, status, \
                      CAST(attempts AS BIGINT) AS attempts, last_error, created_at, sent_at FROM outbox";

pub async fn find(conn: impl Into<Conn<'_>>, id: OutboxId) -> Result<Option<OutboxEmail>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(OutboxEmail::try_from).transpose()
}

/// One page of a customer's emails, newest first, by keyset on the id.
pub async fn for_customer(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<OutboxId>,
) -> Result<KeysetPage<OutboxEmail, OutboxId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " WHERE customer_id = $1 AND ($2 = 0 OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    const COUNT: &str = "SELECT COUNT(*) FROM outbox WHERE customer_id = $1";
    let (rows, total): (Vec<Row>, _) =
        super::customers::page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let items = rows
        .into_iter()
        .map(OutboxEmail::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysetPage::cut(items, &page, total, |e| e.id))
}

/// Records a delivery: the email went out.
pub async fn mark_sent(
    conn: impl Into<Conn<'_>>,
    id: OutboxId,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE outbox SET status = 'sent', attempts = attempts + 1, last_error = NULL, \
                       sent_at = $2 WHERE id = $1";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(id.0).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// Records a delivery that did not happen: `status` stays pending while it will be tried again
/// (or SMTP is not configured), failed when the last try failed.
pub async fn mark_unsent(
    conn: impl Into<Conn<'_>>,
    id: OutboxId,
    status: EmailStatus,
    why: &str,
    attempted: bool,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE outbox SET status = $2, last_error = $3, attempts = attempts + $4 \
                       WHERE id = $1 AND status <> 'sent'";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(status.key()).bind(why).bind(i64::from(attempted))
        .execute(c).await.map(drop))?;
    Ok(())
}
