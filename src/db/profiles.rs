//! The `gateway_profiles` and `gateway_profile_mids` tables.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
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

fn assemble(
    rows: Vec<ProfileRow>,
    members: Vec<MemberRow>,
) -> Result<Vec<RoutingProfile>, DbError> {
    rows.into_iter()
        .map(|r| {
            Ok(RoutingProfile {
                id: ProfileId(r.id),
                kind: ProfileKind::from_key(&r.kind)
                    .ok_or_else(|| DbError::corrupt("gateway_profiles", r.id, "kind", &r.kind))?,
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
        })
        .collect()
}

/// Profiles (all, or the one with `only`) with their members, in two queries.
async fn load(
    conn: impl Into<Conn<'_>>,
    only: Option<ProfileId>,
) -> Result<Vec<RoutingProfile>, DbError> {
    const SQL: &str = "SELECT id, name, kind FROM gateway_profiles WHERE ($1 = 0 OR id = $1) \
                       ORDER BY kind, LOWER(name)";
    const MEMBERS: &str = "SELECT pm.profile_id, pm.mid_id, m.title, pm.weight, pm.position FROM gateway_profile_mids pm \
                           JOIN mids m ON m.id = pm.mid_id WHERE ($1 = 0 OR pm.profile_id = $1) \
                           ORDER BY pm.profile_id, pm.position, m.title";
    let mut conn: Conn<'_> = conn.into();
    let id = only.map_or(0, |p| p.0);
    let rows: Vec<ProfileRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?;
    let members: Vec<MemberRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(MEMBERS).bind(id).fetch_all(c).await)?;
    assemble(rows, members)
}

pub async fn all(conn: impl Into<Conn<'_>>) -> Result<Vec<RoutingProfile>, DbError> {
    load(conn, None).await
}

pub async fn find(
    conn: impl Into<Conn<'_>>,
    id: ProfileId,
) -> Result<Option<RoutingProfile>, DbError> {
    Ok(load(conn, Some(id)).await?.into_iter().next())
}

pub async fn kind_of(
    conn: impl Into<Conn<'_>>,
    id: ProfileId,
) -> Result<Option<ProfileKind>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let kind: Option<String> = on_conn!(conn.reborrow(), conn => sqlx::query_scalar("SELECT kind FROM gateway_profiles WHERE id = $1").bind(id.0).fetch_optional(conn).await)?;
    kind.map(|k| {
        ProfileKind::from_key(&k)
            .ok_or_else(|| DbError::corrupt("gateway_profiles", id.0, "kind", &k))
    })
    .transpose()
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    draft: &ProfileDraft,
    now: DateTime<Utc>,
) -> Result<ProfileId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO gateway_profiles (name, kind, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(&draft.name).bind(draft.kind.key()).bind(now).fetch_one(conn).await)?;
    replace_members(&mut conn, ProfileId(id), draft).await?;
    Ok(ProfileId(id))
}

pub async fn update(
    conn: impl Into<Conn<'_>>,
    id: ProfileId,
    draft: &ProfileDraft,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        "UPDATE gateway_profiles SET name = $2, kind = $3, updated_at = $4 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(&draft.name).bind(draft.kind.key()).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    replace_members(&mut conn, id, draft).await
}

async fn replace_members(
    conn: impl Into<Conn<'_>>,
    id: ProfileId,
    draft: &ProfileDraft,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const DELETE: &str = "DELETE FROM gateway_profile_mids WHERE profile_id = $1";
    const INSERT: &str = "INSERT INTO gateway_profile_mids (profile_id, mid_id, weight, position) VALUES ($1, $2, $3, $4)";
    on_conn!(conn.reborrow(), conn => sqlx::query(DELETE).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    for (mid, weight, position) in &draft.members {
        on_conn!(conn.reborrow(), conn => sqlx::query(INSERT).bind(id.0).bind(mid.0).bind(weight).bind(position).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn delete(conn: impl Into<Conn<'_>>, id: ProfileId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const CLEAR: &str = "UPDATE mids SET cascade_profile_id = NULL WHERE cascade_profile_id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(CLEAR).bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query("DELETE FROM gateway_profiles WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}

/// True when `mid` is in an ATRI profile (so it must stay a new-sale MID).
pub async fn mid_in_atri(conn: impl Into<Conn<'_>>, mid: MidId) -> Result<Option<String>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT p.name FROM gateway_profile_mids pm JOIN gateway_profiles p ON p.id = pm.profile_id \
                       WHERE pm.mid_id = $1 AND p.kind = 'atri' ORDER BY p.name LIMIT 1";
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(mid.0).fetch_optional(conn).await)?,
    )
}
