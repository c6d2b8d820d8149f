//! New sales, upsales and the test gateway at the service level (SPEC 4.6, 4.8, R-EN-1,
//! R-MID-2/3 at sale time), each test named after its rule and run on both databases.

use std::sync::Arc;

use recoup::clock::Clock;
use recoup::db::Db;
use recoup::domain::catalogue::{CampaignDraft, ProductDraft, ProductOption, SalesRoute, Trial};
use recoup::domain::event::Actor;
use recoup::domain::ids::{CampaignId, MidId, OrderId, ProductId, ProfileId};
use recoup::domain::mid::{Accepts, MidDraft, SettlementDelay, SimulatedLatency};
use recoup::domain::money::{Currency, MinorUnits, Money};
use recoup::domain::order::{
    CardDraft, CustomerDraft, ItemDraft, OrderKind, OrderStatus, SaleDraft, SubscriptionStatus,
};
use recoup::domain::payment::TransactionResult;
use recoup::domain::provider::Provider;
use recoup::domain::routing::{ProfileDraft, ProfileKind};
use recoup::services::orders::SaleError;

use crate::both_backends;
use crate::helpers::TestApp;

pub fn usd(minor: i64) -> Money {
    Money::new(MinorUnits::from_minor(minor), Currency::Usd)
}

pub fn actor() -> Actor {
    Actor::system("test")
}

pub fn mid_draft(title: &str) -> MidDraft {
    MidDraft {
        title: title.to_owned(),
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
    }
}

/// A shop: a main MID cascading to `backups` (in order), a one-off product (19.99, shippable)
/// and a recurring one (49.99 every 30 days after a 14-day trial at 1.99), on one campaign.
pub struct Shop {
    pub campaign: CampaignId,
    pub one_off: ProductId,
    pub recurring: ProductId,
    pub main: MidId,
    pub backups: Vec<MidId>,
    pub cascade: Option<ProfileId>,
}

pub async fn shop(app: &TestApp, backups: usize) -> Shop {
    let actor = actor();
    let mut backup_ids = Vec::new();
    for i in 1..=backups {
        let id = app
            .services
            .mids
            .create(&actor, &mid_draft(&format!("Backup {i}")))
            .await
            .unwrap();
        backup_ids.push(id);
    }
    let cascade = if backup_ids.is_empty() {
        None
    } else {
        let draft = ProfileDraft {
            name: "Cascade".to_owned(),
            kind: ProfileKind::Cascade,
            members: backup_ids
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, 1, i as i64 + 1))
                .collect(),
        };
        Some(app.services.routing.create(&actor, &draft).await.unwrap())
    };
    let main = app
        .services
        .mids
        .create(
            &actor,
            &MidDraft {
                cascade_profile_id: cascade,
                ..mid_draft("Main")
            },
        )
        .await
        .unwrap();
    let one_off = app
        .services
        .catalogue
        .create_product(
            &actor,
            &ProductDraft {
                name: "Starter kit".to_owned(),
                sku: "KIT-1".to_owned(),
                price: usd(1999),
                trial: None,
                cycle_days: None,
                options: vec![ProductOption {
                    name: "Large".to_owned(),
                    price: Some(usd(2499)),
                }],
                shippable: true,
            },
        )
        .await
        .unwrap();
    let recurring = app
        .services
        .catalogue
        .create_product(
            &actor,
            &ProductDraft {
                name: "Monthly refill".to_owned(),
                sku: "REFILL-30".to_owned(),
                price: usd(4999),
                trial: Some(Trial {
                    days: 14,
                    price: usd(199),
                }),
                cycle_days: Some(30),
                options: Vec::new(),
                shippable: false,
            },
        )
        .await
        .unwrap();
    let campaign = app
        .services
        .catalogue
        .create_campaign(
            &actor,
            &CampaignDraft {
                name: "Store".to_owned(),
                currency: Currency::Usd,
                route: Some(SalesRoute::Mid(main)),
                products: vec![one_off, recurring],
                recycling: true,
                notify: Vec::new(),
                welcome_subject: "Welcome, {first_name}".to_owned(),
                welcome_body: "Order {order_id}: {product}, {total}.".to_owned(),
            },
        )
        .await
        .unwrap();
    Shop {
        campaign,
        one_off,
        recurring,
        main,
        backups: backup_ids,
        cascade,
    }
}

