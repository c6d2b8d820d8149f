//! `recoup generate` and the demo data: the same seed makes the same rows, the counts are what
//! was asked for, no card number is stored, every generated approved sale can be refunded
//! through the test gateway, every subscription and fulfillment status appears, the portal
//! keeps working on the generated ids, and `serve --demo` gets a store with history.

use std::sync::Arc;

use recoup::db::Db;
use recoup::domain::decline::{GatewayResponse, classify};
use recoup::domain::event::Actor;
use recoup::domain::ids::MidId;
use recoup::domain::money::{Currency, MinorUnits, Money};
use recoup::domain::order::{FulfillmentStatus, OrderStatus, SubscriptionStatus};
use recoup::domain::provider::Provider;
use recoup::domain::test_gateway::Scenario;
use recoup::gateway::{Gateways, RefundRequest};
use recoup::services::generate::{GENERATED_STORE, GeneratePlan, GenerateReport};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::orders::{every_stored_value, sale, shop};

/// Every number of the test card table (SPEC 4.6).
const TEST_CARDS: [&str; 16] = [
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4000056655665556",
    "5200828282828210",
    "5105105105105100",
    "4000000000000002",
    "4000000000009995",
    "4000000000000341",
    "4000000000009979",
    "4000000000000069",
    "4000000000000119",
    "5200000000000007",
    "4000000000005126",
    "4000000000007726",
];

fn actor() -> Actor {
    Actor::system("test")
}

fn plan(customers: u64, orders_per_customer: u32, seed: u64) -> GeneratePlan {
    GeneratePlan {
        customers,
        orders_per_customer,
        seed,
        campaigns: None,
    }
}

async fn generate(app: &TestApp, plan: &GeneratePlan) -> GenerateReport {
    app.services.generate(&actor(), plan, |_| {}).await.unwrap()
}

fn backend(app: &TestApp) -> Backend {
    match app.db {
        Db::Sqlite(_) => Backend::Sqlite,
        Db::Postgres(_) => Backend::Postgres,
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// One text per row of `sql`, which selects a single text column.
async fn texts(db: &Db, sql: &str) -> Vec<String> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    }
}

/// Sample rows of every generated table, as text.
const SAMPLES: [&str; 7] = [
    "SELECT first_name || '|' || last_name || '|' || email || '|' || phone || '|' || CAST(created_at AS TEXT) FROM customers ORDER BY id",
    "SELECT token || '|' || brand || '|' || card_type || '|' || first6 || '|' || last4 || '|' || fingerprint FROM payment_methods ORDER BY id",
    "SELECT CAST(id AS TEXT) || '|' || kind || '|' || status || '|' || CAST(total_minor AS TEXT) || '|' || COALESCE(CAST(parent_order_id AS TEXT), '-') || '|' || CAST(created_at AS TEXT) FROM orders ORDER BY id",
    "SELECT CAST(order_id AS TEXT) || '|' || body FROM order_notes ORDER BY id",
    "SELECT idempotency_key || '|' || gateway_reference || '|' || result || '|' || response_code FROM transactions ORDER BY id",
    "SELECT status || '|' || COALESCE(CAST(next_bill_at AS TEXT), '-') FROM subscriptions ORDER BY id",
    "SELECT status || '|' || COALESCE(tracking_number, '-') FROM fulfillments ORDER BY id",
];

async fn samples(db: &Db) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for sql in SAMPLES {
        all.push(texts(db, sql).await);
    }
    all
}

both_backends! {
    /// Two empty databases and the same seed: the same rows, table by table; another seed
    /// makes other customers.
    async fn the_same_seed_makes_the_same_rows(app) {
        let other = spawn_app(backend(&app)).await.unwrap();
        let first = generate(&app, &plan(30, 4, 42)).await;
        let second = generate(&other, &plan(30, 4, 42)).await;
        assert_eq!(first.tables, second.tables);
        let (a, b) = (samples(&app.db).await, samples(&other.db).await);
        assert!(a.iter().all(|rows| !rows.is_empty()), "{a:?}");
        assert_eq!(a, b);

        let third = spawn_app(backend(&app)).await.unwrap();
        generate(&third, &plan(30, 4, 43)).await;
        assert_ne!(samples(&third.db).await[0], a[0], "another seed, other customers");
    }
}

