//! Background jobs: the queue, leases and retries, the refund queue's daily job (R-CS-4) with
//! the clock moved day by day, outbox delivery over SMTP to a sink the test runs, the admin
//! page, and `recoup worker` stopping cleanly on SIGTERM.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use recoup::domain::ids::{JobId, OutboxId, RefundQueueId};
use recoup::domain::job::{Job, JobStatus, lease};
use recoup::domain::outbox::EmailStatus;
use recoup::domain::page::KeysetRequest;
use recoup::domain::refund_queue::QueueStatus;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::both_backends;
use crate::helpers::{Backend, Page, TestApp, location, spawn_app_with};
use crate::orders::{execute, scalar};
use crate::refund_queue::{failed_refund, settled_sale};

fn all_jobs() -> KeysetRequest<JobId> {
    KeysetRequest {
        after: None,
        size: 500,
    }
}

/// The stored status of job `id`.
async fn job_status(app: &TestApp, id: JobId) -> String {
    recoup::db::jobs::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .status
        .key()
        .to_owned()
}

/// Refund transactions recorded against sale `sale`.
async fn refunds_of(app: &TestApp, sale: i64) -> i64 {
    scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM transactions WHERE kind = 'refund' AND parent_id = {sale}"),
    )
    .await
}

both_backends! {
    /// R-CS-4 through the job runner: 4000000000005126 fails every refund. The daily job retries
    /// it on each of the next 3 days (not before), then the entry leaves the queue and the
    /// campaign's notify emails get the failure notice in the outbox.
    async fn r_cs_4_the_daily_job_retries_5126_three_times_then_gives_up(app) {
        let runner = app.services.runner("test-worker");
        let (_, sale) = settled_sale(&app, "4000000000005126").await;
        let entry = failed_refund(&app, sale).await;
        runner.run_due().await.unwrap();
        assert_eq!(refunds_of(&app, sale.0).await, 1, "the first refund only; no retry before a day");

        for day in 1..=3_i64 {
            app.clock.advance(Duration::hours(23));
            runner.run_due().await.unwrap();
            assert_eq!(app.services.refund_queue.find(entry).await.unwrap().attempts, day - 1, "not yet on day {day}");
            app.clock.advance(Duration::hours(1));
            runner.run_due().await.unwrap();
            let now = app.services.refund_queue.find(entry).await.unwrap();
            assert_eq!(now.attempts, day, "retry {day} made on day {day}");
            assert_eq!(refunds_of(&app, sale.0).await, 1 + day);
            let expected = if day < 3 { QueueStatus::Queued } else { QueueStatus::Failed };
            assert_eq!(now.status, expected, "day {day}");
        }
        let notices: i64 = scalar(&app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'refund_failed' AND to_address = 'ops@example.com'").await;
        assert_eq!(notices, 1, "the notify email is in the outbox");

        app.clock.advance(Duration::days(5));
        assert_eq!(runner.run_due().await.unwrap(), 0, "nothing left to run");
        assert_eq!(refunds_of(&app, sale.0).await, 4, "no retry after giving up");
        let failed = app.services.jobs.list(JobStatus::Failed, all_jobs()).await.unwrap();
        assert_eq!(failed.total, 0, "every job ran to its end: {:?}", failed.items);
    }
}

both_backends! {
    /// R-CS-4: 4000000000007726 fails its first refund only; the job's first retry a day later
    /// refunds it and the entry leaves the queue.
    async fn r_cs_4_7726_is_refunded_by_the_first_daily_retry(app) {
        let runner = app.services.runner("test-worker");
        let (_, sale) = settled_sale(&app, "4000000000007726").await;
        let entry = failed_refund(&app, sale).await;
        app.clock.advance(Duration::days(1));
        runner.run_due().await.unwrap();
        let now = app.services.refund_queue.find(entry).await.unwrap();
        assert_eq!((now.status, now.attempts), (QueueStatus::Refunded, 1));
        let approved: i64 = scalar(&app.db, &format!(
            "SELECT COUNT(*) FROM transactions WHERE kind = 'refund' AND parent_id = {} AND result = 'approved'", sale.0)).await;
        assert_eq!(approved, 1);
        app.clock.advance(Duration::days(3));
        runner.run_due().await.unwrap();
        assert_eq!(refunds_of(&app, sale.0).await, 2, "nothing retried after the refund went through");
    }
}

both_backends! {
    /// An agent's Retry now takes the day's retry; the job that was due for it then finds the
    /// entry moved on and does nothing, and the next retry is a day after the agent's.
    async fn a_retry_now_moves_the_daily_job_along(app) {
        let runner = app.services.runner("test-worker");
        let (_, sale) = settled_sale(&app, "4000000000005126").await;
        let entry = failed_refund(&app, sale).await;
        app.clock.advance(Duration::hours(12));
        app.services.refund_queue.retry(&crate::orders::actor(), entry).await.unwrap();
        app.clock.advance(Duration::hours(12));
        runner.run_due().await.unwrap();
        assert_eq!(app.services.refund_queue.find(entry).await.unwrap().attempts, 1, "the stale job did nothing");
        app.clock.advance(Duration::hours(12));
        runner.run_due().await.unwrap();
        assert_eq!(app.services.refund_queue.find(entry).await.unwrap().attempts, 2, "a day after Retry now");
    }
}

both_backends! {
    /// A worker that claimed a job and died leaves it running under its lease; no one runs it
    /// until the lease runs out, then another worker does, and the dead worker's late answer
    /// changes nothing.
    async fn a_job_whose_worker_died_runs_again_after_its_lease(app) {
        let now = app.clock_now();
        let id = recoup::db::jobs::enqueue(&app.db, &Job::DeliverEmail { outbox_id: OutboxId(424_242) }, now, None, now)
            .await.unwrap().unwrap();
        let claimed = recoup::db::jobs::claim(&app.db, "dead-worker", now).await.unwrap().unwrap();
        assert_eq!((claimed.id, claimed.attempts), (id, 1));

        let runner = app.services.runner("live-worker");
        assert_eq!(runner.run_due().await.unwrap(), 0, "held under the dead worker's lease");
        assert_eq!(job_status(&app, id).await, "running");

        app.clock.advance(lease() + Duration::seconds(1));
        assert_eq!(runner.run_due().await.unwrap(), 1, "claimed again once the lease ran out");
        assert_eq!(job_status(&app, id).await, "done");
        let attempts: i64 = scalar(&app.db, &format!("SELECT attempts FROM jobs WHERE id = {id}")).await;
        assert_eq!(attempts, 2);
        let late = recoup::db::jobs::complete(&app.db, id, "dead-worker", app.clock_now()).await.unwrap();
        assert!(!late, "the dead worker no longer holds it");
    }
}

both_backends! {
    /// Two workers draining one queue at the same time never run a job twice: every job is run
    /// exactly once, by one of them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
    /// SQLite).
    async fn two_workers_never_run_one_job_twice(app) {
        let now = app.clock_now();
        let mut enqueued = HashSet::new();
        for n in 0..120 {
            let job = Job::DeliverEmail { outbox_id: OutboxId(900_000 + n) };
            enqueued.insert(recoup::db::jobs::enqueue(&app.db, &job, now, None, now).await.unwrap().unwrap());
        }
        let drain = |name: &'static str| {
            let runner = app.services.runner(name);
            tokio::spawn(async move {
                let mut ran = Vec::new();
                while let Some(id) = runner.run_next().await.unwrap() {
                    ran.push(id);
                }
                ran
            })
        };
        let (a, b) = tokio::join!(drain("worker-a"), drain("worker-b"));
        let (a, b) = (a.unwrap(), b.unwrap());
        let a_set: HashSet<JobId> = a.iter().copied().collect();
        let b_set: HashSet<JobId> = b.iter().copied().collect();
        assert_eq!(a.len() + b.len(), enqueued.len(), "each job run once: {} + {}", a.len(), b.len());
        assert!(a_set.is_disjoint(&b_set), "a job run by both workers");
        assert_eq!(a_set.union(&b_set).copied().collect::<HashSet<_>>(), enqueued);
        let reruns: i64 = scalar(&app.db, "SELECT COUNT(*) FROM jobs WHERE attempts <> 1").await;
        assert_eq!(reruns, 0);
    }
}