pub fn sale(shop: &Shop, card: &str, items: &[(ProductId, i64)]) -> SaleDraft {
    SaleDraft {
        campaign_id: shop.campaign.0,
        customer: CustomerDraft {
            first_name: "Ada".to_owned(),
            last_name: "Lovelace".to_owned(),
            email: "ada@example.com".to_owned(),
            phone: "+1 555 010 7788".to_owned(),
            address: None,
        },
        card: CardDraft {
            number: card.to_owned(),
            exp_month: "12".to_owned(),
            exp_year: "2031".to_owned(),
            cvv: "123".to_owned(),
        },
        card_on_file: None,
        items: items
            .iter()
            .map(|(id, quantity)| ItemDraft {
                product_id: id.0,
                quantity: *quantity,
                option: None,
            })
            .collect(),
        ip_address: Some("203.0.113.7".to_owned()),
    }
}

/// One number read with raw SQL (counts in assertions).
pub async fn scalar(db: &Db, sql: &str) -> i64 {
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

/// Raw SQL for a test's setup (a state no page makes, such as a shipped fulfillment).
pub async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => drop(
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .unwrap(),
        ),
        Db::Postgres(pool) => drop(
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .unwrap(),
        ),
    }
}

/// Every text value stored anywhere in the database, one string per column per row.
pub async fn every_stored_value(db: &Db) -> Vec<String> {
    let columns: Vec<(String, String)> = match db {
        Db::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let mut values = Vec::new();
    for (table, column) in columns {
        let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"");
        let found: Vec<Option<String>> = match db {
            Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(pool)
                .await
                .unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(pool)
                .await
                .unwrap(),
        };
        values.extend(found.into_iter().flatten());
    }
    values
}

async fn place(app: &TestApp, draft: &SaleDraft) -> OrderId {
    app.services
        .orders
        .place(&actor(), draft, None)
        .await
        .unwrap()
}

