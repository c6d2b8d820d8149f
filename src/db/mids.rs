//! The `mids` and `mid_credentials` tables.

use chrono::{DateTime, Utc};
use const_format::concatcp;

use super::{Conn, DbError, on_conn};
use crate::crypto::Sealed;
use crate::domain::ids::{MidId, ProfileId};
use crate::domain::mid::{
    Accepts, ExpiryDays, Mid, MidDraft, MidQuery, MidSort, MidUsage, SettlementDelay,
    SimulatedLatency,
};
use crate::domain::money::{Currency, MinorUnits, Money};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::Provider;

#[derive(sqlx::FromRow)]
struct MidRow {
    id: i64,
    title: String,
    provider: String,
    cs_phone: String,
    cs_email: String,
    descriptor: String,
    currency: String,
    monthly_cap_minor: Option<i64>,
    enabled: bool,
    block_prepaid: bool,
    block_debit: bool,
    accept_echeck: bool,
    accept_visa: bool,
    accept_mastercard: bool,
    accept_amex: bool,
    accept_discover: bool,
    expiry_days: Option<i64>,
    cascade_all: bool,
    cascade_profile_id: Option<i64>,
    settlement_delay_hours: i64,
    latency_ms: i64,
}

impl TryFrom<MidRow> for Mid {
    type Error = DbError;

    /// An unknown provider or an expiry outside 1..=21 is an error, never read as a default.
    fn try_from(r: MidRow) -> Result<Self, DbError> {
        let provider = Provider::from_key(&r.provider)
            .ok_or_else(|| DbError::corrupt("mids", r.id, "provider", &r.provider))?;
        let expiry_days = match r.expiry_days {
            None => None,
            Some(days) => Some(
                ExpiryDays::from_stored(days)
                    .ok_or_else(|| DbError::corrupt("mids", r.id, "expiry_days", days))?,
            ),
        };
        let currency = Currency::from_code(&r.currency)
            .ok_or_else(|| DbError::corrupt("mids", r.id, "currency", &r.currency))?;
        let settlement_delay =
            SettlementDelay::from_stored(r.settlement_delay_hours).ok_or_else(|| {
                DbError::corrupt(
                    "mids",
                    r.id,
                    "settlement_delay_hours",
                    r.settlement_delay_hours,
                )
            })?;
        let latency = SimulatedLatency::from_stored(r.latency_ms)
            .ok_or_else(|| DbError::corrupt("mids", r.id, "latency_ms", r.latency_ms))?;
        Ok(Mid {
            id: MidId(r.id),
            title: r.title,
            provider,
            currency,
            cs_phone: r.cs_phone,
            cs_email: r.cs_email,
            descriptor: r.descriptor,
            monthly_cap: r
                .monthly_cap_minor
                .map(|minor| Money::new(MinorUnits::from_minor(minor), currency)),
            enabled: r.enabled,
            block_prepaid: r.block_prepaid,
            block_debit: r.block_debit,
            accepts: Accepts {
                echeck: r.accept_echeck,
                visa: r.accept_visa,
                mastercard: r.accept_mastercard,
                amex: r.accept_amex,
                discover: r.accept_discover,
            },
            expiry_days,
            cascade_all: r.cascade_all,
            cascade_profile_id: r.cascade_profile_id.map(ProfileId),
            settlement_delay: settlement_delay.duration(),
            latency: latency.duration(),
        })
    }
}

const SELECT: &str = "SELECT id, title, provider, cs_phone, cs_email, descriptor, currency, monthly_cap_minor, enabled, \
     block_prepaid, block_debit, accept_echeck, accept_visa, accept_mastercard, accept_amex, accept_discover, \
     expiry_days, cascade_all, cascade_profile_id, settlement_delay_hours, latency_ms FROM mids";

pub async fn find(conn: impl Into<Conn<'_>>, id: MidId) -> Result<Option<Mid>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(SELECT, " WHERE id = $1");
    let row: Option<MidRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(id.0).fetch_optional(pool).await)?;
    row.map(Mid::try_from).transpose()
}

pub async fn all(conn: impl Into<Conn<'_>>) -> Result<Vec<Mid>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!(SELECT, " ORDER BY LOWER(title)");
    let rows: Vec<MidRow> =
        on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
    rows.into_iter().map(Mid::try_from).collect()
}