both_backends! {
    /// A unique key makes enqueueing idempotent: one retry job per refund-queue attempt.
    async fn a_job_enqueued_twice_under_one_key_is_one_job(app) {
        let now = app.clock_now();
        let job = Job::RetryRefund { refund_queue_id: RefundQueueId(1), attempt: 1 };
        let first = recoup::db::jobs::enqueue(&app.db, &job, now, Some("k-1"), now).await.unwrap();
        let second = recoup::db::jobs::enqueue(&app.db, &job, now, Some("k-1"), now).await.unwrap();
        assert!(first.is_some());
        assert_eq!(second, None);
        let n: i64 = scalar(&app.db, "SELECT COUNT(*) FROM jobs WHERE unique_key = 'k-1'").await;
        assert_eq!(n, 1);
    }
}

both_backends! {
    /// Without SMTP, an email is kept and says so: "Not sent: SMTP not configured"; its job is
    /// done (nothing to retry until it is resent on a portal with SMTP).
    async fn without_smtp_emails_are_kept_as_not_sent(app) {
        let (order, _) = settled_sale(&app, "4111111111111111").await;
        app.services.runner("test-worker").run_due().await.unwrap();
        let id: i64 = scalar(&app.db, &format!("SELECT id FROM outbox WHERE order_id = {order} AND kind = 'welcome'")).await;
        let email = recoup::db::outbox::find(&app.db, OutboxId(id)).await.unwrap().unwrap();
        assert_eq!(email.status, EmailStatus::Pending);
        assert_eq!(email.status_text(), "Not sent: SMTP not configured");
        let failed = app.services.jobs.counts().await.unwrap().failed;
        assert_eq!(failed, 0);
    }
}