both_backends! {
    /// R-TG-1 through a sale: approved and declined cards answer as the table says, with the
    /// response recorded on the transaction and classified soft or hard.
    async fn r_tg_1_sales_answer_by_the_card_table(app) {
        let shop = shop(&app, 0).await;
        for (card, result, code, class) in [
            ("4111111111111111", TransactionResult::Approved, "00", None),
            ("4000000000000002", TransactionResult::Declined, "05", Some("soft")),
            ("4000000000009979", TransactionResult::Declined, "43", Some("hard")),
            ("4000000000000069", TransactionResult::Declined, "54", Some("hard")),
            ("4000000000000119", TransactionResult::Error, "96", Some("soft")),
            ("5200000000000007", TransactionResult::Declined, "05", Some("hard")),
            ("4242424242424242", TransactionResult::Declined, "14", Some("hard")),
        ] {
            let id = place(&app, &sale(&shop, card, &[(shop.one_off, 1)])).await;
            let order = app.services.orders.details(id).await.unwrap();
            let t = &order.transactions[0];
            assert_eq!((t.result, t.response_code.as_str()), (result, code), "{card}");
            assert_eq!(t.decline_class.map(|c| c.key()), class, "{card}");
            let status = if result == TransactionResult::Approved { OrderStatus::Complete } else { OrderStatus::Declined };
            assert_eq!(order.order.status, status, "{card}");
        }
        // 4000000000009995: declined above 20.00, approved at or below.
        let over = place(&app, &sale(&shop, "4000000000009995", &[(shop.one_off, 2)])).await;
        let under = place(&app, &sale(&shop, "4000000000009995", &[(shop.one_off, 1)])).await;
        assert_eq!(app.services.orders.details(over).await.unwrap().order.status, OrderStatus::Declined);
        assert_eq!(app.services.orders.details(under).await.unwrap().order.status, OrderStatus::Complete);
        // A card that fails Luhn never reaches the gateway: the sale is refused as invalid.
        let before = scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await;
        let refused = app.services.orders.place(&actor(), &sale(&shop, "4111111111111112", &[(shop.one_off, 1)]), None).await;
        assert!(matches!(refused, Err(SaleError::Invalid(ref e)) if e.get("card.number").is_some()), "{refused:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await, before);
    }
}

both_backends! {
    /// R-TG-2: the portal keeps the token, brand, type, first 6, last 4, expiry and a
    /// fingerprint; the number and the CVV are nowhere in the database.
    async fn r_tg_2_card_number_and_cvv_are_never_stored(app) {
        let shop = shop(&app, 1).await;
        let mut draft = sale(&shop, "5105105105105100", &[(shop.one_off, 1), (shop.recurring, 1)]);
        draft.card.cvv = "9731".to_owned();
        let id = place(&app, &draft).await;
        let order = app.services.orders.details(id).await.unwrap();
        let card = order.payment_method.unwrap();
        assert_eq!((card.first6.as_str(), card.last4.as_str()), ("510510", "5100"));
        assert_eq!((card.brand.key(), card.card_type.key()), ("mastercard", "prepaid"));
        assert!(card.token.starts_with("tok_"));
        assert_eq!(card.fingerprint.as_str().len(), 64);
        let stored = every_stored_value(&app.db).await;
        assert!(stored.iter().any(|v| v.contains("tok_")), "the walk reads the vault");
        for value in &stored {
            assert!(!value.contains("5105105105105100") && !value.contains("9731"), "stored: {value}");
        }
        // The same card again is recognised by its fingerprint.
        let again = place(&app, &draft).await;
        let again = app.services.orders.details(again).await.unwrap().payment_method.unwrap();
        assert_eq!(again.fingerprint, card.fingerprint);
    }
}

both_backends! {
    /// R-TG-3: an approved sale settles at the MID's settlement delay after it.
    async fn r_tg_3_sales_settle_after_the_mids_delay(app) {
        let shop = shop(&app, 0).await;
        let id = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        let t = &order.transactions[0];
        let now = app.clock.now();
        assert_eq!(t.settled_at, Some(now + chrono::Duration::hours(24)));
        assert!(!t.settled(now));
        assert!(t.settled(now + chrono::Duration::hours(24)));
        let declined = place(&app, &sale(&shop, "4000000000000002", &[(shop.one_off, 1)])).await;
        let declined = app.services.orders.details(declined).await.unwrap();
        assert_eq!(declined.transactions[0].settled_at, None, "a decline never settles");
    }
}

both_backends! {
    /// R-TG-4 and R-OR-6: a sale placed again with the same key gets the gateway's first
    /// answer, charges nothing more and records no second order.
    async fn r_or_6_a_repeated_key_never_charges_twice(app) {
        let shop = shop(&app, 0).await;
        let draft = sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        let first = app.services.orders.place(&actor(), &draft, Some("order-key-1")).await.unwrap();
        let again = app.services.orders.place(&actor(), &draft, Some("order-key-1")).await;
        assert!(matches!(again, Err(SaleError::AlreadyRecorded)), "{again:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM orders").await, 1);
        assert_eq!(scalar(&app.db, "SELECT charges FROM test_gateway_tokens").await, 1);
        assert_eq!(app.services.orders.details(first).await.unwrap().transactions.len(), 1);
    }
}

