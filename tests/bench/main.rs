//! Benchmarks: page latency on a generated data set, on SQLite and PostgreSQL in one run, so the
//! numbers are read as ratios on whatever machine runs them. Run with `cargo bench --bench portal`
//! (PostgreSQL at `RECOUP_TEST_PG_URL` or 127.0.0.1:5432; without it only SQLite is measured).
//! Nothing here asserts a time: it measures and prints.

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

use std::time::{Duration, Instant};

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
}

async fn measure(app: &TestApp, path: &str) -> Stats {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    Stats {
        median: times[ROUNDS / 2],
        p95: times[ROUNDS * 95 / 100],
    }
}

const PAGES: &[&str] = &[
    "/admin/events",
    "/admin/events?kind=login.failed&page=300",
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
    stats.push(Stats {
        median: started.elapsed() / 10,
        p95: started.elapsed() / 10,
    });
    Some(stats)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let sqlite = run(Backend::Sqlite).await.expect("SQLite run");
    let postgres = run(Backend::Postgres).await;
    println!(
        "\n{:<52} {:>16} {:>16} {:>10}",
        "request (median / p95 ms)", "SQLite", "PostgreSQL", "PG/SQLite"
    );
    let names: Vec<String> = PAGES
        .iter()
        .map(|p| format!("GET {p}"))
        .chain(["sign-in (argon2id, whole request)".to_owned()])
        .collect();
    for (i, name) in names.iter().enumerate() {
        let s = &sqlite[i];
        let (pg, ratio) = match &postgres {
            Some(p) => (
                format!("{:>7.2} / {:>6.2}", ms(p[i].median), ms(p[i].p95)),
                format!("{:>9.2}x", ms(p[i].median) / ms(s.median)),
            ),
            None => ("not run".to_owned(), "-".to_owned()),
        };
        println!(
            "{name:<52} {:>7.2} / {:>6.2} {pg:>16} {ratio:>10}",
            ms(s.median),
            ms(s.p95)
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: unknown");
    println!(
        "\npeak memory of this process (server and client together): {}",
        peak.trim_start_matches("VmHWM:").trim()
    );
}
