//! The `events` table: the append-only event log.

use chrono::{DateTime, Utc};

use super::{Conn, Db, DbError, Tx, on_conn};
use crate::domain::event::{Actor, Event, EventFilter, NewEvent};
use crate::domain::ids::{EventId, UserId};
use crate::domain::page::{Page, PageRequest};

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_label: String,
    kind: String,
    subject: String,
    before_json: Option<String>,
    after_json: Option<String>,
    ip: Option<String>,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: EventId(r.id),
            at: r.at,
            actor_id: r.actor_id.map(UserId),
            actor_label: r.actor_label,
            kind: r.kind,
            subject: r.subject,
            before: r.before_json,
            after: r.after_json,
            ip: r.ip,
        }
    }
}

const INSERT: &str = "INSERT INTO events (at, actor_id, actor_label, kind, subject, before_json, after_json, ip) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

fn json(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(serde_json::Value::to_string)
}

/// Writes an event inside the transaction that made the change, so both land or neither does.
pub async fn insert(
    conn: impl Into<Conn<'_>>,
    actor: &Actor,
    event: &NewEvent,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    on_conn!(conn.reborrow(), conn => sqlx::query(INSERT)
        .bind(at)
        .bind(actor.user_id.map(|u| u.0))
        .bind(&actor.label)
        .bind(event.kind.key())
        .bind(event.subject.to_string())
        .bind(json(event.change.before()))
        .bind(json(event.change.after()))
        .bind(actor.ip.as_deref())
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes the event of a change and commits the change with it.
pub async fn insert_and_commit(
    mut tx: Tx,
    actor: &Actor,
    event: &NewEvent,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    insert(&mut tx, actor, event, at).await?;
    tx.commit().await
}

/// Writes an event that goes with no other change (a failed login, a logout).
pub async fn insert_alone(
    db: &Db,
    actor: &Actor,
    event: &NewEvent,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    insert_and_commit(db.begin().await?, actor, event, at).await
}

const WHERE: &str = " WHERE ($1 = 0 OR actor_id = $2) AND ($3 = '' OR kind = $3) \
                     AND ($4 = 0 OR at >= $5) AND ($6 = 0 OR at < $7)";

/// Newest first, filtered; unset filters are passed as flags so the SQL stays one static string.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    filter: &EventFilter,
    page: PageRequest,
) -> Result<Page<Event>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        "SELECT id, at, actor_id, actor_label, kind, subject, before_json, after_json, ip FROM events",
        WHERE,
        " ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9"
    );
    const COUNT: &str = const_format::concatcp!("SELECT COUNT(*) FROM events", WHERE);
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let actor = filter.actor_id.map_or(0, |u| u.0);
    let kind = filter.kind.map_or("", |k| k.key());
    let (has_from, from) = (
        i32::from(filter.from.is_some()),
        filter.from.unwrap_or(epoch),
    );
    let (has_until, until) = (
        i32::from(filter.until.is_some()),
        filter.until.unwrap_or(epoch),
    );
    let has_actor = i32::from(filter.actor_id.is_some());
    let rows: Vec<EventRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL)
        .bind(has_actor).bind(actor).bind(kind).bind(has_from).bind(from).bind(has_until).bind(until)
        .bind(page.limit()).bind(page.offset())
        .fetch_all(pool)
        .await)?;
    let total: i64 = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(COUNT)
        .bind(has_actor).bind(actor).bind(kind).bind(has_from).bind(from).bind(has_until).bind(until)
        .fetch_one(pool)
        .await)?;
    Ok(Page {
        items: rows.into_iter().map(Event::from).collect(),
        number: page.number,
        size: page.size,
        total,
    })
}