/// A minimal SMTP server: accepts every message and keeps its DATA.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(Self::serve(socket, kept.clone()));
            }
        });
        Self { port, messages }
    }

    async fn serve(socket: tokio::net::TcpStream, kept: Arc<Mutex<Vec<String>>>) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 sink ESMTP\r\n").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                "DATA" => {
                    let _ = write.write_all(b"354 go ahead\r\n").await;
                    let mut data = String::new();
                    while let Ok(Some(l)) = lines.next_line().await {
                        if l == "." {
                            break;
                        }
                        data.push_str(&l);
                        data.push('\n');
                    }
                    kept.lock().unwrap().push(data);
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => b"250 ok\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

async fn smtp_delivery(backend: Backend) {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let Some(app) = spawn_app_with(backend, |s| {
        s.smtp = Some(recoup::mail::SmtpSettings {
            url: secrecy::SecretString::from(url),
            from: "Shop <shop@example.com>".to_owned(),
        });
    })
    .await
    else {
        return;
    };
    let (order, _) = settled_sale(&app, "4111111111111111").await;
    app.services.runner("test-worker").run_due().await.unwrap();
    let id: i64 = scalar(
        &app.db,
        &format!("SELECT id FROM outbox WHERE order_id = {order} AND kind = 'welcome'"),
    )
    .await;
    let email = recoup::db::outbox::find(&app.db, OutboxId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(email.status, EmailStatus::Sent, "{:?}", email.last_error);
    assert!(email.sent_at.is_some());
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "one email delivered");
    assert!(
        messages[0].contains("From: Shop <shop@example.com>"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains(&format!("To: {}", email.to)),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains(&email.subject), "{}", messages[0]);
    let history: i64 = scalar(
        &app.db,
        "SELECT COUNT(*) FROM customer_history WHERE kind = 'email'",
    )
    .await;
    assert_eq!(history, 1, "the customer's history says the email went out");
}

#[tokio::test]
async fn emails_are_delivered_over_smtp_to_a_sink_on_sqlite() {
    smtp_delivery(Backend::Sqlite).await;
}

#[tokio::test]
async fn emails_are_delivered_over_smtp_to_a_sink_on_postgres() {
    smtp_delivery(Backend::Postgres).await;
}

#[tokio::test]
async fn an_smtp_server_that_is_down_leaves_the_email_queued_with_backoff() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.smtp = Some(recoup::mail::SmtpSettings {
            url: secrecy::SecretString::from(format!("smtp://127.0.0.1:{port}")),
            from: recoup::mail::DEFAULT_FROM.to_owned(),
        });
    })
    .await
    .unwrap();
    let (order, _) = settled_sale(&app, "4111111111111111").await;
    let runner = app.services.runner("test-worker");
    runner.run_due().await.unwrap();
    let id: i64 = scalar(
        &app.db,
        &format!("SELECT id FROM outbox WHERE order_id = {order} AND kind = 'welcome'"),
    )
    .await;
    let email = recoup::db::outbox::find(&app.db, OutboxId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((email.status, email.attempts), (EmailStatus::Pending, 1));
    assert!(
        email
            .status_text()
            .starts_with("Not sent: the SMTP server refused or failed"),
        "{}",
        email.status_text()
    );
    let queued = app
        .services
        .jobs
        .list(JobStatus::Queued, all_jobs())
        .await
        .unwrap();
    let job = queued
        .items
        .iter()
        .find(|j| {
            j.job
                == Some(Job::DeliverEmail {
                    outbox_id: OutboxId(id),
                })
        })
        .expect("queued again");
    assert_eq!(
        job.run_at,
        app.clock_now() + Duration::seconds(30),
        "the first backoff"
    );
    assert!(job.last_error.is_some());
}

