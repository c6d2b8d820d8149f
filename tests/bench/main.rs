//! Benchmarks: page latency on a generated data set, on SQLite and PostgreSQL in one run. Each
//! figure is read as a ratio to a bare actix-web handler (one worker, no middleware, no database)
//! serving the very same bytes in the same run, so the numbers mean the same on any machine.
//! Run with `cargo bench --bench portal` (PostgreSQL at `RECOUP_TEST_PG_URL` or 127.0.0.1:5432;
//! without it only SQLite is measured). Nothing here asserts a time: it measures and prints.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark reports on stdout and stops loudly on a broken set-up"
)]

#[allow(
    dead_code,
    unused_macros,
    reason = "the bench uses part of the test harness"
)]
#[path = "../api/helpers.rs"]
mod helpers;

mod common;

use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use common::{bare_page, ms, time_gets};
use helpers::{Backend, PASSWORD, TestApp, spawn_app};
use recoup::db::Db;

const EVENTS: i64 = 100_000;
const MIDS: i64 = 5_000;
const USERS: i64 = 2_000;
const ROUNDS: usize = 60;

/// Bulk data straight in SQL: one statement per table and backend.
async fn generate(app: &TestApp) {
    let hash: String = match &app.db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT password_hash FROM users LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT password_hash FROM users LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    match &app.db {
        Db::Sqlite(pool) => {
            let series =
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) ";
            let events = format!(
                "{series}INSERT INTO events (at, actor_id, actor_label, kind, subject, before_json, after_json, ip) \
                SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01', '+' || i || ' minutes'), NULL, 'user' || (i % 500) || '@example.com', \
                CASE i % 3 WHEN 0 THEN 'login.failed' WHEN 1 THEN 'login.succeeded' ELSE 'mid.updated' END, 'user:' || i, NULL, '{{\"reason\":\"bench\"}}', '198.51.100.1' FROM n"
            );
            let mids = format!(
                "{series}INSERT INTO mids (title, provider, enabled, accept_visa, monthly_cap_minor, created_at, updated_at) \
                SELECT 'Store ' || i, 'test', i % 7 <> 0, TRUE, i * 1000, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM n"
            );
            let users = format!(
                "{series}INSERT INTO users (email, name, password_hash, role_id, active, created_at, updated_at) \
                SELECT 'user' || i || '@example.com', 'User ' || i, $2, 4, TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM n"
            );
            sqlx::query(sqlx::AssertSqlSafe(events))
                .bind(EVENTS)
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(mids))
                .bind(MIDS)
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(users))
                .bind(USERS)
                .bind(&hash)
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
        Db::Postgres(pool) => {
            let events = "INSERT INTO events (at, actor_id, actor_label, kind, subject, before_json, after_json, ip) \
                SELECT timestamptz '2026-01-01' + i * interval '1 minute', NULL, 'user' || (i % 500) || '@example.com', \
                CASE i % 3 WHEN 0 THEN 'login.failed' WHEN 1 THEN 'login.succeeded' ELSE 'mid.updated' END, 'user:' || i, NULL, '{\"reason\":\"bench\"}', '198.51.100.1' \
                FROM generate_series(1, $1) AS i";
            let mids = "INSERT INTO mids (title, provider, enabled, accept_visa, monthly_cap_minor, created_at, updated_at) \
                SELECT 'Store ' || i, 'test', i % 7 <> 0, TRUE, i * 1000, now(), now() FROM generate_series(1, $1) AS i";
            let users = "INSERT INTO users (email, name, password_hash, role_id, active, created_at, updated_at) \
                SELECT 'user' || i || '@example.com', 'User ' || i, $2, 4, TRUE, now(), now() FROM generate_series(1, $1) AS i";
            sqlx::query(events)
                .bind(EVENTS)
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(mids).bind(MIDS).execute(pool).await.unwrap();
            sqlx::query(users)
                .bind(USERS)
                .bind(&hash)
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
    }
}

