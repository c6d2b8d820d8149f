//! The `events` table: the append-only event log.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::{Conn, Db, DbError, Tx, on_conn};
use crate::domain::event::{Actor, Event, EventFilter, EventKind, NewEvent, RecordKind, Subject};
use crate::domain::ids::{ApiKeyId, EventId, UserId};
use crate::domain::page::{KeysetPage, KeysetRequest};

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_label: String,
    api_key_id: Option<i64>,
    kind: String,
    subject: String,
    subject_name: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    ip: Option<String>,
}

impl TryFrom<EventRow> for Event {
    type Error = DbError;

    fn try_from(r: EventRow) -> Result<Self, DbError> {
        let kind = EventKind::from_key(&r.kind)
            .ok_or_else(|| DbError::corrupt("events", r.id, "kind", &r.kind))?;
        let subject = Subject::parse(&r.subject)
            .ok_or_else(|| DbError::corrupt("events", r.id, "subject", &r.subject))?;
        Ok(Event {
            id: EventId(r.id),
            at: r.at,
            actor_id: r.actor_id.map(UserId),
            actor_label: r.actor_label,
            api_key_id: r.api_key_id.map(ApiKeyId),
            kind,
            subject,
            subject_name: r.subject_name,
            before: r.before_json,
            after: r.after_json,
            ip: r.ip,
        })
    }
}

const INSERT: &str = "INSERT INTO events (at, actor_id, actor_label, kind, subject, before_json, after_json, ip, api_key_id) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

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
        .bind(actor.api_key_id.map(|k| k.0))
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

/// The table a record kind lives in, and the SQL for its name given the table's alias `s`.
fn record_table(kind: RecordKind) -> (&'static str, &'static str) {
    match kind {
        RecordKind::User => ("users", "s.name"),
        RecordKind::Role => ("roles", "s.name"),
        RecordKind::Mid => ("mids", "s.title"),
        RecordKind::RoutingProfile => ("gateway_profiles", "s.name"),
        RecordKind::DeclineMapping => (
            "decline_mappings",
            "TRIM(s.response_code || ' ' || s.response_text)",
        ),
        RecordKind::RecycleProfile => ("recycle_profiles", "s.name"),
        RecordKind::Product => ("products", "s.name"),
        RecordKind::Campaign => ("campaigns", "s.name"),
        RecordKind::Customer => ("customers", "s.first_name || ' ' || s.last_name"),
        RecordKind::Order => ("orders", "'Order #' || CAST(s.id AS TEXT)"),
        RecordKind::Transaction => ("transactions", "'Transaction #' || CAST(s.id AS TEXT)"),
        RecordKind::ApiKey => ("api_keys", "s.name"),
        RecordKind::BinRange => ("bin_ranges", "'BIN ' || s.bin"),
        RecordKind::Subscription => ("subscriptions", "'Subscription #' || CAST(s.id AS TEXT)"),
        RecordKind::Fulfillment => ("fulfillments", "'Fulfillment #' || CAST(s.id AS TEXT)"),
        RecordKind::RefundQueueEntry => ("refund_queue", "'Queued refund #' || CAST(s.id AS TEXT)"),
        RecordKind::Reason => ("reasons", "s.label"),
        RecordKind::Job => ("jobs", "'Job #' || CAST(s.id AS TEXT) || ' ' || s.kind"),
        RecordKind::OutboxEmail => ("outbox", "s.subject"),
    }
}