both_backends! {
    /// R-TG-4 at the gateway: a repeated key replays the first answer without counting a
    /// charge, and the outcome of a key is there to ask for.
    async fn r_tg_4_the_test_gateway_replays_a_key(app) {
        use recoup::gateway::{Gateways, Instrument, SaleRequest};
        use recoup::domain::card::{CardNumber, Expiry};
        use recoup::domain::order::Cvv;
        let shop = shop(&app, 0).await;
        let mid = app.services.mids.find(shop.main).await.unwrap();
        let gateways = Gateways::new(app.db.clone(), Arc::new(app.clock.clone()));
        let gateway = gateways.for_mid(&mid).unwrap();
        let number = CardNumber::parse("4000000000000341").unwrap();
        let cvv = Cvv::parse("123").unwrap();
        let expiry = Expiry { month: 12, year: 2031 };
        let card = Instrument::Card { number: &number, expiry, cvv: &cvv };
        let first = gateway.sale(SaleRequest { mid: &mid, key: "k1", amount: usd(500), instrument: card }).await.unwrap();
        assert_eq!(first.code, "51");
        let token = first.token.clone().unwrap();
        let replay = gateway.sale(SaleRequest { mid: &mid, key: "k1", amount: usd(500), instrument: Instrument::Token(&token) }).await.unwrap();
        assert_eq!(replay, first);
        assert_eq!(gateway.outcome(&mid, "k1").await.unwrap(), Some(first));
        assert_eq!(gateway.outcome(&mid, "never-sent").await.unwrap(), None);
        // 4000000000000341 declines its token's first 3 charges and approves the 4th: the
        // replay did not count.
        let mut codes = Vec::new();
        for key in ["k2", "k3", "k4"] {
            let reply = gateway.sale(SaleRequest { mid: &mid, key, amount: usd(500), instrument: Instrument::Token(&token) }).await.unwrap();
            codes.push(reply.code);
        }
        assert_eq!(codes, ["51", "51", "00"]);
    }
}

both_backends! {
    /// R-OR-1, R-MID-2: a disabled MID takes no sale; with no MID left the order is declined
    /// with the reason and no gateway is called.
    async fn r_mid_2_a_disabled_mid_takes_no_sale(app) {
        let shop = shop(&app, 0).await;
        app.services.mids.set_enabled(&actor(), shop.main, false).await.unwrap();
        let id = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.status, OrderStatus::Declined);
        assert!(order.transactions.is_empty());
        let notes: Vec<&str> = order.notes.iter().map(|n| n.body.as_str()).collect();
        assert_eq!(notes, ["Main passed over: the MID is disabled.", "No MID could take this sale; nothing was charged."]);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await, 0);
    }
}

