//! `/admin/jobs`: the background job queue: how deep it is, what runs, what failed and why,
//! with Retry on a failed job.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::ids::JobId;
use crate::domain::job::{JobCounts, JobRow, JobStatus};
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::error::AppError;
use crate::services::Services;
use crate::services::jobs::JobError;
use crate::web::page::{Layout, PageCtx, render};

const PAGE_SIZE: u32 = 25;

#[derive(Template)]
#[template(path = "pages/admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    counts: JobCounts,
    status: JobStatus,
    statuses: Vec<(JobStatus, String, bool, i64)>,
    page: KeysetPage<JobRow, JobId>,
    newest_href: Option<String>,
    older_href: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    after: Option<i64>,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let counts = services.jobs.counts().await?;
    // Failed jobs first when there are any: they are what an admin comes here for.
    let status = JobStatus::from_key(&query.status).unwrap_or(if counts.failed > 0 {
        JobStatus::Failed
    } else {
        JobStatus::Queued
    });
    let request = KeysetRequest {
        after: query.after.map(JobId),
        size: PAGE_SIZE,
    };
    let page = services.jobs.list(status, request).await?;
    let base = format!("/admin/jobs?status={}", status.key());
    let older_href = page.next.map(|id| format!("{base}&after={id}"));
    let newest_href = query.after.is_some().then(|| base.clone());
    let count = |s: JobStatus| match s {
        JobStatus::Queued => counts.queued,
        JobStatus::Running => counts.running,
        JobStatus::Done => counts.done,
        JobStatus::Failed => counts.failed,
    };
    render(&JobsPage {
        layout: ctx.layout("Background jobs", "admin"),
        statuses: JobStatus::all()
            .map(|s| {
                (
                    s,
                    format!("/admin/jobs?status={}", s.key()),
                    s == status,
                    count(s),
                )
            })
            .collect(),
        counts,
        status,
        page,
        newest_href,
        older_href,
    })
}

/// Retry: a failed job queued again, due now.
pub async fn retry(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path
        .parse::<i64>()
        .map(JobId)
        .map_err(|_| AppError::NotFound)?;
    match services.jobs.retry(&ctx.actor()?, id).await {
        Ok(()) => Ok(ctx.done(
            format!("Job #{id} is queued again; a worker will run it shortly."),
            "/admin/jobs?status=queued",
        )),
        Err(JobError::NotFound) => Err(AppError::NotFound),
        Err(e @ JobError::NotFailed(_)) => Ok(ctx.refused(e.to_string(), "/admin/jobs")),
        Err(e) => Err(e.into()),
    }
}
