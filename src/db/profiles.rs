//! The `gateway_profiles` and `gateway_profile_mids` tables.

use chrono::{DateTime, Utc};

use super::{Db, Tx, on_db, on_tx};
use crate::domain::ids::{MidId, ProfileId};
use crate::domain::routing::{ProfileDraft, ProfileKind, ProfileMember, RoutingProfile};

#[derive(sqlx::FromRow)]
struct ProfileRow {
    id: i64,
    name: String,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    profile_id: i64,
    mid_id: i64,
    title: String,
    weight: i64,
    position: i64,
}

fn assemble(rows: Vec<ProfileRow>, members: Vec<MemberRow>) -> Vec<RoutingProfile> {
    rows.into_iter()
        .map(|r| RoutingProfile {
            id: ProfileId(r.id),
            kind: ProfileKind::from_key(&r.kind).unwrap_or(ProfileKind::Cascade),
            name: r.name,
            members: members
                .iter()
                .filter(|m| m.profile_id == r.id)
                .map(|m| ProfileMember {
                    mid_id: MidId(m.mid_id),
                    mid_title: m.title.clone(),
                    weight: m.weight,
                    position: m.position,
                })
                .collect(),
        })
        .collect()
}

const MEMBERS: &str = "SELECT pm.profile_id, pm.mid_id, m.title, pm.weight, pm.position FROM gateway_profile_mids pm \
                       JOIN mids m ON m.id = pm.mid_id ORDER BY pm.profile_id, pm.position, m.title";

pub async fn all(db: &Db) -> Result<Vec<RoutingProfile>, sqlx::Error> {
    const SQL: &str = "SELECT id, name, kind FROM gateway_profiles ORDER BY kind, LOWER(name)";
    let (rows, members): (Vec<ProfileRow>, Vec<MemberRow>) = on_db!(db, pool => {
        (sqlx::query_as(SQL).fetch_all(pool).await?, sqlx::query_as(MEMBERS).fetch_all(pool).await?)
    });
    Ok(assemble(rows, members))
}

pub async fn find(db: &Db, id: ProfileId) -> Result<Option<RoutingProfile>, sqlx::Error> {
    Ok(all(db).await?.into_iter().find(|p| p.id == id))
}

pub async fn kind_of(tx: &mut Tx, id: ProfileId) -> Result<Option<ProfileKind>, sqlx::Error> {
    let kind: Option<String> = on_tx!(tx, conn => sqlx::query_scalar("SELECT kind FROM gateway_profiles WHERE id = $1").bind(id.0).fetch_optional(conn).await)?;
    Ok(kind.as_deref().and_then(ProfileKind::from_key))
}

pub async fn insert(
    tx: &mut Tx,
    draft: &ProfileDraft,
    now: DateTime<Utc>,
) -> Result<ProfileId, sqlx::Error> {
    const SQL: &str = "INSERT INTO gateway_profiles (name, kind, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(&draft.name).bind(draft.kind.key()).bind(now).fetch_one(conn).await)?;
    replace_members(tx, ProfileId(id), draft).await?;
    Ok(ProfileId(id))
}

pub async fn update(
    tx: &mut Tx,
    id: ProfileId,
    draft: &ProfileDraft,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "UPDATE gateway_profiles SET name = $2, kind = $3, updated_at = $4 WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(id.0).bind(&draft.name).bind(draft.kind.key()).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    replace_members(tx, id, draft).await
}

async fn replace_members(
    tx: &mut Tx,
    id: ProfileId,
    draft: &ProfileDraft,
) -> Result<(), sqlx::Error> {
    const DELETE: &str = "DELETE FROM gateway_profile_mids WHERE profile_id = $1";
    const INSERT: &str = "INSERT INTO gateway_profile_mids (profile_id, mid_id, weight, position) VALUES ($1, $2, $3, $4)";
    on_tx!(tx, conn => sqlx::query(DELETE).bind(id.0).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    for (mid, weight, position) in &draft.members {
        on_tx!(tx, conn => sqlx::query(INSERT).bind(id.0).bind(mid.0).bind(weight).bind(position).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: ProfileId) -> Result<u64, sqlx::Error> {
    const CLEAR: &str = "UPDATE mids SET cascade_profile_id = NULL WHERE cascade_profile_id = $1";
    on_tx!(tx, conn => sqlx::query(CLEAR).bind(id.0).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, conn => sqlx::query("DELETE FROM gateway_profiles WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))
}

/// True when `mid` is in an ATRI profile (so it must stay a new-sale MID).
pub async fn mid_in_atri(tx: &mut Tx, mid: MidId) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT p.name FROM gateway_profile_mids pm JOIN gateway_profiles p ON p.id = pm.profile_id \
                       WHERE pm.mid_id = $1 AND p.kind = 'atri' ORDER BY p.name LIMIT 1";
    on_tx!(tx, conn => sqlx::query_scalar(SQL).bind(mid.0).fetch_optional(conn).await)
}