both_backends! {
    /// R-MID-3 at sale time: a MID blocking prepaid cards refuses one, including a BIN the
    /// merchant mapped to prepaid; a MID refuses brands it does not accept.
    async fn r_mid_3_blocked_card_types_and_brands_are_refused(app) {
        let shop = shop(&app, 1).await;
        let mut draft = mid_draft("Main");
        draft.block_prepaid = true;
        draft.accepts.amex = false;
        draft.cascade_profile_id = shop.cascade;
        app.services.mids.update(&actor(), shop.main, &draft).await.unwrap();

        let id = place(&app, &sale(&shop, "5105105105105100", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.status, OrderStatus::Declined);
        assert_eq!(order.notes[0].body, "Main passed over: the MID blocks prepaid cards.");

        let id = place(&app, &sale(&shop, "378282246310005", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.notes[0].body, "Main passed over: the MID does not accept Amex.");

        // The merchant maps Visa's 411111 to prepaid: now it is refused too.
        execute(&app.db, "INSERT INTO bin_ranges (bin, card_type, note, created_at) VALUES ('411111', 'prepaid', '', '2026-01-01T00:00:00Z')").await;
        let id = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.status, OrderStatus::Declined);
        assert_eq!(order.payment_method.unwrap().card_type.key(), "prepaid");
        assert!(order.transactions.is_empty());
    }
}

both_backends! {
    /// R-OR-1: a MID that would pass its monthly cap is passed over.
    async fn r_or_1_a_mid_over_its_monthly_cap_is_passed_over(app) {
        let shop = shop(&app, 0).await;
        let mut draft = mid_draft("Main");
        draft.monthly_cap = Some(usd(3000));
        app.services.mids.update(&actor(), shop.main, &draft).await.unwrap();
        let first = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        assert_eq!(app.services.orders.details(first).await.unwrap().order.status, OrderStatus::Complete);
        let second = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        let second = app.services.orders.details(second).await.unwrap();
        assert_eq!(second.order.status, OrderStatus::Declined);
        assert_eq!(second.notes[0].body, "Main passed over: the sale would pass the MID's monthly cap.");
    }
}

both_backends! {
    /// R-OR-2 and R-OR-3: items priced quantity x unit price, the trial charged at its trial
    /// price; an approved sale makes one subscription per recurring item on the MID that took
    /// it, billing after the trial; shippable items get a pending fulfillment; the welcome
    /// email is written with its placeholders filled.
    async fn r_or_3_an_approved_sale_makes_subscriptions(app) {
        let shop = shop(&app, 0).await;
        let id = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 2), (shop.recurring, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.total, usd(2 * 1999 + 199));
        assert_eq!(order.items[0].price, usd(3998));
        assert_eq!(order.items[1].charged, usd(199));
        assert_eq!(order.items[1].price, usd(4999));
        assert_eq!(order.transactions[0].amount, usd(4197));
        assert_eq!(order.subscriptions.len(), 1);
        let sub = &order.subscriptions[0];
        assert_eq!((sub.status, sub.mid_id, sub.cycle_days), (SubscriptionStatus::Trial, shop.main, 30));
        assert_eq!(sub.next_bill_at, Some(app.clock.now() + chrono::Duration::days(14)));
        assert_eq!(sub.price, usd(4999));
        assert_eq!(order.fulfillments.len(), 1);
        assert_eq!(order.fulfillments[0].status.key(), "pending");
        let subject: String = match &app.db {
            Db::Sqlite(pool) => sqlx::query_scalar("SELECT subject FROM outbox").fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar("SELECT subject FROM outbox").fetch_one(pool).await.unwrap(),
        };
        assert_eq!(subject, "Welcome, Ada");

        // A declined sale makes no subscription, fulfillment or email.
        let declined = place(&app, &sale(&shop, "4000000000000002", &[(shop.recurring, 1)])).await;
        let declined = app.services.orders.details(declined).await.unwrap();
        assert!(declined.subscriptions.is_empty() && declined.fulfillments.is_empty());
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM outbox").await, 1);
    }
}

both_backends! {
    /// R-OR-4: a new sale whose email, phone or card is blacklisted is refused before any
    /// gateway call, and nothing is saved.
    async fn r_or_4_blacklisted_customers_are_refused(app) {
        let shop = shop(&app, 0).await;
        let first = place(&app, &sale(&shop, "4111111111111111", &[(shop.one_off, 1)])).await;
        let fingerprint = app.services.orders.details(first).await.unwrap().payment_method.unwrap().fingerprint;
        let requests = scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await;
        for (kind, value) in [("email", "ada@example.com"), ("phone", "+1 555 010 7788"), ("fingerprint", fingerprint.as_str())] {
            execute(&app.db, "DELETE FROM blacklist").await;
            execute(&app.db, &format!("INSERT INTO blacklist (kind, value, reason, created_at) VALUES ('{kind}', '{value}', 'fraud', '2026-01-01T00:00:00Z')")).await;
            let mut draft = sale(&shop, "5555555555554444", &[(shop.one_off, 1)]);
            if kind != "email" { draft.customer.email = "someone.else@example.com".to_owned(); }
            if kind != "phone" { draft.customer.phone = "+44 20 7946 0000".to_owned(); }
            if kind == "fingerprint" { draft.card.number = "4111111111111111".to_owned(); }
            let refused = app.services.orders.place(&actor(), &draft, None).await;
            assert!(matches!(refused, Err(SaleError::Blacklisted)), "{kind}: {refused:?}");
        }
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await, requests);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM orders").await, 1);
    }
}

