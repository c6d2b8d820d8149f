//! The `bin_ranges` table: the merchant's own debit and prepaid BINs ("PrePaid BIN Mapping").

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::card::{BinNumber, BinRange, BinRangeDraft, CardType};
use crate::domain::ids::BinRangeId;
use crate::domain::page::{Page, PageRequest};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    bin: String,
    card_type: String,
    note: String,
    created_at: DateTime<Utc>,
}

/// A stored type, if it is one a BIN row may have: credit is never a row.
fn card_type(id: i64, stored: &str) -> Result<CardType, DbError> {
    match CardType::from_key(stored) {
        Some(kind @ (CardType::Debit | CardType::Prepaid)) => Ok(kind),
        _ => Err(DbError::corrupt("bin_ranges", id, "card_type", stored)),
    }
}

impl TryFrom<Row> for BinRange {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        Ok(BinRange {
            id: BinRangeId(r.id),
            bin: BinNumber::from_stored(&r.bin)
                .ok_or_else(|| DbError::corrupt("bin_ranges", r.id, "bin", &r.bin))?,
            card_type: card_type(r.id, &r.card_type)?,
            note: r.note,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT id, bin, card_type, note, created_at FROM bin_ranges";

/// The merchant's type for the BIN of a card (its first 6 digits), if they mapped it: one
/// lookup on the unique index.
pub async fn card_type_of(
    conn: impl Into<Conn<'_>>,
    first6: &str,
) -> Result<Option<CardType>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, card_type FROM bin_ranges WHERE bin = $1";
    let row: Option<(i64, String)> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).bind(first6).fetch_optional(conn).await)?;
    row.map(|(id, stored)| card_type(id, &stored)).transpose()
}

pub async fn find(conn: impl Into<Conn<'_>>, id: BinRangeId) -> Result<Option<BinRange>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).bind(id.0).fetch_optional(conn).await)?;
    row.map(BinRange::try_from).transpose()
}

pub async fn find_by_bin(
    conn: impl Into<Conn<'_>>,
    bin: &BinNumber,
) -> Result<Option<BinRange>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE bin = $1");
    let row: Option<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).bind(bin.as_str()).fetch_optional(conn).await)?;
    row.map(BinRange::try_from).transpose()
}

const LIST_WHERE: &str = " WHERE bin BETWEEN $1 AND $2";

/// One page of rows by BIN, those between `from` and `to` (a prefix's range; every BIN is
/// between 000000 and 999999): a range on the unique index, and a count.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    (from, to): (&BinNumber, &BinNumber),
    page: PageRequest,
) -> Result<Page<BinRange>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        const_format::concatcp!(SELECT, LIST_WHERE, " ORDER BY bin LIMIT $3 OFFSET $4");
    const COUNT: &str = const_format::concatcp!("SELECT COUNT(*) FROM bin_ranges", LIST_WHERE);
    let rows: Vec<Row> = on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL)
        .bind(from.as_str()).bind(to.as_str()).bind(page.limit()).bind(page.offset())
        .fetch_all(conn).await)?;
    let total: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(COUNT)
        .bind(from.as_str()).bind(to.as_str())
        .fetch_one(conn).await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(BinRange::try_from)
            .collect::<Result<_, _>>()?,
        number: page.number,
        size: page.size,
        total,
    })
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    draft: &BinRangeDraft,
    now: DateTime<Utc>,
) -> Result<BinRangeId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO bin_ranges (bin, card_type, note, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(draft.bin.as_str()).bind(draft.card_type.key()).bind(&draft.note).bind(now)
        .fetch_one(conn).await)?;
    Ok(BinRangeId(id))
}

pub async fn delete(conn: impl Into<Conn<'_>>, id: BinRangeId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "DELETE FROM bin_ranges WHERE id = $1";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}
