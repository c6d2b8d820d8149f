//! Benchmark: `POST /api/v1/orders` throughput and p99 against the test gateway at 16
//! concurrent clients, on SQLite and PostgreSQL in one run, each read as a ratio to a bare
//! actix-web handler answering a fixed JSON body of the same size in the same run. Run with
//! `cargo bench --bench orders`. Nothing here asserts a time: it measures and prints.

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

#[allow(
    dead_code,
    reason = "this bench times POSTs: the GET timer is not used"
)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use common::{bare_server, ms};
use helpers::{Backend, TestApp, new_client, spawn_app};
use recoup::domain::catalogue::{CampaignDraft, ProductDraft, SalesRoute};
use recoup::domain::event::Actor;
use recoup::domain::mid::{Accepts, MidDraft, SettlementDelay, SimulatedLatency};
use recoup::domain::money::{Currency, MinorUnits, Money};
use recoup::domain::provider::Provider;
use serde_json::{Value, json};

const CLIENTS: usize = 16;
/// Orders each client places; the first tenth of the run warms up and is not counted.
const PER_CLIENT: usize = 150;

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    approved: usize,
}

/// A campaign on one test MID with one product, and an API key.
async fn set_up(app: &TestApp) -> (i64, i64, String) {
    let actor = Actor::system("bench");
    let usd = |minor| Money::new(MinorUnits::from_minor(minor), Currency::Usd);
    let mid = MidDraft {
        title: "Bench MID".to_owned(),
        provider: Provider::Test,
        credentials: Vec::new(),
        cs_phone: String::new(),
        cs_email: String::new(),
        descriptor: String::new(),
        currency: Currency::Usd,
        monthly_cap: None,
        enabled: true,
        block_prepaid: false,
        block_debit: false,
        accepts: Accepts {
            echeck: false,
            visa: true,
            mastercard: true,
            amex: true,
            discover: true,
        },
        expiry_days: None,
        cascade_all: false,
        cascade_profile_id: None,
        settlement_delay: SettlementDelay::DEFAULT,
        latency: SimulatedLatency::NONE,
    };
    let mid = app.services.mids.create(&actor, &mid).await.unwrap();
    let product = ProductDraft {
        name: "Bench product".to_owned(),
        sku: "BENCH-1".to_owned(),
        price: usd(1999),
        trial: None,
        cycle_days: Some(30),
        options: Vec::new(),
        shippable: true,
    };
    let product = app
        .services
        .catalogue
        .create_product(&actor, &product)
        .await
        .unwrap();
    let campaign = CampaignDraft {
        name: "Bench store".to_owned(),
        currency: Currency::Usd,
        route: Some(SalesRoute::Mid(mid)),
        products: vec![product],
        recycling: true,
        notify: Vec::new(),
        welcome_subject: "Welcome, {first_name}".to_owned(),
        welcome_body: "Order {order_id}".to_owned(),
    };
    let campaign = app
        .services
        .catalogue
        .create_campaign(&actor, &campaign)
        .await
        .unwrap();
    let key = app
        .services
        .api_keys
        .create(&actor, "Bench")
        .await
        .unwrap()
        .key;
    (campaign.0, product.0, key)
}

fn order(campaign: i64, product: i64, n: usize) -> Value {
    json!({
        "campaign_id": campaign,
        "customer": {"first_name": "Bench", "last_name": format!("Buyer {n}"), "email": format!("buyer{n}@example.com")},
        "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2031, "cvv": "123"},
        "items": [{"product_id": product, "quantity": 1}],
        "ip_address": "203.0.113.7"
    })
}

/// `CLIENTS` clients each posting `PER_CLIENT` requests made by `body` to `url` (with `key`
/// when given); throughput and latency over all but the warm-up, and the last answer.
async fn hammer(
    url: String,
    key: Option<String>,
    body: Arc<dyn Fn(usize) -> Value + Send + Sync>,
) -> (Run, Bytes) {
    let warm_up = PER_CLIENT / 10;
    let mut tasks = Vec::new();
    for client_no in 0..CLIENTS {
        let (url, key, body) = (url.clone(), key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let client = new_client();
            let mut times = Vec::new();
            let mut approved = 0;
            let mut last = Bytes::new();
            let mut counted_from = None;
            for i in 0..PER_CLIENT {
                if i == warm_up {
                    counted_from = Some(Instant::now());
                }
                let mut request = client.post(&url).json(&body(client_no * PER_CLIENT + i));
                if let Some(key) = &key {
                    request = request.bearer_auth(key);
                }
                let sent = Instant::now();
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                last = response.bytes().await.unwrap();
                assert!(status == 201 || status == 200, "{status}: {last:?}");
                if i >= warm_up {
                    times.push(sent.elapsed());
                    approved +=
                        usize::from(last.windows(19).any(|w| w == b"\"status\":\"complete\""));
                }
            }
            (times, approved, last, counted_from.unwrap(), Instant::now())
        }));
    }
    let mut times = Vec::new();
    let mut approved = 0;
    let mut last = Bytes::new();
    let (mut first_start, mut last_end) = (None::<Instant>, None::<Instant>);
    for task in tasks {
        let (t, a, body, from, to) = task.await.unwrap();
        times.extend(t);
        approved += a;
        last = body;
        first_start = Some(first_start.map_or(from, |s: Instant| s.min(from)));
        last_end = Some(last_end.map_or(to, |e: Instant| e.max(to)));
    }
    let elapsed = last_end.unwrap() - first_start.unwrap();
    times.sort();
    let run = Run {
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: times[times.len() / 2],
        p99: times[times.len() * 99 / 100],
        approved,
    };
    (run, last)
}

async fn run(backend: Backend) -> Option<(Run, Run)> {
    let app = spawn_app(backend).await?;
    let (campaign, product, key) = set_up(&app).await;
    let body: Arc<dyn Fn(usize) -> Value + Send + Sync> =
        Arc::new(move |n| order(campaign, product, n));
    let (orders, last) = hammer(app.url("/api/v1/orders"), Some(key), body.clone()).await;
    let bare_url = bare_server(
        actix_web::http::StatusCode::CREATED,
        "application/json",
        last,
    )
    .await;
    let (bare, _) = hammer(bare_url, None, body).await;
    Some((orders, bare))
}

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
    let mut rows = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        match run(backend).await {
            Some(result) => rows.push((backend, result)),
            None => println!("{backend:?}: not run (no database)"),
        }
    }
    println!(
        "\nPOST /api/v1/orders, {CLIENTS} concurrent clients, {} counted requests each backend; x bare = bare handler's orders/s / portal's (lower is better)",
        CLIENTS * (PER_CLIENT - PER_CLIENT / 10)
    );
    println!(
        "{:<12} {:>10} {:>9} {:>9} {:>10} {:>12} {:>9}",
        "backend", "orders/s", "p50 ms", "p99 ms", "approved", "bare req/s", "x bare"
    );
    for (backend, (orders, bare)) in &rows {
        println!(
            "{:<12} {:>10.0} {:>9.2} {:>9.2} {:>10} {:>12.0} {:>8.1}x",
            format!("{backend:?}"),
            orders.per_second,
            ms(orders.p50),
            ms(orders.p99),
            orders.approved,
            bare.per_second,
            bare.per_second / orders.per_second
        );
    }
    if let Some(peak) = peak_kb() {
        println!("\npeak memory of the whole run (server, clients, both databases): {peak} kB");
    }
}