both_backends! {
    /// R-OR-5: an upsale charges the parent's card on the parent's MID and is never
    /// cascaded; only an approved new sale takes one.
    async fn r_or_5_upsales_charge_the_parents_card_and_mid(app) {
        let shop = shop(&app, 1).await;
        let parent = place(&app, &sale(&shop, "4000000000009995", &[(shop.one_off, 1)])).await;
        let items = [ItemDraft { product_id: shop.one_off.0, quantity: 1, option: Some("large".to_owned()) }];
        let upsale = app.services.orders.upsale(&actor(), parent, &items, None).await.unwrap();
        let upsale = app.services.orders.details(upsale).await.unwrap();
        assert_eq!((upsale.order.kind, upsale.order.status), (OrderKind::Upsale, OrderStatus::Declined));
        assert_eq!(upsale.order.parent_order_id, Some(parent));
        assert_eq!(upsale.transactions.len(), 1, "not cascaded to the backup");
        assert_eq!(upsale.transactions[0].mid_id, shop.main);
        assert_eq!(upsale.transactions[0].amount, usd(2499));
        assert_eq!(upsale.items[0].option.as_deref(), Some("Large"));

        let small = [ItemDraft { product_id: shop.one_off.0, quantity: 1, option: None }];
        let approved = app.services.orders.upsale(&actor(), parent, &small, None).await.unwrap();
        let approved = app.services.orders.details(approved).await.unwrap();
        assert_eq!(approved.order.status, OrderStatus::Complete);
        assert_eq!(approved.payment_method.unwrap().id, app.services.orders.details(parent).await.unwrap().payment_method.unwrap().id);

        let declined = place(&app, &sale(&shop, "4000000000009979", &[(shop.one_off, 1)])).await;
        let refused = app.services.orders.upsale(&actor(), declined, &small, None).await;
        assert!(matches!(refused, Err(SaleError::NotUpsellable)), "{refused:?}");
        let upsale_of_upsale = app.services.orders.upsale(&actor(), approved.order.id, &small, None).await;
        assert!(matches!(upsale_of_upsale, Err(SaleError::NotUpsellable)));
        let missing = app.services.orders.upsale(&actor(), OrderId(999_999), &small, None).await;
        assert!(matches!(missing, Err(SaleError::OrderNotFound)));
    }
}