both_backends! {
    /// N customers and N x M orders over the last 90 days; each card a token of the test
    /// gateway's vault, each charge recorded by the gateway under the transaction's key and
    /// reference, classified as `classify()` says with no mappings; approved sales settle 24
    /// hours later; and no card number anywhere.
    async fn counts_match_the_plan_and_every_row_hangs_together(app) {
        let report = generate(&app, &plan(40, 5, 7)).await;
        assert!(report.created_store);
        let db = &app.db;
        assert_eq!(count(db, "SELECT COUNT(*) FROM customers").await, 40);
        assert_eq!(count(db, "SELECT COUNT(*) FROM orders").await, 200);
        assert_eq!(report.count("orders"), 200);
        assert_eq!(count(db, "SELECT COUNT(*) FROM customer_addresses").await, 80);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM payment_methods p JOIN test_gateway_tokens t ON t.token = p.token").await,
            count(db, "SELECT COUNT(*) FROM test_gateway_tokens").await,
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_notes n WHERE n.order_id = o.id)").await, 0, "every order has its routing notes");
        assert_eq!(count(db, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)").await, 0);
        // Each token's charge count is what the gateway recorded for it.
        assert_eq!(count(db, "SELECT COUNT(*) FROM test_gateway_tokens t WHERE t.charges <> (SELECT COUNT(*) FROM test_gateway_requests r WHERE r.token = t.token)").await, 0);
        // Each charge is the gateway's request with the same key and reference.
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM transactions t JOIN test_gateway_requests r ON r.idempotency_key = t.idempotency_key AND r.reference = t.gateway_reference AND r.operation = 'sale' AND r.result = t.result AND r.amount_minor = t.amount_minor").await,
            count(db, "SELECT COUNT(*) FROM transactions").await,
        );
        let kinds = texts(db, "SELECT DISTINCT kind FROM orders ORDER BY kind").await;
        assert_eq!(kinds, ["new_sale", "recurring", "upsale"]);
        let declines = texts(db, "SELECT t.response_code || '|' || t.response_text || '|' || COALESCE(r.advice_code, '') || '|' || t.decline_class FROM transactions t JOIN test_gateway_requests r ON r.idempotency_key = t.idempotency_key WHERE t.result <> 'approved'").await;
        assert!(!declines.is_empty());
        for row in &declines {
            let parts: Vec<&str> = row.split('|').collect();
            let response = GatewayResponse {
                provider: Some(Provider::Test),
                code: parts[0],
                text: parts[1],
                advice_code: Some(parts[2]).filter(|a| !a.is_empty()),
            };
            assert_eq!(classify(&[], &response).key(), parts[3], "{row}");
        }
        assert!(declines.iter().any(|d| d.ends_with("|soft")) && declines.iter().any(|d| d.ends_with("|hard")));

        let now = app.clock_now();
        let orders = texts(db, "SELECT CAST(id AS TEXT) FROM orders WHERE status = 'complete' ORDER BY id LIMIT 20").await;
        for id in orders {
            let details = app.services.orders.details(recoup::domain::ids::OrderId(id.parse().unwrap())).await.unwrap();
            assert_eq!(details.order.status, OrderStatus::Complete);
            let created = details.order.created_at;
            assert!(created <= now && created >= now - chrono::Duration::days(90), "{created}");
            let approved = details.transactions.iter().find(|t| t.settled_at.is_some()).unwrap();
            assert_eq!(approved.settled_at, Some(approved.created_at + chrono::Duration::hours(24)));
            assert!(!details.notes.is_empty());
        }

        let stored = every_stored_value(db).await;
        assert!(stored.iter().any(|v| v.starts_with("tok_")));
        for value in &stored {
            for card in TEST_CARDS {
                assert!(!value.contains(card), "a card number is stored: {value}");
            }
        }
        if let Db::Sqlite(pool) = db {
            let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check").fetch_all(pool).await.unwrap();
            assert!(broken.is_empty(), "every reference holds: {broken:?}");
        }
    }
}