const LIST_WHERE: &str = " WHERE ($1 = '' OR provider = $1) AND ($2 = 0 OR enabled = $3) \
                          AND ($4 = '' OR LOWER(title) LIKE $5 ESCAPE '\\')";

pub async fn list(
    conn: impl Into<Conn<'_>>,
    query: &MidQuery,
    page: PageRequest,
) -> Result<Page<Mid>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    // One static statement per sort order: the ORDER BY is chosen, never built from input.
    macro_rules! sorted {
        ($order:literal) => {
            concatcp!(
                SELECT,
                LIST_WHERE,
                " ORDER BY ",
                $order,
                ", LOWER(title), id LIMIT $6 OFFSET $7"
            )
        };
    }
    let sql: &'static str = match (query.sort, query.descending) {
        (MidSort::Title, false) => sorted!("LOWER(title) ASC"),
        (MidSort::Title, true) => sorted!("LOWER(title) DESC"),
        (MidSort::Provider, false) => sorted!("provider ASC"),
        (MidSort::Provider, true) => sorted!("provider DESC"),
        (MidSort::Enabled, false) => sorted!("enabled DESC"),
        (MidSort::Enabled, true) => sorted!("enabled ASC"),
        (MidSort::Cap, false) => sorted!("COALESCE(monthly_cap_minor, 0) ASC"),
        (MidSort::Cap, true) => sorted!("COALESCE(monthly_cap_minor, 0) DESC"),
    };
    const COUNT: &str = concatcp!("SELECT COUNT(*) FROM mids", LIST_WHERE);
    let provider = query.provider.map_or("", Provider::key);
    let has_enabled = i32::from(query.enabled.is_some());
    let enabled = query.enabled.unwrap_or(true);
    let search = query.search.trim().to_lowercase();
    let pattern = super::users::like_pattern(&search);
    let rows: Vec<MidRow> = on_conn!(conn.reborrow(), pool => sqlx::query_as(sql)
        .bind(provider).bind(has_enabled).bind(enabled).bind(&search).bind(&pattern)
        .bind(page.limit()).bind(page.offset())
        .fetch_all(pool)
        .await)?;
    let total: i64 = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(COUNT)
        .bind(provider).bind(has_enabled).bind(enabled).bind(&search).bind(&pattern)
        .fetch_one(pool)
        .await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(Mid::try_from)
            .collect::<Result<_, _>>()?,
        number: page.number,
        size: page.size,
        total,
    })
}

/// Binds a draft's settings, in the column order both statements below share (after the title).
macro_rules! bind_settings {
    ($query:expr, $draft:expr) => {
        $query
            .bind(&$draft.cs_phone)
            .bind(&$draft.cs_email)
            .bind(&$draft.descriptor)
            .bind($draft.monthly_cap.map(|cap| cap.amount().get()))
            .bind($draft.enabled)
            .bind($draft.block_prepaid)
            .bind($draft.block_debit)
            .bind($draft.accepts.echeck)
            .bind($draft.accepts.visa)
            .bind($draft.accepts.mastercard)
            .bind($draft.accepts.amex)
            .bind($draft.accepts.discover)
            .bind($draft.expiry_days.map(|d| i64::from(d.get())))
            .bind($draft.cascade_all)
            .bind($draft.cascade_profile_id.map(|p| p.0))
            .bind($draft.currency.code())
            .bind(i64::from($draft.settlement_delay.hours()))
            .bind(i64::from($draft.latency.millis()))
    };
}

pub async fn insert(
    conn: impl Into<Conn<'_>>,
    draft: &MidDraft,
    now: DateTime<Utc>,
) -> Result<MidId, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO mids (title, provider, cs_phone, cs_email, descriptor, monthly_cap_minor, enabled, \
         block_prepaid, block_debit, accept_echeck, accept_visa, accept_mastercard, accept_amex, accept_discover, \
         expiry_days, cascade_all, cascade_profile_id, currency, settlement_delay_hours, latency_ms, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id";
    let id: i64 = on_conn!(conn.reborrow(), conn => bind_settings!(sqlx::query_scalar(SQL).bind(&draft.title).bind(draft.provider.key()), draft)
        .bind(now)
        .fetch_one(conn)
        .await)?;
    Ok(MidId(id))
}

