//! `/refund-queue` (R-CS-4): refunds the gateway failed, retried once a day for 3 days, with
//! Retry now and Remove; and the entries that succeeded, gave up or were removed.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::ids::RefundQueueId;
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::domain::refund_queue::{QueueEntry, QueueStatus};
use crate::error::AppError;
use crate::services::Services;
use crate::services::refund_queue::{QueueError, Retried};
use crate::web::page::{ConfirmForm, ConfirmPage, FlashKind, Layout, PageCtx, render};

const PAGE_SIZE: u32 = 25;

#[derive(Template)]
#[template(path = "pages/refund_queue/list.html")]
struct QueuePage {
    layout: Layout,
    status: QueueStatus,
    statuses: Vec<(QueueStatus, String, bool)>,
    page: KeysetPage<QueueEntry, RefundQueueId>,
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
    let status = QueueStatus::from_key(&query.status).unwrap_or(QueueStatus::Queued);
    let request = KeysetRequest {
        after: query.after.map(RefundQueueId),
        size: PAGE_SIZE,
    };
    let page = services.refund_queue.list(status, request).await?;
    let base = format!("/refund-queue?status={}", status.key());
    let older_href = page.next.map(|id| format!("{base}&after={id}"));
    let newest_href = query.after.is_some().then(|| base.clone());
    render(&QueuePage {
        layout: ctx.layout("Refund queue", "refund-queue"),
        statuses: QueueStatus::all()
            .map(|s| (s, format!("/refund-queue?status={}", s.key()), s == status))
            .collect(),
        status,
        page,
        newest_href,
        older_href,
    })
}

fn entry_id(path: &str) -> Result<RefundQueueId, AppError> {
    path.parse::<i64>()
        .map(RefundQueueId)
        .map_err(|_| AppError::NotFound)
}

fn queue_error(e: QueueError) -> AppError {
    match e {
        QueueError::NotFound => AppError::NotFound,
        other => other.into(),
    }
}

/// Retry now: the same retry the daily job makes, at once.
pub async fn retry(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = entry_id(&path)?;
    let back = "/refund-queue";
    match services.refund_queue.retry(&ctx.actor()?, id).await {
        Ok(Retried::Refunded) => Ok(ctx.done("The refund went through; it left the queue.", back)),
        Ok(Retried::TryAgainAt(at)) => {
            ctx.flash(
                FlashKind::Error,
                format!(
                    "The gateway failed the refund again; next try {}.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            );
            Ok(crate::web::page::see_other(back))
        }
        Ok(Retried::GaveUp) => {
            ctx.flash(
                FlashKind::Error,
                "The refund failed its last retry: it left the queue and the campaign's notify emails were told.",
            );
            Ok(crate::web::page::see_other(back))
        }
        Ok(Retried::Dropped(why)) => {
            ctx.flash(FlashKind::Error, format!("Removed from the queue: {why}"));
            Ok(crate::web::page::see_other(back))
        }
        Err(e @ (QueueError::NotQueued(_) | QueueError::Busy)) => {
            Ok(ctx.refused(e.to_string(), back))
        }
        Err(e) => Err(queue_error(e)),
    }
}

/// Remove asks first, naming the refund; `confirm=yes` removes it.
pub async fn remove(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = entry_id(&path)?;
    if !form.confirmed() {
        let entry = services.refund_queue.find(id).await.map_err(queue_error)?;
        return render(&ConfirmPage {
            layout: ctx.layout("Remove a queued refund", "refund-queue"),
            heading: format!(
                "Remove the refund of {} to {} from the queue?",
                entry.amount, entry.customer_name
            ),
            message: "It will not be retried again, and the customer is not refunded: refund them another way if they are owed.".to_owned(),
            blockers: Vec::new(),
            action: format!("/refund-queue/{id}/remove"),
            button: "Remove from the queue",
            back: "/refund-queue".to_owned(),
        });
    }
    match services.refund_queue.remove(&ctx.actor()?, id).await {
        Ok(()) => Ok(ctx.done("Removed from the refund queue.", "/refund-queue")),
        Err(e @ QueueError::NotQueued(_)) => Ok(ctx.refused(e.to_string(), "/refund-queue")),
        Err(e) => Err(queue_error(e)),
    }
}