both_backends! {
    /// Every approved generated sale is a sale the test gateway knows: refunding it by its
    /// reference answers as the card table says (approved for an ordinary card).
    async fn every_approved_generated_sale_refunds_through_the_test_gateway(app) {
        generate(&app, &plan(25, 3, 11)).await;
        let gateways = Gateways::new(app.db.clone(), Arc::new(app.clock.clone()));
        let sales = texts(&app.db, "SELECT CAST(t.id AS TEXT) || '|' || CAST(t.mid_id AS TEXT) || '|' || CAST(t.amount_minor AS TEXT) || '|' || t.gateway_reference || '|' || k.scenario || '|' || k.token \
             FROM transactions t JOIN test_gateway_requests r ON r.reference = t.gateway_reference \
             JOIN test_gateway_tokens k ON k.token = r.token WHERE t.result = 'approved' ORDER BY t.id").await;
        assert!(sales.len() > 20, "{}", sales.len());
        let mut ordinary = 0;
        let mut refunds: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for sale in &sales {
            let parts: Vec<&str> = sale.split('|').collect();
            let mid = app.services.mids.find(MidId(parts[1].parse().unwrap())).await.unwrap();
            let gateway = gateways.for_mid(&mid).unwrap();
            let amount = Money::new(MinorUnits::from_minor(parts[2].parse().unwrap()), Currency::Usd);
            let key = format!("refund-{}", parts[0]);
            let reply = gateway.refund(RefundRequest { mid: &mid, key: &key, amount, reference: parts[3] }).await.unwrap();
            let scenario = Scenario::from_key(parts[4]).unwrap();
            let earlier = refunds.entry(parts[5].to_owned()).or_default();
            let expected = scenario.refund(*earlier);
            *earlier += 1;
            assert_eq!((reply.result, reply.code.as_str()), (expected.result, expected.code), "{sale}");
            if scenario == Scenario::Approve {
                assert!(reply.approved(), "{sale}: {reply:?}");
                ordinary += 1;
            }
        }
        assert!(ordinary > 0);
    }
}

both_backends! {
    /// Every subscription status and every fulfillment status appears, even in a small run.
    async fn subscriptions_and_fulfillments_take_every_status(app) {
        let report = generate(&app, &plan(12, 2, 5)).await;
        let statuses = texts(&app.db, "SELECT DISTINCT status FROM subscriptions ORDER BY status").await;
        let mut all: Vec<&str> = SubscriptionStatus::all().map(|s| s.key()).collect();
        all.sort_unstable();
        assert_eq!(statuses, all);
        let statuses = texts(&app.db, "SELECT DISTINCT status FROM fulfillments ORDER BY status").await;
        let mut all: Vec<&str> = FulfillmentStatus::all().map(|s| s.key()).collect();
        all.sort_unstable();
        assert_eq!(statuses, all);
        assert_eq!(report.count("subscriptions") as i64, count(&app.db, "SELECT COUNT(*) FROM subscriptions").await);
        let paused = count(&app.db, "SELECT COUNT(*) FROM subscriptions WHERE status = 'paused' AND paused_until IS NULL").await;
        assert_eq!(paused, 0, "a paused subscription says until when");
        let cancelled = count(&app.db, "SELECT COUNT(*) FROM subscriptions WHERE status = 'cancelled' AND cancel_reason IS NULL").await;
        assert_eq!(cancelled, 0);
    }
}

both_backends! {
    /// Generation reuses a campaign that can sell (creating the Generated Store only when
    /// none can), takes ids after the ones present, and leaves the portal able to write: a
    /// sale placed afterwards gets fresh ids.
    async fn a_second_run_continues_the_ids_and_the_portal_keeps_working(app) {
        let shop = shop(&app, 0).await;
        let first = generate(&app, &plan(10, 3, 1)).await;
        assert!(!first.created_store, "the shop's campaign sells");
        assert_eq!(first.campaigns, [shop.campaign]);
        let again = generate(&app, &plan(10, 3, 1)).await;
        assert_eq!(first.tables, again.tables);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM orders").await, 60);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM campaigns").await, 1);
        let placed = app.services.orders.place(&actor(), &sale(&shop, "4111111111111111", &[(shop.one_off, 1)]), None).await.unwrap();
        assert_eq!(placed.0, 61);
        let details = app.services.orders.details(placed).await.unwrap();
        assert_eq!(details.order.status, OrderStatus::Complete);
        assert_eq!(details.customer.id.0, 21);
    }
}

