//! The `recycle_profiles` tables: the profile, its ten attempts, four block merchants and the
//! MIDs it applies to (unique per MID: R-RB-1).

use chrono::{DateTime, Utc};

use super::{Db, Tx, on_db, on_tx};
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::money::MinorUnits;
use crate::domain::recycle::{ATTEMPTS, AttemptRule, BlockMerchant, RecycleProfile, ReductionType};

/// A saved profile.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    pub id: RecycleProfileId,
    pub profile: RecycleProfile,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    name: String,
    bill_on_fridays: bool,
    reduction_type: String,
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

fn assemble(
    rows: Vec<ProfileRow>,
    attempts: &[AttemptRow],
    blocks: &[BlockRow],
    members: &[MemberRow],
) -> Vec<StoredProfile> {
    rows.into_iter()
        .map(|r| {
            let mut rules = [AttemptRule {
                skip: true,
                reduction: 0,
                wait_days: 0,
            }; ATTEMPTS];
            for a in attempts.iter().filter(|a| a.profile_id == r.id) {
                if let Some(slot) = usize::try_from(a.number)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| rules.get_mut(i))
                {
                    *slot = AttemptRule {
                        skip: a.skip,
                        reduction: a.reduction,
                        wait_days: a.wait_days,
                    };
                }
            }
            let mut merchants = [BlockMerchant::Original; 4];
            for b in blocks.iter().filter(|b| b.profile_id == r.id) {
                if let Some(slot) = usize::try_from(b.block)
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| merchants.get_mut(i))
                {
                    *slot = b
                        .mid_id
                        .map_or(BlockMerchant::Original, |m| BlockMerchant::Mid(MidId(m)));
                }
            }
            StoredProfile {
                id: RecycleProfileId(r.id),
                profile: RecycleProfile {
                    name: r.name,
                    bill_on_fridays: r.bill_on_fridays,
                    reduction_type: ReductionType::from_key(&r.reduction_type)
                        .unwrap_or(ReductionType::Percent),
                    minimum_price: MinorUnits::new(r.minimum_price_minor),
                    apply_to: members
                        .iter()
                        .filter(|m| m.profile_id == r.id)
                        .map(|m| MidId(m.mid_id))
                        .collect(),
                    attempts: rules,
                    blocks: merchants,
                },
            }
        })
        .collect()
}

pub async fn all(db: &Db) -> Result<Vec<StoredProfile>, sqlx::Error> {
    const PROFILES: &str = "SELECT id, name, bill_on_fridays, reduction_type, minimum_price_minor FROM recycle_profiles ORDER BY LOWER(name)";
    const ATTEMPTS_SQL: &str =
        "SELECT profile_id, number, skip, reduction, wait_days FROM recycle_profile_attempts";
    const BLOCKS: &str = "SELECT profile_id, block, mid_id FROM recycle_profile_blocks";
    const MEMBERS: &str = "SELECT profile_id, mid_id FROM recycle_profile_mids ORDER BY mid_id";
    let (rows, attempts, blocks, members): (
        Vec<ProfileRow>,
        Vec<AttemptRow>,
        Vec<BlockRow>,
        Vec<MemberRow>,
    ) = on_db!(db, pool => (
        sqlx::query_as(PROFILES).fetch_all(pool).await?,
        sqlx::query_as(ATTEMPTS_SQL).fetch_all(pool).await?,
        sqlx::query_as(BLOCKS).fetch_all(pool).await?,
        sqlx::query_as(MEMBERS).fetch_all(pool).await?,
    ));
    Ok(assemble(rows, &attempts, &blocks, &members))
}

pub async fn find(db: &Db, id: RecycleProfileId) -> Result<Option<StoredProfile>, sqlx::Error> {
    Ok(all(db).await?.into_iter().find(|p| p.id == id))
}

/// Which profile holds each MID in its Apply to Merchants.
pub async fn memberships(db: &Db) -> Result<Vec<(MidId, RecycleProfileId, String)>, sqlx::Error> {
    const SQL: &str = "SELECT m.mid_id, p.id, p.name FROM recycle_profile_mids m JOIN recycle_profiles p ON p.id = m.profile_id";
    let rows: Vec<(i64, i64, String)> =
        on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(m, p, n)| (MidId(m), RecycleProfileId(p), n))
        .collect())
}

pub async fn insert(
    tx: &mut Tx,
    profile: &RecycleProfile,
    now: DateTime<Utc>,
) -> Result<RecycleProfileId, sqlx::Error> {
    const SQL: &str = "INSERT INTO recycle_profiles (name, bill_on_fridays, reduction_type, minimum_price_minor, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(&profile.name)
        .bind(profile.bill_on_fridays)
        .bind(profile.reduction_type.key())
        .bind(profile.minimum_price.get())
        .bind(now)
        .fetch_one(conn)
        .await)?;
    write_parts(tx, RecycleProfileId(id), profile).await?;
    Ok(RecycleProfileId(id))
}

pub async fn update(
    tx: &mut Tx,
    id: RecycleProfileId,
    profile: &RecycleProfile,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE recycle_profiles SET name = $2, bill_on_fridays = $3, reduction_type = $4, \
                       minimum_price_minor = $5, updated_at = $6 WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(id.0)
        .bind(&profile.name)
        .bind(profile.bill_on_fridays)
        .bind(profile.reduction_type.key())
        .bind(profile.minimum_price.get())
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    write_parts(tx, id, profile).await
}

/// Replaces the attempts, blocks and MIDs of a profile.
async fn write_parts(
    tx: &mut Tx,
    id: RecycleProfileId,
    profile: &RecycleProfile,
) -> Result<(), sqlx::Error> {
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
        on_tx!(tx, conn => sqlx::query(sql).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for (index, a) in profile.attempts.iter().enumerate() {
        let number = i64::try_from(index).unwrap_or(0) + 1;
        on_tx!(tx, conn => sqlx::query(ATTEMPT)
            .bind(id.0).bind(number).bind(a.skip).bind(a.reduction).bind(a.wait_days)
            .execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for (index, merchant) in profile.blocks.iter().enumerate() {
        let block = i64::try_from(index).unwrap_or(0) + 1;
        let mid = match merchant {
            BlockMerchant::Original => None,
            BlockMerchant::Mid(m) => Some(m.0),
        };
        on_tx!(tx, conn => sqlx::query(BLOCK).bind(id.0).bind(block).bind(mid).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    for mid in &profile.apply_to {
        on_tx!(tx, conn => sqlx::query(MEMBER).bind(id.0).bind(mid.0).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: RecycleProfileId) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM recycle_profiles WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))
}

/// Profiles that use a MID, as a block merchant or in Apply to Merchants.
pub async fn names_using_mid(db: &Db, mid: MidId) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT DISTINCT p.name FROM recycle_profiles p WHERE \
                       EXISTS (SELECT 1 FROM recycle_profile_mids m WHERE m.profile_id = p.id AND m.mid_id = $1) \
                       OR EXISTS (SELECT 1 FROM recycle_profile_blocks b WHERE b.profile_id = p.id AND b.mid_id = $1) \
                       ORDER BY p.name";
    on_db!(db, pool => sqlx::query_scalar(SQL).bind(mid.0).fetch_all(pool).await)
}
