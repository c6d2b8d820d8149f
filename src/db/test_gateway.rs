//! The test gateway's own storage (R-TG-2, R-TG-4): per token the scenario and how many charges
//! and refunds it has seen, never the number; per idempotency key the first answer.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, on_conn};
use crate::domain::ids::MidId;
use crate::domain::test_gateway::{ChargeResult, Scenario};

/// An operation of the test gateway, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Operation {
    Sale,
    Refund,
    Void,
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub idempotency_key: String,
    pub mid_id: MidId,
    pub operation: Operation,
    pub token: String,
    pub amount_minor: i64,
    pub currency: String,
    pub result: ChargeResult,
    pub code: String,
    pub text: String,
    pub advice_code: Option<String>,
    pub reference: String,
    pub parent_reference: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    idempotency_key: String,
    mid_id: i64,
    operation: String,
    token: String,
    amount_minor: i64,
    currency: String,
    result: String,
    response_code: String,
    response_text: String,
    advice_code: Option<String>,
    reference: String,
    parent_reference: Option<String>,
}

impl TryFrom<RequestRow> for StoredRequest {
    type Error = DbError;

    fn try_from(r: RequestRow) -> Result<Self, DbError> {
        // The table's key is text: the row is named by its MID in the error.
        let corrupt = |column, value: &str| {
            DbError::corrupt("test_gateway_requests", r.mid_id, column, value)
        };
        let operation = r
            .operation
            .parse()
            .map_err(|_| corrupt("operation", &r.operation))?;
        let result = r.result.parse().map_err(|_| corrupt("result", &r.result))?;
        Ok(StoredRequest {
            idempotency_key: r.idempotency_key,
            mid_id: MidId(r.mid_id),
            operation,
            token: r.token,
            amount_minor: r.amount_minor,
            currency: r.currency,
            result,
            code: r.response_code,
            text: r.response_text,
            advice_code: r.advice_code,
            reference: r.reference,
            parent_reference: r.parent_reference,
        })
    }
}

const SELECT: &str = "SELECT idempotency_key, mid_id, operation, token, amount_minor, currency, result, \
     response_code, response_text, advice_code, reference, parent_reference FROM test_gateway_requests";

pub async fn find_request(
    conn: impl Into<Conn<'_>>,
    key: &str,
) -> Result<Option<StoredRequest>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE idempotency_key = $1");
    let row: Option<RequestRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(key).fetch_optional(c).await)?;
    row.map(StoredRequest::try_from).transpose()
}

pub async fn find_by_reference(
    conn: impl Into<Conn<'_>>,
    reference: &str,
) -> Result<Option<StoredRequest>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE reference = $1");
    let row: Option<RequestRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(reference).fetch_optional(c).await)?;
    row.map(StoredRequest::try_from).transpose()
}

/// The approved reversals (refunds, voids) of the sale `reference`.
pub async fn reversals_of(
    conn: impl Into<Conn<'_>>,
    reference: &str,
) -> Result<Vec<StoredRequest>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " WHERE parent_reference = $1 AND result = 'approved' ORDER BY created_at"
    );
    let rows: Vec<RequestRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(reference).fetch_all(c).await)?;
    rows.into_iter().map(StoredRequest::try_from).collect()
}

pub async fn insert_request(
    conn: impl Into<Conn<'_>>,
    request: &StoredRequest,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO test_gateway_requests (idempotency_key, mid_id, operation, token, amount_minor, \
         currency, result, response_code, response_text, advice_code, reference, parent_reference, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    let operation: &'static str = request.operation.into();
    let result: &'static str = request.result.into();
    on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(&request.idempotency_key).bind(request.mid_id.0).bind(operation).bind(&request.token)
        .bind(request.amount_minor).bind(&request.currency).bind(result).bind(&request.code)
        .bind(&request.text).bind(&request.advice_code).bind(&request.reference)
        .bind(&request.parent_reference).bind(at)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// Issues `token` for a card, counting the charge it is issued for.
pub async fn insert_token(
    conn: impl Into<Conn<'_>>,
    token: &str,
    scenario: Scenario,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO test_gateway_tokens (token, scenario, charges, created_at) \
                       VALUES ($1, $2, 1, $3)";
    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(token).bind(scenario.key()).bind(at).execute(c).await.map(drop))?;
    Ok(())
}

/// Which count a request moves.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Charges,
    RefundAttempts,
}

/// Counts one more charge (or refund attempt) of `token`; returns its scenario and how many
/// came before, or `None` for a token the vault never issued.
pub async fn count(
    conn: impl Into<Conn<'_>>,
    token: &str,
    counter: Counter,
) -> Result<Option<(Scenario, u32)>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    let sql = match counter {
        Counter::Charges => {
            "UPDATE test_gateway_tokens SET charges = charges + 1 WHERE token = $1 RETURNING scenario, charges - 1"
        }
        Counter::RefundAttempts => {
            "UPDATE test_gateway_tokens SET refund_attempts = refund_attempts + 1 WHERE token = $1 RETURNING scenario, refund_attempts - 1"
        }
    };
    let row: Option<(String, i64)> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(sql).bind(token).fetch_optional(c).await)?;
    row.map(|(scenario, earlier)| {
        let parsed = Scenario::from_key(&scenario)
            .ok_or_else(|| DbError::corrupt("test_gateway_tokens", 0, "scenario", &scenario))?;
        Ok((parsed, u32::try_from(earlier).unwrap_or(u32::MAX)))
    })
    .transpose()
}
