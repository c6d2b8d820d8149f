//! The `recycle_profiles` tables: the profile, its ten attempts, four block merchants and the
//! MIDs it applies to (unique per MID: R-RB-1).

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::money::{Currency, MinorUnits, Money};
use crate::domain::recycle::{
    ATTEMPTS, AttemptRule, BlockMerchant, Membership, RecycleProfile, Reduction, ReductionType,
    StoredProfile,
};

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    name: String,
    bill_on_fridays: bool,
    reduction_type: String,
    currency: String,
    minimum_price_minor: i64,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    profile_id: i64,
    number: i64,
    skip: bool,
    reduction: i64,
    wait_days: i64,
}

#[derive(sqlx::FromRow)]
struct BlockRow {
    profile_id: i64,
    block: i64,
    mid_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    profile_id: i64,
    mid_id: i64,
}

/// Builds each profile from its rows. Every profile has exactly ten attempts and four blocks;
/// anything else in the tables is reported, never filled in.
fn assemble(
    rows: Vec<ProfileRow>,
    attempts: &[AttemptRow],
    blocks: &[BlockRow],
    members: &[MemberRow],
) -> Result<Vec<StoredProfile>, DbError> {
    rows.into_iter()
        .map(|r| {
            let corrupt = |column: &'static str, value: &str| {
                DbError::corrupt("recycle_profiles", r.id, column, value)
            };
            let reduction_type = ReductionType::from_key(&r.reduction_type)
                .ok_or_else(|| corrupt("reduction_type", &r.reduction_type))?;
            let currency =
                Currency::from_code(&r.currency).ok_or_else(|| corrupt("currency", &r.currency))?;
            let mut rules: [Option<AttemptRule>; ATTEMPTS] = [None; ATTEMPTS];
            for a in attempts.iter().filter(|a| a.profile_id == r.id) {
                let slot = slot(&mut rules, a.number).ok_or_else(|| {
                    DbError::corrupt("recycle_profile_attempts", r.id, "number", a.number)
                })?;
                let reduction = Reduction::from_stored(reduction_type, a.reduction, currency)
                    .ok_or_else(|| {
                        DbError::corrupt("recycle_profile_attempts", r.id, "reduction", a.reduction)
                    })?;
                *slot = Some(AttemptRule {
                    skip: a.skip,
                    reduction,
                    wait_days: a.wait_days,
                });
            }
            let mut merchants: [Option<BlockMerchant>; 4] = [None; 4];
            for b in blocks.iter().filter(|b| b.profile_id == r.id) {
                let slot = slot(&mut merchants, b.block).ok_or_else(|| {
                    DbError::corrupt("recycle_profile_blocks", r.id, "block", b.block)
                })?;
                *slot = Some(
                    b.mid_id
                        .map_or(BlockMerchant::Original, |m| BlockMerchant::Mid(MidId(m))),
                );
            }
            let missing = |what: &'static str| {
                DbError::corrupt("recycle_profiles", r.id, what, "missing rows")
            };
            Ok(StoredProfile {
                id: RecycleProfileId(r.id),
                profile: RecycleProfile {
                    bill_on_fridays: r.bill_on_fridays,
                    currency,
                    reduction_type,
                    minimum_price: Money::new(
                        MinorUnits::from_minor(r.minimum_price_minor),
                        currency,
                    ),
                    apply_to: members
                        .iter()
                        .filter(|m| m.profile_id == r.id)
                        .map(|m| MidId(m.mid_id))
                        .collect(),
                    attempts: complete(rules).ok_or_else(|| missing("attempts"))?,
                    blocks: complete(merchants).ok_or_else(|| missing("blocks"))?,
                    name: r.name,
                },
            })
        })
        .collect()
}

/// The slot of a 1-based position, if it is one.
fn slot<T>(slots: &mut [Option<T>], number: i64) -> Option<&mut Option<T>> {
    usize::try_from(number)
        .ok()?
        .checked_sub(1)
        .and_then(|i| slots.get_mut(i))
}

/// All slots filled, or `None`.
fn complete<T: Copy, const N: usize>(slots: [Option<T>; N]) -> Option<[T; N]> {
    if slots.iter().any(Option::is_none) {
        return None;
    }
    Some(slots.map(|s| s.unwrap_or_else(|| unreachable!("checked above"))))
}

/// Profiles (all, or the one with `only`) with their attempts, blocks and MIDs.
async fn load(
    conn: impl Into<Conn<'_>>,
    only: Option<RecycleProfileId>,
) -> Result<Vec<StoredProfile>, DbError> {
    const PROFILES: &str = "SELECT id, name, bill_on_fridays, reduction_type, currency, minimum_price_minor FROM recycle_profiles \
                            WHERE ($1 = 0 OR id = $1) ORDER BY LOWER(name)";
    const ATTEMPTS_SQL: &str = "SELECT profile_id, number, skip, reduction, wait_days FROM recycle_profile_attempts \
                                WHERE ($1 = 0 OR profile_id = $1)";
    const BLOCKS: &str = "SELECT profile_id, block, mid_id FROM recycle_profile_blocks WHERE ($1 = 0 OR profile_id = $1)";
    const MEMBERS: &str = "SELECT profile_id, mid_id FROM recycle_profile_mids WHERE ($1 = 0 OR profile_id = $1) ORDER BY mid_id";
    let mut conn: Conn<'_> = conn.into();
    let id = only.map_or(0, |p| p.0);
    let rows: Vec<ProfileRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(PROFILES).bind(id).fetch_all(c).await)?;
    let attempts: Vec<AttemptRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(ATTEMPTS_SQL).bind(id).fetch_all(c).await)?;
    let blocks: Vec<BlockRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(BLOCKS).bind(id).fetch_all(c).await)?;
    let members: Vec<MemberRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(MEMBERS).bind(id).fetch_all(c).await)?;
    assemble(rows, &attempts, &blocks, &members)
}