both_backends! {
    /// `/admin/jobs` shows the counts and a failed job with its error; Retry queues it again
    /// and is logged.
    async fn the_admin_page_shows_failed_jobs_and_retries_them(app) {
        let now = app.clock_now();
        execute(&app.db, &format!(
            "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
             VALUES ('deliver_email', 'garbage', 'queued', 0, 3, '{now}', '{now}', '{now}')",
            now = now.to_rfc3339()
        )).await;
        assert_eq!(app.services.runner("test-worker").run_due().await.unwrap(), 1);
        let failed = app.services.jobs.list(JobStatus::Failed, all_jobs()).await.unwrap();
        assert_eq!(failed.total, 1, "unreadable arguments fail at once");
        let id = failed.items[0].id;

        app.login_as_new("admin").await;
        let page = app.get_page("/admin/jobs").await;
        assert!(page.text("#jobs-counts").contains("1 failed"), "{}", page.text("#jobs-counts"));
        assert!(page.text(&format!("#job-{id}")).contains("do not fit"), "the error is shown");

        let response = app.post_form(&format!("/admin/jobs/{id}/retry"), &[]).await;
        assert_eq!(location(&response), "/admin/jobs?status=queued");
        assert_eq!(job_status(&app, id).await, "queued");
        let logged: i64 = scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'job.retried'").await;
        assert_eq!(logged, 1);

        let again = app.post_form(&format!("/admin/jobs/{id}/retry"), &[]).await;
        assert_eq!(location(&again), "/admin/jobs");
        let page = Page::parse(&app.get_html("/admin/jobs").await);
        assert!(page.text(".flash").contains("only a failed job"), "{}", page.text(".flash"));
        assert_eq!(app.post_form("/admin/jobs/99999/retry", &[]).await.status(), 404);
        assert_eq!(app.post_form("/admin/jobs/%31/retry", &[]).await.status(), 303, "decoded before routing and authorizing");
    }
}

#[test]
fn recoup_worker_stops_cleanly_on_sigterm() {
    use std::io::Read;
    let db = std::env::temp_dir().join(format!("recoup-worker-{}.db", std::process::id()));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recoup"))
        .arg("worker")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RECOUP_SESSION_KEY", "ab".repeat(64))
        .env("RECOUP_SECRET_KEY", "cd".repeat(32))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !seen.contains("is running background jobs") {
        assert!(
            std::time::Instant::now() < deadline,
            "worker did not start: {seen}"
        );
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "worker exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    out.read_to_string(&mut seen).unwrap();
    assert!(status.success(), "exit status {status}: {seen}");
    assert!(seen.contains("Worker stopped."), "{seen}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

both_backends! {
    /// Resend from the Emails tab: a copy to the same address, delivered afresh, logged and in
    /// the customer's history; an email of another customer posted by hand is not found.
    async fn resend_copies_the_email_and_refuses_another_customers(app) {
        let (order, _) = settled_sale(&app, "4111111111111111").await;
        let customer = app.services.orders.details(order).await.unwrap().customer.id;
        let id: i64 = scalar(&app.db, &format!("SELECT id FROM outbox WHERE order_id = {order} AND kind = 'welcome'")).await;
        app.login_as_new("cs_agent").await;

        let response = app.post_form(&format!("/customers/{customer}/emails/{id}/resend"), &[]).await;
        assert_eq!(location(&response), format!("/customers/{customer}?tab=emails"));
        let copies: i64 = scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'welcome'")).await;
        assert_eq!(copies, 2);
        let jobs: i64 = scalar(&app.db, "SELECT COUNT(*) FROM jobs WHERE kind = 'deliver_email' AND status = 'queued'").await;
        assert!(jobs >= 2, "the copy has a delivery job of its own");
        let logged: i64 = scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'email.resent'").await;
        assert_eq!(logged, 1);
        let noted: i64 = scalar(&app.db, &format!("SELECT COUNT(*) FROM customer_history WHERE customer_id = {customer} AND kind = 'email'")).await;
        assert_eq!(noted, 1);

        let other = customer.0 + 1000;
        assert_eq!(app.post_form(&format!("/customers/{other}/emails/{id}/resend"), &[]).await.status(), 404);
        assert_eq!(app.post_form(&format!("/customers/{customer}/emails/x/resend"), &[]).await.status(), 404);
        let copies: i64 = scalar(&app.db, "SELECT COUNT(*) FROM outbox").await;
        assert_eq!(copies, 2, "nothing sent by the refused requests");
    }
}
