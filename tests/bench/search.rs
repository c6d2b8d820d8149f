//! Benchmark: customer search and the customer profile (issue #11, R-CS-8) on a database made
//! by `recoup generate` (100,000 customers with 1,000,000 orders by default), on SQLite and
//! PostgreSQL in one run. Each search filter and the profile of a customer with 200 orders is
//! timed as p50 and p95 and read as a ratio to a bare actix-web handler serving the same bytes
//! in the same run; the query plan of each search is printed once, so a plan that scans the
//! orders table shows. Run with `cargo bench --bench search`; `RECOUP_BENCH_CUSTOMERS` makes a
//! smaller database for a quick look. Nothing here asserts a time: it measures and prints.

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

use common::{bare_page, ms, time_gets};
use helpers::{Backend, PASSWORD, TestApp, spawn_app};
use recoup::db::Db;
use recoup::domain::customer::{SearchDraft, SearchFilters};
use recoup::domain::event::Actor;
use recoup::domain::page::KeysetRequest;
use recoup::services::generate::GeneratePlan;

const ROUNDS: usize = 200;
const ORDERS_PER_CUSTOMER: u32 = 10;
/// The profile measured belongs to a customer with this many orders.
const HEAVY_ORDERS: i64 = 200;

struct Stats {
    name: String,
    p50: Duration,
    p95: Duration,
    /// The same bytes from a bare actix-web handler, in the same run.
    bare: Duration,
}