/// One page of events with each subject's current name, in one statement. The page is cut
/// from `events` first; then each of its rows looks its own subject up by primary key (`mid:3`
/// reads `mids` row 3), so the work grows with the page size, never with the size of a table.
/// A scalar subquery per record kind, rather than a join, keeps both planners on the primary
/// key: PostgreSQL hashes a whole joined table when it is small enough to look cheaper.
static PAGE_SQL: LazyLock<String> = LazyLock::new(|| {
    let mut names = String::new();
    for kind in RecordKind::all() {
        let prefix = format!("{}:", kind.key());
        let len = prefix.len();
        let id = format!("SUBSTR(e.subject, {})", len + 1);
        let (table, name) = record_table(kind);
        // Only an id of plain digits is cast: PostgreSQL fails on anything else, and such a
        // row is reported as corrupt when it is read.
        names.push_str(&format!(
            " WHEN SUBSTR(e.subject, 1, {len}) = '{prefix}' \
             AND LENGTH(e.subject) BETWEEN {min} AND {max} AND LTRIM({id}, '0123456789') = '' \
             THEN (SELECT {name} FROM {table} s WHERE s.id = CAST({id} AS BIGINT))",
            min = len + 1,
            max = len + 18,
        ));
    }
    format!(
        "SELECT e.id, e.at, e.actor_id, e.actor_label, e.api_key_id, e.kind, e.subject, e.before_json, e.after_json, e.ip, \
         CASE{names} END AS subject_name \
         FROM (SELECT id, at, actor_id, actor_label, api_key_id, kind, subject, before_json, after_json, ip FROM events{WHERE} \
         AND ($8 = 0 OR at < (SELECT c.at FROM events c WHERE c.id = $9) \
              OR (at = (SELECT c.at FROM events c WHERE c.id = $9) AND id < $9)) \
         ORDER BY at DESC, id DESC LIMIT $10) e \
         ORDER BY e.at DESC, e.id DESC"
    )
});

/// The filters as bind values: unset filters are passed as flags so the SQL stays one string.
struct Binds {
    has_actor: i32,
    actor: i64,
    kind: &'static str,
    has_from: i32,
    from: DateTime<Utc>,
    has_until: i32,
    until: DateTime<Utc>,
}

impl Binds {
    fn of(filter: &EventFilter) -> Self {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        Binds {
            has_actor: i32::from(filter.actor_id.is_some()),
            actor: filter.actor_id.map_or(0, |u| u.0),
            kind: filter.kind.map_or("", |k| k.key()),
            has_from: i32::from(filter.from.is_some()),
            from: filter.from.unwrap_or(epoch),
            has_until: i32::from(filter.until.is_some()),
            until: filter.until.unwrap_or(epoch),
        }
    }
}

/// Up to `limit` events older than `after` (all, without it), newest first, with their
/// subjects' names: one query.
async fn rows(
    conn: impl Into<Conn<'_>>,
    b: &Binds,
    after: Option<EventId>,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let rows: Vec<EventRow> = on_conn!(conn.into(), pool => sqlx::query_as(PAGE_SQL.as_str())
        .bind(b.has_actor).bind(b.actor).bind(b.kind).bind(b.has_from).bind(b.from).bind(b.has_until).bind(b.until)
        .bind(i32::from(after.is_some())).bind(after.map_or(0, |id| id.0)).bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(Event::try_from).collect()
}

/// Newest first, filtered, with the total for the pager: two queries.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    filter: &EventFilter,
    page: KeysetRequest<EventId>,
) -> Result<KeysetPage<Event, EventId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const COUNT: &str = const_format::concatcp!("SELECT COUNT(*) FROM events", WHERE);
    let b = Binds::of(filter);
    // One row more than the page says whether another page follows.
    let mut items = rows(conn.reborrow(), &b, page.after, i64::from(page.size) + 1).await?;
    let next = if items.len() > page.size as usize {
        items.truncate(page.size as usize);
        items.last().map(|e| e.id)
    } else {
        None
    };
    let total: i64 = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(COUNT)
        .bind(b.has_actor).bind(b.actor).bind(b.kind).bind(b.has_from).bind(b.from).bind(b.has_until).bind(b.until)
        .fetch_one(pool)
        .await)?;
    Ok(KeysetPage { items, next, total })
}

/// The latest `limit` events, with their subjects' names: one query, no count.
pub async fn latest(conn: impl Into<Conn<'_>>, limit: i64) -> Result<Vec<Event>, DbError> {
    rows(conn, &Binds::of(&EventFilter::default()), None, limit).await
}