pub async fn all(conn: impl Into<Conn<'_>>) -> Result<Vec<StoredProfile>, DbError> {
    load(conn, None).await
}

pub async fn find(
    conn: impl Into<Conn<'_>>,
    id: RecycleProfileId,
) -> Result<Option<StoredProfile>, DbError> {
    Ok(load(conn, Some(id)).await?.into_iter().next())
}

/// Which profile holds each MID in its Apply to Merchants.
pub async fn memberships(conn: impl Into<Conn<'_>>) -> Result<Vec<Membership>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        mid_id: i64,
        profile_id: i64,
        name: String,
    }
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT m.mid_id, p.id AS profile_id, p.name FROM recycle_profile_mids m \
                       JOIN recycle_profiles p ON p.id = m.profile_id";
    let rows: Vec<Row> =
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Membership {
            mid: MidId(r.mid_id),
            profile: RecycleProfileId(r.profile_id),
            profile_name: r.name,
        })
        .collect())
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    profile: &RecycleProfile,
    now: DateTime<Utc>,
) -> Result<RecycleProfileId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO recycle_profiles (name, bill_on_fridays, reduction_type, minimum_price_minor, currency, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL)
        .bind(&profile.name)
        .bind(profile.bill_on_fridays)
        .bind(profile.reduction_type.key())
        .bind(profile.minimum_price.amount().get())
        .bind(profile.currency.code())
        .bind(now)
        .fetch_one(conn)
        .await)?;
    write_parts(&mut conn, RecycleProfileId(id), profile).await?;
    Ok(RecycleProfileId(id))
}

pub async fn update(
    conn: impl Into<Conn<'_>>,
    id: RecycleProfileId,
    profile: &RecycleProfile,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE recycle_profiles SET name = $2, bill_on_fridays = $3, reduction_type = $4, \
                       minimum_price_minor = $5, currency = $6, updated_at = $7 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL)
        .bind(id.0)
        .bind(&profile.name)
        .bind(profile.bill_on_fridays)
        .bind(profile.reduction_type.key())
        .bind(profile.minimum_price.amount().get())
        .bind(profile.currency.code())
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    write_parts(&mut conn, id, profile).await
}

/// Replaces the attempts, blocks and MIDs of a profile.
async fn write_parts(
    conn: impl Into<Conn<'_>>,
    id: RecycleProfileId,
    profile: &RecycleProfile,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const CLEAR: [&str; 3] = [
        "DELETE FROM recycle_profile_attempts WHERE profile_id = $1",
        "DELETE FROM recycle_profile_blocks WHERE profile_id = $1",
        "DELETE FROM recycle_profile_mids WHERE profile_id = $1",
    ];
    const ATTEMPT: &str = "INSERT INTO recycle_profile_attempts (profile_id, number, skip, reduction, wait_days) VALUES ($1, $2, $3, $4, $5)";
    const BLOCK: &str =
        "INSERT INTO recycle_profile_blocks (profile_id, block, mid_id) VALUES ($1, $2, $3)";
    const MEMBER: &str = "INSERT INTO recycle_profile_mids (profile_id, mid_id) VALUES ($1, $2)";
    for sql in CLEAR {
        on_conn!(conn.reborrow(), conn => sqlx::query(sql).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for (index, a) in profile.attempts.iter().enumerate() {
        let number = i64::try_from(index).unwrap_or(0) + 1;
        on_conn!(conn.reborrow(), conn => sqlx::query(ATTEMPT)
            .bind(id.0).bind(number).bind(a.skip).bind(a.reduction.stored()).bind(a.wait_days)
            .execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for (index, merchant) in profile.blocks.iter().enumerate() {
        let block = i64::try_from(index).unwrap_or(0) + 1;
        let mid = match merchant {
            BlockMerchant::Original => None,
            BlockMerchant::Mid(m) => Some(m.0),
        };
        on_conn!(conn.reborrow(), conn => sqlx::query(BLOCK).bind(id.0).bind(block).bind(mid).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for mid in &profile.apply_to {
        on_conn!(conn.reborrow(), conn => sqlx::query(MEMBER).bind(id.0).bind(mid.0).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn delete(conn: impl Into<Conn<'_>>, id: RecycleProfileId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query("DELETE FROM recycle_profiles WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}

/// Profiles that use a MID, as a block merchant or in Apply to Merchants.
pub async fn names_using_mid(
    conn: impl Into<Conn<'_>>,
    mid: MidId,
) -> Result<Vec<String>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT DISTINCT p.name FROM recycle_profiles p WHERE \
                       EXISTS (SELECT 1 FROM recycle_profile_mids m WHERE m.profile_id = p.id AND m.mid_id = $1) \
                       OR EXISTS (SELECT 1 FROM recycle_profile_blocks b WHERE b.profile_id = p.id AND b.mid_id = $1) \
                       ORDER BY p.name";
    Ok(
        on_conn!(conn.reborrow(), pool => sqlx::query_scalar(SQL).bind(mid.0).fetch_all(pool).await)?,
    )
}