async fn text(db: &Db, sql: &str) -> String {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// The generated database, and a customer with `HEAVY_ORDERS` orders (copies of their first).
async fn fill(app: &TestApp, customers: u64) -> i64 {
    let started = Instant::now();
    let plan = GeneratePlan {
        customers,
        orders_per_customer: ORDERS_PER_CUSTOMER,
        seed: 11,
        campaigns: None,
    };
    let report = app
        .services
        .generate(&Actor::system("bench"), &plan, |_| {})
        .await
        .unwrap();
    println!(
        "generated {} customers and {} orders in {:.1?}",
        report.count("customers"),
        report.count("orders"),
        started.elapsed()
    );
    let heavy: i64 = text(&app.db, "SELECT CAST(MIN(customer_id) AS TEXT) FROM orders")
        .await
        .parse()
        .unwrap();
    let copies = HEAVY_ORDERS - i64::from(ORDERS_PER_CUSTOMER);
    for _ in 0..copies {
        execute(
            &app.db,
            &format!(
                "INSERT INTO orders (customer_id, campaign_id, parent_order_id, payment_method_id, mid_id, kind, status, \
                 currency, total_minor, ip_address, created_at, updated_at) \
                 SELECT customer_id, campaign_id, NULL, payment_method_id, mid_id, kind, status, currency, total_minor, \
                 ip_address, created_at, updated_at FROM orders WHERE id = (SELECT MIN(id) FROM orders WHERE customer_id = {heavy})"
            ),
        )
        .await;
    }
    execute(&app.db, "ANALYZE").await;
    heavy
}

/// Each filter of the search as the page's URL holds it, with values taken from the data.
async fn searches(app: &TestApp, heavy: i64) -> Vec<(String, SearchDraft)> {
    let db = &app.db;
    let email = text(
        db,
        &format!("SELECT email FROM customers WHERE id = {heavy}"),
    )
    .await;
    let phone = text(
        db,
        "SELECT phone FROM customers WHERE phone <> '' ORDER BY id DESC LIMIT 1",
    )
    .await;
    let last4 = text(
        db,
        "SELECT last4 FROM payment_methods ORDER BY id DESC LIMIT 1",
    )
    .await;
    let last_name = text(db, "SELECT last_name FROM customers ORDER BY id LIMIT 1").await;
    let prefix: String = last_name.chars().take(3).collect();
    let order = text(db, "SELECT CAST(MAX(id) / 2 AS TEXT) FROM orders").await;
    let today = app.clock_now().date_naive();
    let from = (today - chrono::Duration::days(30)).to_string();
    vec![
        (
            "email".to_owned(),
            SearchDraft {
                email,
                ..SearchDraft::default()
            },
        ),
        (
            "phone".to_owned(),
            SearchDraft {
                phone,
                ..SearchDraft::default()
            },
        ),
        (
            "last 4 with a 30-day range".to_owned(),
            SearchDraft {
                last4,
                from,
                to: today.to_string(),
                ..SearchDraft::default()
            },
        ),
        (
            format!("last name prefix \"{prefix}\""),
            SearchDraft {
                last_name: prefix,
                ..SearchDraft::default()
            },
        ),
        (
            "order id".to_owned(),
            SearchDraft {
                order_id: order,
                ..SearchDraft::default()
            },
        ),
    ]
}

/// The plan of `filters`' search, as the database explains it.
async fn plan(app: &TestApp, filters: &SearchFilters) -> Vec<String> {
    recoup::db::customers::explain_search(
        &app.db,
        filters,
        KeysetRequest {
            after: None,
            size: 25,
        },
    )
    .await
    .unwrap()
}

async fn measure(app: &TestApp, name: String, path: &str) -> Stats {
    let (p50, p95, body) = time_gets(&app.client, &app.url(path), ROUNDS, ROUNDS / 10).await;
    let bare_url = bare_page(body).await;
    let (bare, _, _) = time_gets(&helpers::new_client(), &bare_url, ROUNDS, ROUNDS / 10).await;
    Stats {
        name,
        p50,
        p95,
        bare,
    }
}

async fn run(backend: Backend, customers: u64) -> Option<Vec<Stats>> {
    let app = spawn_app(backend).await?;
    println!("\n== {backend:?} ==");
    let heavy = fill(&app, customers).await;
    app.create_user("agent@example.com", "Bench Agent", "cs_agent")
        .await;
    app.login("agent@example.com", PASSWORD).await;
    let mut stats = Vec::new();
    for (name, draft) in searches(&app, heavy).await {
        let filters = SearchFilters::parse(&draft).expect("valid filters");
        println!("plan of the {name} search:");
        for line in plan(&app, &filters).await {
            println!("    {line}");
        }
        let query = serde_urlencoded::to_string(&draft).unwrap();
        stats.push(
            measure(
                &app,
                format!("search by {name}"),
                &format!("/customers?{query}"),
            )
            .await,
        );
    }
    stats.push(
        measure(
            &app,
            format!("profile of a customer with {HEAVY_ORDERS} orders"),
            &format!("/customers/{heavy}"),
        )
        .await,
    );
    Some(stats)
}

#[tokio::main]
async fn main() {
    let customers = std::env::var("RECOUP_BENCH_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let sqlite = run(Backend::Sqlite, customers).await.expect("SQLite run");
    let postgres = run(Backend::Postgres, customers).await;
    println!(
        "\n{customers} customers x {ORDERS_PER_CUSTOMER} orders; p50 / p95 in ms; x bare = p50 / p50 of a bare actix-web handler serving the same bytes"
    );
    println!(
        "{:<52} {:>16} {:>9} {:>16} {:>9}",
        "request", "SQLite", "x bare", "PostgreSQL", "x bare"
    );
    for (i, s) in sqlite.iter().enumerate() {
        let columns = |s: &Stats| {
            (
                format!("{:>7.2} / {:>6.2}", ms(s.p50), ms(s.p95)),
                format!("{:>8.1}x", ms(s.p50) / ms(s.bare)),
            )
        };
        let (lite, lite_ratio) = columns(s);
        let (pg, pg_ratio) = postgres
            .as_ref()
            .map_or(("not run".to_owned(), "-".to_owned()), |p| columns(&p[i]));
        println!(
            "{:<52} {lite:>16} {lite_ratio:>9} {pg:>16} {pg_ratio:>9}",
            s.name
        );
    }
}