both_backends! {
    /// R-EN-1: a soft decline cascades at once down the MID's cascade profile until a MID
    /// approves; each step is written on the order. 4000000000000341 declines its first three
    /// charges and approves the fourth, so it is approved on the third backup.
    async fn r_en_1_soft_declines_cascade_down_the_profile(app) {
        let shop = shop(&app, 3).await;
        let id = place(&app, &sale(&shop, "4000000000000341", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.status, OrderStatus::Complete);
        let mids: Vec<MidId> = order.transactions.iter().map(|t| t.mid_id).collect();
        assert_eq!(mids, [shop.main, shop.backups[0], shop.backups[1], shop.backups[2]]);
        assert_eq!(order.order.mid_id, Some(shop.backups[2]));
        assert_eq!(order.subscriptions.len(), 0);
        let notes: Vec<&str> = order.notes.iter().map(|n| n.body.as_str()).collect();
        assert_eq!(notes[0], "Routed to Main, the campaign's MID.");
        assert_eq!(notes[1], "Main: 19.99 USD declined (51 insufficient funds), soft decline.");
        assert_eq!(notes[2], "Soft decline cascaded to Backup 1 (cascade profile Cascade).");
        assert_eq!(notes.last().copied(), Some("Backup 3: 19.99 USD approved (00 approved)."));

        // A hard decline is never cascaded.
        let id = place(&app, &sale(&shop, "4000000000009979", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.transactions.len(), 1);
        assert_eq!(order.notes.last().unwrap().body, "Not cascaded: a hard decline is never retried.");

        // 4000000000000002 declines 05 on every test MID: every step is tried and recorded.
        let id = place(&app, &sale(&shop, "4000000000000002", &[(shop.one_off, 1)])).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.order.status, OrderStatus::Declined);
        assert_eq!(order.transactions.len(), 4);
    }
}

both_backends! {
    /// R-EN-1 with R-GW-4/R-GW-5: a `cascadeAll` FlexFactor MID overrides the cascade profile,
    /// and without the order's ip address the cascade to it is skipped with the reason.
    async fn r_gw_5_a_flexfactor_cascade_needs_the_ip_address(app) {
        let shop = shop(&app, 1).await;
        let mut draft = mid_draft("FlexFactor");
        draft.provider = Provider::FlexFactor;
        draft.credentials = Provider::FlexFactor
            .credential_fields()
            .iter()
            .map(|f| (f.key, "secret-value".to_owned()))
            .collect();
        draft.expiry_days = Some(recoup::domain::mid::ExpiryDays::DEFAULT);
        draft.cascade_all = true;
        app.services.mids.create(&actor(), &draft).await.unwrap();
        let mut no_ip = sale(&shop, "4000000000000002", &[(shop.one_off, 1)]);
        no_ip.ip_address = None;
        let id = place(&app, &no_ip).await;
        let order = app.services.orders.details(id).await.unwrap();
        assert_eq!(order.transactions.len(), 1, "the backup of the profile is overridden");
        assert_eq!(order.notes.last().unwrap().body, "Cascade to FlexFactor skipped: no ip address.");
    }
}

both_backends! {
    /// R-OR-1 with an ATRI profile: 1,000 sales split over the weights within a few percent,
    /// and a disabled member takes none.
    async fn r_or_1_atri_splits_sales_by_weight(app) {
        let shop = shop(&app, 0).await;
        let mut ids = Vec::new();
        for title in ["A", "B", "C"] {
            ids.push(app.services.mids.create(&actor(), &mid_draft(title)).await.unwrap());
        }
        let profile = app.services.routing.create(&actor(), &ProfileDraft {
            name: "Split".to_owned(),
            kind: ProfileKind::Atri,
            members: vec![(ids[0], 1, 1), (ids[1], 3, 2), (ids[2], 5, 3)],
        }).await.unwrap();
        app.services.mids.set_enabled(&actor(), ids[2], false).await.unwrap();
        let campaign = app.services.catalogue.create_campaign(&actor(), &CampaignDraft {
            name: "Split store".to_owned(),
            currency: Currency::Usd,
            route: Some(SalesRoute::Atri(profile)),
            products: vec![shop.one_off],
            recycling: true,
            notify: Vec::new(),
            welcome_subject: String::new(),
            welcome_body: String::new(),
        }).await.unwrap();
        let mut draft = sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        draft.campaign_id = campaign.0;
        for _ in 0..1000 {
            place(&app, &draft).await;
        }
        let count = |id: MidId| {
            let db = app.db.clone();
            async move { scalar(&db, &format!("SELECT COUNT(*) FROM orders WHERE mid_id = {}", id.0)).await }
        };
        let (a, b, c) = (count(ids[0]).await, count(ids[1]).await, count(ids[2]).await);
        assert_eq!(c, 0, "a disabled MID takes no sale");
        assert_eq!(a + b, 1000);
        // Expected 250 and 750; 1,000 draws stay within 5 points of 25% almost surely
        // (over 3.6 standard deviations).
        assert!((200..=300).contains(&a), "A took {a}, B took {b}");
    }
}

both_backends! {
    /// The MID test button: 1.00 authorized with a test card and voided at once, no order
    /// recorded; only on an enabled test MID (R-MID-2); logged.
    async fn a_test_sale_authorizes_one_unit_and_voids_it(app) {
        use recoup::domain::card::CardNumber;
        let shop = shop(&app, 0).await;
        let visa = CardNumber::parse("4111111111111111").unwrap();
        let result = app.services.orders.test_sale(&actor(), shop.main, &visa).await.unwrap();
        assert_eq!(result.amount, usd(100));
        assert_eq!((result.sale.code.as_str(), result.sale.approved()), ("00", true));
        let void = result.void.unwrap();
        assert_eq!((void.code.as_str(), void.text.as_str(), void.approved()), ("00", "voided", true));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM orders").await, 0);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'mid.test_sale'").await, 1);

        let stolen = CardNumber::parse("4000000000009979").unwrap();
        let result = app.services.orders.test_sale(&actor(), shop.main, &stolen).await.unwrap();
        assert_eq!(result.sale.code, "43");
        assert_eq!(result.class.map(|c| c.key()), Some("hard"));
        assert!(result.void.is_none());

        app.services.mids.set_enabled(&actor(), shop.main, false).await.unwrap();
        let refused = app.services.orders.test_sale(&actor(), shop.main, &visa).await;
        assert!(matches!(refused, Err(SaleError::MidDisabled)), "{refused:?}");
        let mut flexpay = mid_draft("FlexPay");
        flexpay.provider = Provider::FlexPay;
        flexpay.credentials = vec![("apikey", "k".to_owned())];
        let flexpay = app.services.mids.create(&actor(), &flexpay).await.unwrap();
        let refused = app.services.orders.test_sale(&actor(), flexpay, &visa).await;
        assert!(matches!(refused, Err(SaleError::NotATestMid)), "{refused:?}");
    }
}

