//! The `jobs` table: the queue of background work. Enqueue inside the transaction of the change
//! that calls for the job; workers claim due jobs one at a time under a lease.

use chrono::{DateTime, Utc};

use super::{Conn, DbError, Dialect, on_conn};
use crate::domain::ids::JobId;
use crate::domain::job::{Claimed, Job, JobCounts, JobKind, JobRow, JobStatus, lease};
use crate::domain::page::{KeysetPage, KeysetRequest};

/// Adds `job`, due at `run_at`. With a `unique_key`, a job already enqueued under that key
/// (whatever its state) makes this a no-op and `None` is returned.
pub async fn enqueue(
    conn: impl Into<Conn<'_>>,
    job: &Job,
    run_at: DateTime<Utc>,
    unique_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<JobId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, unique_key, \
                       created_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) \
                       ON CONFLICT (unique_key) DO NOTHING RETURNING id";
    let id: Option<i64> = on_conn!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(job.kind().key()).bind(job.payload()).bind(job.max_attempts()).bind(run_at)
        .bind(unique_key).bind(now).fetch_optional(c).await)?;
    Ok(id.map(JobId))
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
}

/// Claims the next due job for `worker`: a queued job whose time has come, or a running one
/// whose worker's lease ran out (that worker died). The claim starts a run (`attempts + 1`) and
/// holds the job until `now + lease()`. PostgreSQL skips rows another worker is claiming
/// (`FOR UPDATE SKIP LOCKED`), so concurrent workers never take one job; SQLite has one writer
/// at a time, and the claim is a single statement, so the same holds there.
pub async fn claim(
    conn: impl Into<Conn<'_>>,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const PICK: &str = "SELECT id FROM jobs \
                        WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
                        ORDER BY run_at, id LIMIT 1";
    const PG: &str = const_format::concatcp!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
         locked_until = $2, updated_at = $3 WHERE id = (",
        PICK,
        " FOR UPDATE SKIP LOCKED) RETURNING id, kind, payload, attempts, max_attempts"
    );
    const SQLITE: &str = const_format::concatcp!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
         locked_until = $2, updated_at = $3 WHERE id = (",
        PICK,
        ") RETURNING id, kind, payload, attempts, max_attempts"
    );
    let sql = match conn.dialect() {
        Dialect::Postgres => PG,
        Dialect::Sqlite => SQLITE,
    };
    let row: Option<ClaimRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
        .bind(worker).bind(now + lease()).bind(now).fetch_optional(c).await)?;
    row.map(|r| {
        Ok(Claimed {
            id: JobId(r.id),
            kind: JobKind::from_key(&r.kind)
                .ok_or_else(|| DbError::corrupt("jobs", r.id, "kind", &r.kind))?,
            payload: r.payload,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
        })
    })
    .transpose()
}

/// Marks a claimed job done. False when `worker` no longer held it (its lease ran out and
/// another worker claimed it): that worker's run decides.
pub async fn complete(
    conn: impl Into<Conn<'_>>,
    id: JobId,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, \
                       last_error = NULL, updated_at = $3, finished_at = $3 \
                       WHERE id = $1 AND status = 'running' AND locked_by = $2";
    let done = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(worker).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records a failed run of a claimed job: queued again at `run_again_at`, or failed for good
/// when that is `None`. False when `worker` no longer held the job.
pub async fn fail(
    conn: impl Into<Conn<'_>>,
    id: JobId,
    worker: &str,
    error: &str,
    run_again_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE jobs SET status = CASE WHEN $4 = 1 THEN 'queued' ELSE 'failed' END, \
                       run_at = COALESCE($5, run_at), locked_by = NULL, locked_until = NULL, \
                       last_error = $3, updated_at = $6, \
                       finished_at = CASE WHEN $4 = 1 THEN NULL ELSE $6 END \
                       WHERE id = $1 AND status = 'running' AND locked_by = $2";
    let done = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(worker).bind(error).bind(i64::from(run_again_at.is_some()))
        .bind(run_again_at).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Queues a failed job again, due now, with its runs counted afresh: true when it was failed.
pub async fn retry(
    conn: impl Into<Conn<'_>>,
    id: JobId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $2, updated_at = $2, \
                       finished_at = NULL WHERE id = $1 AND status = 'failed'";
    let done = on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(id.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Deletes jobs that finished well before `before`: done jobs are history nobody reads, and the
/// table stays small. Failed jobs stay until an admin retries them.
pub async fn purge_done(conn: impl Into<Conn<'_>>, before: DateTime<Utc>) -> Result<u64, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "DELETE FROM jobs WHERE status = 'done' AND finished_at < $1";
    Ok(on_conn!(conn.reborrow(), c => sqlx::query(SQL)
        .bind(before).execute(c).await.map(|r| r.rows_affected()))?)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    attempts: i64,
    max_attempts: i64,
    run_at: DateTime<Utc>,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for JobRow {
    type Error = DbError;

    fn try_from(r: Row) -> Result<Self, DbError> {
        let kind = JobKind::from_key(&r.kind)
            .ok_or_else(|| DbError::corrupt("jobs", r.id, "kind", &r.kind))?;
        Ok(JobRow {
            id: JobId(r.id),
            kind,
            job: Job::from_stored(kind, &r.payload),
            status: JobStatus::from_key(&r.status)
                .ok_or_else(|| DbError::corrupt("jobs", r.id, "status", &r.status))?,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            locked_by: r.locked_by,
            locked_until: r.locked_until,
            last_error: r.last_error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
    }
}

const SELECT: &str = "SELECT id, kind, payload, status, attempts, max_attempts, run_at, locked_by, \
                      locked_until, last_error, created_at, finished_at FROM jobs";

pub async fn find(conn: impl Into<Conn<'_>>, id: JobId) -> Result<Option<JobRow>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(SELECT, " WHERE id = $1");
    let row: Option<Row> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    row.map(JobRow::try_from).transpose()
}

/// One page of the jobs in `status`, newest first, by keyset on the id.
pub async fn list(
    conn: impl Into<Conn<'_>>,
    status: JobStatus,
    page: KeysetRequest<JobId>,
) -> Result<KeysetPage<JobRow, JobId>, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = const_format::concatcp!(
        SELECT,
        " WHERE status = $1 AND ($2 = 0 OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    const COUNT: &str = "SELECT COUNT(*) FROM jobs WHERE status = $1";
    let limit = i64::from(page.size) + 1;
    let rows: Vec<Row> = on_conn!(conn.reborrow(), c => sqlx::query_as(SQL)
        .bind(status.key()).bind(i64::from(page.after.is_some()))
        .bind(page.after.map_or(0, |a| a.0)).bind(limit).fetch_all(c).await)?;
    let total: i64 = on_conn!(conn.reborrow(), c => sqlx::query_scalar(COUNT)
        .bind(status.key()).fetch_one(c).await)?;
    let items = rows
        .into_iter()
        .map(JobRow::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysetPage::cut(items, &page, total, |j| j.id))
}

/// The counts per status, in one statement.
pub async fn counts(conn: impl Into<Conn<'_>>, now: DateTime<Utc>) -> Result<JobCounts, DbError> {
    let mut conn: Conn<'_> = conn.into();
    const SQL: &str = "SELECT \
        CAST(COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'queued' AND run_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0) AS BIGINT) \
        FROM jobs";
    let (queued, due, running, failed, done): (i64, i64, i64, i64, i64) =
        on_conn!(conn.reborrow(), c => sqlx::query_as(SQL).bind(now).fetch_one(c).await)?;
    Ok(JobCounts {
        queued,
        due,
        running,
        failed,
        done,
    })
}