/// Updates every field but the provider, which a MID keeps for life.
pub async fn update(
    conn: impl Into<Conn<'_>>,
    id: MidId,
    draft: &MidDraft,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE mids SET title = $2, cs_phone = $3, cs_email = $4, descriptor = $5, \
         monthly_cap_minor = $6, enabled = $7, block_prepaid = $8, block_debit = $9, accept_echeck = $10, \
         accept_visa = $11, accept_mastercard = $12, accept_amex = $13, accept_discover = $14, expiry_days = $15, \
         cascade_all = $16, cascade_profile_id = $17, currency = $18, settlement_delay_hours = $19, latency_ms = $20, \
         updated_at = $21 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => bind_settings!(sqlx::query(SQL).bind(id.0).bind(&draft.title), draft)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_enabled(
    conn: impl Into<Conn<'_>>,
    id: MidId,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE mids SET enabled = $2, updated_at = $3 WHERE id = $1";
    on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(enabled).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(conn: impl Into<Conn<'_>>, id: MidId) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query("DELETE FROM mids WHERE id = $1").bind(id.0).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}

/// A MID by id and title, for messages that name it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MidTitle {
    pub id: i64,
    pub title: String,
}

/// The MID holding `cascadeAll`, if any.
pub async fn cascade_all_holder(conn: impl Into<Conn<'_>>) -> Result<Option<MidTitle>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT id, title FROM mids WHERE cascade_all = TRUE";
    Ok(on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).fetch_optional(conn).await)?)
}

pub async fn title_taken(
    conn: impl Into<Conn<'_>>,
    title: &str,
    except: Option<MidId>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT COUNT(*) FROM mids WHERE LOWER(title) = LOWER($1) AND id <> $2";
    let n: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(title).bind(except.map_or(0, |m| m.0)).fetch_one(conn).await)?;
    Ok(n > 0)
}

/// A stored credential row.
#[derive(sqlx::FromRow)]
pub struct CredentialRow {
    pub field: String,
    pub key_id: String,
    pub ciphertext: String,
}

impl CredentialRow {
    pub fn sealed(&self) -> Sealed {
        Sealed {
            key_id: self.key_id.clone(),
            blob: self.ciphertext.clone(),
        }
    }
}

pub async fn credentials(
    conn: impl Into<Conn<'_>>,
    id: MidId,
) -> Result<Vec<CredentialRow>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str =
        "SELECT field, key_id, ciphertext FROM mid_credentials WHERE mid_id = $1 ORDER BY field";
    Ok(on_conn!(conn.reborrow(), pool => sqlx::query_as(SQL).bind(id.0).fetch_all(pool).await)?)
}

/// A stored credential with the MID it belongs to.
pub struct MidCredential {
    pub mid: MidId,
    pub credential: CredentialRow,
}

/// Every credential of every MID, for key rotation.
pub async fn all_credentials(conn: impl Into<Conn<'_>>) -> Result<Vec<MidCredential>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    #[derive(sqlx::FromRow)]
    struct Row {
        mid_id: i64,
        field: String,
        key_id: String,
        ciphertext: String,
    }
    const SQL: &str =
        "SELECT mid_id, field, key_id, ciphertext FROM mid_credentials ORDER BY mid_id, field";
    let rows: Vec<Row> =
        on_conn!(conn.reborrow(), conn => sqlx::query_as(SQL).fetch_all(conn).await)?;
    Ok(rows
        .into_iter()
        .map(|r| MidCredential {
            mid: MidId(r.mid_id),
            credential: CredentialRow {
                field: r.field,
                key_id: r.key_id,
                ciphertext: r.ciphertext,
            },
        })
        .collect())
}

