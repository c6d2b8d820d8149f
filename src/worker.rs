//! The job runner's loop: inside `recoup serve` (unless `RECOUP_WORKER=off`) and as
//! `recoup worker`. It claims due jobs one at a time; told to stop, it claims no more, finishes
//! the job it holds, and returns.

use std::time::Duration;

use tokio::sync::watch;

use crate::services::JobRunner;

/// How long an idle worker waits before looking for due jobs again.
pub const POLL: Duration = Duration::from_secs(1);

/// A worker name unique among running workers: host, process and a random tag.
pub fn worker_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    format!(
        "{role}@{host}:{}:{:04x}",
        std::process::id(),
        fastrand::u16(..)
    )
}

/// Runs jobs until `stop` turns true (or its sender is dropped).
pub async fn run(runner: JobRunner, mut stop: watch::Receiver<bool>) {
    tracing::info!(worker = runner.worker(), "job runner started");
    loop {
        if *stop.borrow() {
            break;
        }
        match runner.run_next().await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "job runner could not reach the queue"),
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    tracing::info!(worker = runner.worker(), "job runner stopped");
}