both_backends! {
    /// A MID a campaign routes to, or that has taken payments, and an ATRI profile a campaign
    /// routes through cannot be deleted: the refusal names what holds them.
    async fn mids_and_profiles_in_use_by_sales_are_kept(app) {
        use recoup::services::mids::MidError;
        use recoup::services::routing::ProfileError;
        let shop = shop(&app, 0).await;
        let refused = app.services.mids.delete(&actor(), shop.main).await;
        assert!(matches!(&refused, Err(MidError::InUse { by }) if by.len() == 1), "{refused:?}");
        assert_eq!(refused.unwrap_err().to_string(), "This MID is used by campaign \u{201c}Store\u{201d}; remove it there first.");

        let paid = app.services.mids.create(&actor(), &mid_draft("Paid")).await.unwrap();
        let profile = app.services.routing.create(&actor(), &ProfileDraft {
            name: "Split".to_owned(), kind: ProfileKind::Atri, members: vec![(paid, 1, 1)],
        }).await.unwrap();
        let campaign = app.services.catalogue.create_campaign(&actor(), &CampaignDraft {
            name: "Split store".to_owned(), currency: Currency::Usd, route: Some(SalesRoute::Atri(profile)),
            products: vec![shop.one_off], recycling: true, notify: Vec::new(),
            welcome_subject: String::new(), welcome_body: String::new(),
        }).await.unwrap();
        let mut draft = sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        draft.campaign_id = campaign.0;
        place(&app, &draft).await;
        let refused = app.services.routing.delete(&actor(), profile).await;
        assert!(matches!(&refused, Err(ProfileError::InUse { campaigns }) if campaigns == &["Split store".to_owned()]), "{refused:?}");
        let refused = app.services.mids.delete(&actor(), paid).await;
        let Err(MidError::InUse { by }) = refused else { panic!("{refused:?}") };
        assert!(by.contains(&recoup::domain::mid::MidUsage::Payments), "{by:?}");
    }
}