pub async fn put_credential(
    conn: impl Into<Conn<'_>>,
    id: MidId,
    field: &str,
    sealed: &Sealed,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const DELETE: &str = "DELETE FROM mid_credentials WHERE mid_id = $1 AND field = $2";
    const INSERT: &str =
        "INSERT INTO mid_credentials (mid_id, field, key_id, ciphertext) VALUES ($1, $2, $3, $4)";
    on_conn!(conn.reborrow(), conn => sqlx::query(DELETE).bind(id.0).bind(field).execute(conn).await.map(|r| r.rows_affected()))?;
    on_conn!(conn.reborrow(), conn => sqlx::query(INSERT)
        .bind(id.0)
        .bind(field)
        .bind(&sealed.key_id)
        .bind(&sealed.blob)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Where each of `ids` (a page of the MID list) is used, in one query: (MID, usage) pairs,
/// routing profiles first, by name.
pub async fn usages_of(
    conn: impl Into<Conn<'_>>,
    ids: &[MidId],
) -> Result<Vec<(MidId, MidUsage)>, DbError> {
    let conn: Conn<'_> = conn.into();
    // The page's ids travel as one JSON array, read as rows by each backend's JSON function.
    const SQLITE: &str = "SELECT m.mid_id, p.name, 0 AS kind FROM gateway_profile_mids m         JOIN gateway_profiles p ON p.id = m.profile_id WHERE m.mid_id IN (SELECT value FROM json_each($1))         UNION SELECT x.mid_id, p.name, 1 AS kind FROM (SELECT mid_id, profile_id FROM recycle_profile_mids         UNION SELECT mid_id, profile_id FROM recycle_profile_blocks WHERE mid_id IS NOT NULL) x         JOIN recycle_profiles p ON p.id = x.profile_id WHERE x.mid_id IN (SELECT value FROM json_each($1))         ORDER BY 1, 3, 2";
    const POSTGRES: &str = "SELECT m.mid_id, p.name, 0 AS kind FROM gateway_profile_mids m         JOIN gateway_profiles p ON p.id = m.profile_id         WHERE m.mid_id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)         UNION SELECT x.mid_id, p.name, 1 AS kind FROM (SELECT mid_id, profile_id FROM recycle_profile_mids         UNION SELECT mid_id, profile_id FROM recycle_profile_blocks WHERE mid_id IS NOT NULL) x         JOIN recycle_profiles p ON p.id = x.profile_id         WHERE x.mid_id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)         ORDER BY 1, 3, 2";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    let ids = format!("[{}]", ids.join(","));
    let sql = match conn.dialect() {
        super::Dialect::Sqlite => SQLITE,
        super::Dialect::Postgres => POSTGRES,
    };
    let rows: Vec<(i64, String, i32)> =
        on_conn!(conn, pool => sqlx::query_as(sql).bind(&ids).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(mid, name, kind)| {
            let usage = if kind == 0 {
                MidUsage::RoutingProfile(name)
            } else {
                MidUsage::RecycleProfile(name)
            };
            (MidId(mid), usage)
        })
        .collect())
}

/// Where a MID is used, so deleting it can say by what.
pub async fn usages(conn: impl Into<Conn<'_>>, id: MidId) -> Result<Vec<MidUsage>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT p.name FROM gateway_profile_mids m JOIN gateway_profiles p ON p.id = m.profile_id \
                       WHERE m.mid_id = $1 ORDER BY p.name";
    let routing: Vec<String> = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(SQL).bind(id.0).fetch_all(pool).await)?;
    let recycling = super::recycle::names_using_mid(&mut conn, id).await?;
    let campaigns = super::catalogue::campaigns_routed_to(
        &mut conn,
        crate::domain::catalogue::SalesRoute::Mid(id),
    )
    .await?;
    const PAYMENTS: &str = "SELECT EXISTS (SELECT 1 FROM transactions WHERE mid_id = $1)";
    let paid: bool = on_conn!(conn.reborrow(), pool => sqlx::query_scalar(PAYMENTS).bind(id.0).fetch_one(pool).await)?;
    Ok(routing
        .into_iter()
        .map(MidUsage::RoutingProfile)
        .chain(recycling.into_iter().map(MidUsage::RecycleProfile))
        .chain(campaigns.into_iter().map(MidUsage::Campaign))
        .chain(paid.then_some(MidUsage::Payments))
        .collect())
}

/// The transactions of a MID that are open (R-TG-3): approved sales and captures whose money
/// settles later than `now`.
const OPEN: &str =
    "mid_id = $1 AND kind IN ('sale', 'capture') AND result = 'approved' AND settled_at > $2";

/// How many of a MID's transactions are still open at `now`.
pub async fn open_transactions(
    conn: impl Into<Conn<'_>>,
    id: MidId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!("SELECT COUNT(*) FROM transactions WHERE ", OPEN);
    let n: i64 = on_conn!(conn.reborrow(), conn => sqlx::query_scalar(SQL).bind(id.0).bind(now).fetch_one(conn).await)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Settles a MID's open transactions at `now`; answers how many.
pub async fn settle_open(
    conn: impl Into<Conn<'_>>,
    id: MidId,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = concatcp!("UPDATE transactions SET settled_at = $2 WHERE ", OPEN);
    Ok(
        on_conn!(conn.reborrow(), conn => sqlx::query(SQL).bind(id.0).bind(now).execute(conn).await.map(|r| r.rows_affected()))?,
    )
}