both_backends! {
    /// With no campaign able to sell (its only MID disabled) the Generated Store is made
    /// through the services, on a test MID of its own; naming a campaign that cannot sell is
    /// refused instead.
    async fn the_generated_store_is_created_when_no_campaign_can_sell(app) {
        let shop = shop(&app, 0).await;
        app.services.mids.set_enabled(&actor(), shop.main, false).await.unwrap();
        let only = GeneratePlan { campaigns: Some(vec![shop.campaign]), ..plan(5, 1, 1) };
        let refused = app.services.generate(&actor(), &only, |_| {}).await;
        assert!(matches!(refused, Err(recoup::services::generate::GenerateError::NoCampaign)), "{refused:?}");
        let report = generate(&app, &plan(5, 2, 1)).await;
        assert!(report.created_store);
        let names = texts(&app.db, "SELECT name FROM campaigns ORDER BY id").await;
        assert_eq!(names, ["Store", GENERATED_STORE]);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM orders WHERE campaign_id = 1").await, 0);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'campaign.created'").await, 2);
        let bad = app.services.generate(&actor(), &plan(0, 0, 1), |_| {}).await;
        let Err(recoup::services::generate::GenerateError::Invalid(errors)) = bad else { panic!("{bad:?}") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["customers", "orders-per-customer"]);
    }
}

both_backends! {
    /// `serve --demo`: a Demo Store on the main test MID (whose soft declines cascade), about
    /// 200 customers, approved and declined orders, real routing notes, every subscription
    /// status, and an API key that works. A second load adds nothing.
    async fn the_demo_has_a_store_with_history_and_an_api_key(app) {
        let started = std::time::Instant::now();
        let demo = app.services.load_demo().await.unwrap();
        eprintln!("demo data loaded in {:?}", started.elapsed());
        assert_eq!(demo.logins.len(), 4);
        let store = demo.store.unwrap();
        let campaign = app.services.catalogue.find_campaign(store.campaign).await.unwrap();
        assert_eq!(campaign.name, "Demo Store");
        assert_eq!(campaign.products.len(), 2);
        let customers = count(&app.db, "SELECT COUNT(*) FROM customers").await;
        assert!((200..=220).contains(&customers), "{customers}");
        assert_eq!(store.customers, customers as u64);
        for status in ["complete", "declined"] {
            let n = count(&app.db, &format!("SELECT COUNT(*) FROM orders WHERE status = '{status}'")).await;
            assert!(n > 10, "{status}: {n}");
        }
        let statuses = texts(&app.db, "SELECT DISTINCT status FROM subscriptions").await;
        assert_eq!(statuses.len(), 6, "{statuses:?}");
        let notes = texts(&app.db, "SELECT body FROM order_notes").await;
        for expected in [
            "Soft decline cascaded to Backup Store (test) (cascade profile Soft-decline cascade).",
            "Cascade to FlexFactor Cascade skipped: no ip address.",
            "Not cascaded: a hard decline is never retried.",
            "Main Store (test) passed over: the MID does not accept Amex.",
        ] {
            assert!(notes.iter().any(|n| n == expected), "{expected}");
        }
        let holder = app.services.api_keys.authenticate(&store.api_key.key).await.unwrap();
        assert_eq!(holder.unwrap().name, "Demo checkout");
        let oldest = texts(&app.db, "SELECT CAST(MIN(created_at) AS TEXT) FROM orders").await;
        assert!(!oldest.is_empty());

        let again = app.services.load_demo().await.unwrap();
        assert!(again.logins.is_empty() && again.store.is_none());
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM customers").await, customers);
    }
}

fn recoup_on(db: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_recoup"));
    cmd.env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RECOUP_SESSION_KEY", "ab".repeat(64))
        .env("RECOUP_SECRET_KEY", "cd".repeat(32))
        .env("RUST_LOG", "warn");
    cmd
}

/// `recoup generate` fills the configured database and prints a summary per table; bad
/// numbers are refused naming the flag.
#[test]
fn the_generate_command_prints_a_summary() {
    let mut buf = [0u8; 6];
    getrandom::fill(&mut buf).unwrap();
    let db = std::env::temp_dir().join(format!("recoup-generate-{}.db", hex::encode(buf)));
    let out = recoup_on(&db)
        .args([
            "generate",
            "--customers",
            "20",
            "--orders-per-customer",
            "2",
            "--seed",
            "3",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Created the \"Generated Store\""),
        "{stdout}"
    );
    assert!(stdout.contains("rows/s"), "{stdout}");
    let line = |table: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_owned)
    };
    assert_eq!(line("customers").as_deref(), Some("20"), "{stdout}");
    assert_eq!(line("orders").as_deref(), Some("40"), "{stdout}");

    let bad = recoup_on(&db)
        .args(["generate", "--customers", "0", "--orders-per-customer", "2"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--customers:"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