struct Stats {
    median: Duration,
    p95: Duration,
    /// The same bytes from a bare actix-web handler, in the same run.
    bare: Duration,
}

async fn measure(app: &TestApp, path: &str) -> Stats {
    let (median, p95, body) = time_gets(&app.client, &app.url(path), ROUNDS, 0).await;
    let bare_url = bare_page(body).await;
    let (bare, _, _) = time_gets(&helpers::new_client(), &bare_url, ROUNDS, 0).await;
    Stats { median, p95, bare }
}

const PAGES: &[&str] = &[
    "/admin/events",
    // Deep in the log: the keyset cursor of an event about 15,000 rows of its kind back.
    "/admin/events?kind=login.failed&before=55000",
    "/admin/events?from=2026-02-01&until=2026-02-03",
    "/admin/users?q=user19",
    "/mids",
    "/mids?q=store+12&sort=cap&dir=desc&enabled=yes",
    "/recycle-billing/new",
];

async fn run(backend: Backend) -> Option<Vec<Stats>> {
    let app = spawn_app(backend).await?;
    app.create_user("bench@example.com", "Bench Admin", "admin")
        .await;
    let started = Instant::now();
    generate(&app).await;
    println!(
        "{backend:?}: generated {EVENTS} events, {MIDS} MIDs, {USERS} users in {:.1?}",
        started.elapsed()
    );
    app.login("bench@example.com", PASSWORD).await;
    let mut stats = Vec::new();
    for page in PAGES {
        stats.push(measure(&app, page).await);
    }
    let started = Instant::now();
    for _ in 0..10 {
        app.login_with(&helpers::new_client(), "bench@example.com", PASSWORD)
            .await;
    }
    // The baseline for a sign-in is a bare handler's answer of the same size: the redirect.
    let bare_url = bare_page(Bytes::new()).await;
    let (bare, _, _) = time_gets(&helpers::new_client(), &bare_url, ROUNDS, 0).await;
    stats.push(Stats {
        median: started.elapsed() / 10,
        p95: started.elapsed() / 10,
        bare,
    });
    Some(stats)
}

/// The process's peak resident memory in kB, from `/proc/self/status`.
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    // Memory baseline: the process with a bare handler served and measured, before any portal.
    let bare_url = bare_page(Bytes::from_static(b"<!doctype html><p>bare</p>")).await;
    time_gets(&helpers::new_client(), &bare_url, ROUNDS, 0).await;
    let bare_peak = peak_kb();
    let sqlite = run(Backend::Sqlite).await.expect("SQLite run");
    let postgres = run(Backend::Postgres).await;
    println!(
        "\nmedian and p95 in ms; x bare = median / median of a bare actix-web handler serving the same bytes"
    );
    println!(
        "{:<52} {:>16} {:>9} {:>16} {:>9}",
        "request", "SQLite", "x bare", "PostgreSQL", "x bare"
    );
    let names: Vec<String> = PAGES
        .iter()
        .map(|p| format!("GET {p}"))
        .chain(["sign-in (argon2id, whole request)".to_owned()])
        .collect();
    for (i, name) in names.iter().enumerate() {
        let columns = |s: &Stats| {
            (
                format!("{:>7.2} / {:>6.2}", ms(s.median), ms(s.p95)),
                format!("{:>8.1}x", ms(s.median) / ms(s.bare)),
            )
        };
        let (lite, lite_ratio) = columns(&sqlite[i]);
        let (pg, pg_ratio) = postgres
            .as_ref()
            .map_or(("not run".to_owned(), "-".to_owned()), |p| columns(&p[i]));
        println!("{name:<52} {lite:>16} {lite_ratio:>9} {pg:>16} {pg_ratio:>9}");
    }
    if let (Some(bare), Some(peak)) = (bare_peak, peak_kb()) {
        println!(
            "\npeak memory (server, client and data generation together): {peak} kB, {:.1}x the {bare} kB of the process serving only the bare handler",
            peak as f64 / bare as f64
        );
    }
}
