//! The `customer_history` table: the History panel of a customer's profile.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::history::{HistoryEntry, HistoryKind, NewHistoryEntry};
use crate::domain::ids::{CustomerId, HistoryEntryId, OrderId};
use crate::domain::page::{KeysetPage, KeysetRequest};

/// Adds an entry; called inside the transaction of the change it records.
pub async fn add(
    conn: impl Into<Conn<'_>>,
    entry: &NewHistoryEntry,
    now: DateTime<Utc>,
) -> Result<HistoryEntryId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO customer_history (customer_id, kind, body, order_id, author_id, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(entry.customer_id.0).bind(entry.kind.key()).bind(&entry.body)
        .bind(entry.order_id.map(|o| o.0)).bind(entry.author_id.map(|u| u.0)).bind(now)
        .fetch_one(conn).await)?;
    Ok(HistoryEntryId(id))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    body: String,
    order_id: Option<i64>,
    author: Option<String>,
    created_at: DateTime<Utc>,
}

/// A customer's entries, newest first, by keyset on the id: the page after `after`, one statement
/// on `(customer_id, id)`; `total` counts the customer's entries.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    customer: CustomerId,
    page: KeysetRequest<HistoryEntryId>,
) -> Result<KeysetPage<HistoryEntry, HistoryEntryId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT h.id, h.kind, h.body, h.order_id, u.name AS author, h.created_at \
                       FROM customer_history h LEFT JOIN users u ON u.id = h.author_id \
                       WHERE h.customer_id = $1 AND ($2 = 0 OR h.id < $3) \
                       ORDER BY h.id DESC LIMIT $4";
    const COUNT: &str = "SELECT COUNT(*) FROM customer_history WHERE customer_id = $1";
    let (rows, total): (Vec<Row>, _) =
        super::customers::page_rows(&mut conn, SQL, COUNT, customer, &page).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(HistoryEntry {
                id: HistoryEntryId(r.id),
                kind: HistoryKind::from_key(&r.kind)
                    .ok_or_else(|| DbError::corrupt("customer_history", r.id, "kind", &r.kind))?,
                body: r.body,
                order_id: r.order_id.map(OrderId),
                author: r.author,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(KeysetPage::cut(items, &page, total, |e| e.id))
}
