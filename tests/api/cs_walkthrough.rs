//! Seed 004 in headless Chromium, on the demo data: a `cs_agent` searches by the last 4 of a
//! card, opens the customer's profile, edits the email inline, adds a note, refunds part of a
//! settled transaction, voids an unsettled one and cancels a subscription with a reason; the
//! agent sees no Blacklist button. Then a `cs_admin` blacklists the customer and the order API
//! refuses their next order (R-CS-5, R-OR-4). Every step is checked in the event log too.

use chrono::Duration;
use fantoccini::Locator;
use recoup::domain::ids::{CustomerId, OrderId, TransactionId};
use recoup::domain::order::{CustomerDraft, ItemDraft, SaleDraft};
use recoup::domain::payment::{TransactionKind, TransactionResult};
use serde_json::json;

use crate::chrome::Browser;
use crate::helpers::{Backend, PASSWORD, TestApp, new_client, spawn_app};
use crate::orders::scalar;

const EMAIL: &str = "alan.turing@example.com";
const NEW_EMAIL: &str = "alan@bletchley.example";

/// The demo's Alan Turing (a Mastercard …4444 and a monthly refill on trial), with a day gone
/// by so that order has settled, and a second order on his card on file that has not.
async fn demo(app: &TestApp) -> (CustomerId, OrderId, OrderId) {
    app.services.load_demo().await.expect("demo data");
    let found = app
        .services
        .orders
        .find_customers(&recoup::domain::order::CustomerLookup {
            email: Some(EMAIL.to_owned()),
            phone: None,
            last4: None,
        })
        .await
        .unwrap();
    let customer = found.first().expect("the demo has Alan Turing").0.clone();
    let first: i64 = scalar(
        &app.db,
        &format!(
            "SELECT MIN(id) FROM orders WHERE customer_id = {}",
            customer.id
        ),
    )
    .await;
    let first = OrderId(first);
    app.clock.advance(Duration::hours(25));
    let details = app.services.orders.details(first).await.unwrap();
    let card = details.payment_method.expect("a card on file");
    let kit = scalar(&app.db, "SELECT id FROM products WHERE sku = 'DEMO-KIT'").await;
    let draft = SaleDraft {
        campaign_id: details.order.campaign_id.0,
        customer: CustomerDraft {
            first_name: customer.first_name.clone(),
            last_name: customer.last_name.clone(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
            address: None,
        },
        card: recoup::domain::order::CardDraft::default(),
        card_on_file: Some(card.id.0),
        items: vec![ItemDraft {
            product_id: kit,
            quantity: 1,
            option: None,
        }],
        ip_address: None,
    };
    let second = app
        .services
        .orders
        .place(&recoup::domain::event::Actor::system("test"), &draft, None)
        .await
        .unwrap();
    (customer.id, first, second)
}

/// The approved sale of `order`.
async fn sale_of(app: &TestApp, order: OrderId) -> TransactionId {
    app.services
        .orders
        .details(order)
        .await
        .unwrap()
        .transactions
        .into_iter()
        .find(|t| t.kind == TransactionKind::Sale && t.result == TransactionResult::Approved)
        .expect("an approved sale")
        .id
}

async fn events(app: &TestApp, kind: &str) -> i64 {
    scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM events WHERE kind = '{kind}'"),
    )
    .await
}

async fn pick_reason(browser: &Browser, label: &str) {
    // The confirmation page loads after the click that asked for it.
    browser
        .wait_for("#reason", "the confirmation page's reason list")
        .await;
    browser
        .c()
        .find(Locator::Css("#reason"))
        .await
        .expect("reason")
        .select_by_value(label)
        .await
        .expect("pick a reason");
}

#[tokio::test]
async fn a_cs_agent_follows_seed_004_on_the_demo_data() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let (customer, settled_order, unsettled_order) = demo(&app).await;
    let settled = sale_of(&app, settled_order).await;
    let unsettled = sale_of(&app, unsettled_order).await;
    app.create_user("sam.agent@example.com", "Sam Agent", "cs_agent")
        .await;
    browser.login(&app, "sam.agent@example.com", PASSWORD).await;

    // Search by the last 4 of the card (and the last name, among the demo's many …4444).
    browser.goto(&app, "/customers").await;
    browser.fill("#last4", "4444").await;
    browser.fill("#last_name", "Tur").await;
    browser.click("form[role=search] button[type=submit]").await;
    browser
        .wait_for_text("#search-results", "Alan Turing")
        .await;
    assert!(
        browser
            .c()
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("last4=4444"),
        "the filters are in the URL"
    );
    browser
        .click(&format!("#search-results a[href='/customers/{customer}']"))
        .await;
    browser.wait_for_text("h1", "Alan Turing").await;
    assert_eq!(browser.path().await, format!("/customers/{customer}"));
    assert!(
        browser.texts("#blacklist-button").await.is_empty(),
        "a cs_agent sees no Blacklist button"
    );

    // Edit the email inline.
    browser.click("#edit-email").await;
    browser.fill("#detail-email input#email", NEW_EMAIL).await;
    browser.click("#detail-email button[type=submit]").await;
    browser.wait_for_text("#detail-email", NEW_EMAIL).await;
    assert_eq!(events(&app, "customer.updated").await, 1);

    // Add a note through the green +.
    browser.click("#add-note").await;
    browser
        .fill(
            "#note-dialog #note",
            "Called about the refill; refunding 1.00 as a courtesy.",
        )
        .await;
    browser.click("#note-form button[type=submit]").await;
    browser
        .wait_for_text("#history", "refunding 1.00 as a courtesy")
        .await;
    assert_eq!(events(&app, "customer.note_added").await, 1);

    // Refund part of the settled transaction.
    browser.click("a[href*='tab=transactions']").await;
    browser
        .click(&format!(
            "#transaction-{settled} form[action$='/refund'] button"
        ))
        .await;
    browser.fill("#amount", "1.00").await;
    pick_reason(&browser, "Customer request").await;
    browser.click("form button[type=submit].danger").await;
    browser.wait_for_text(".flash-success", "1.00").await;
    let refunded = scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM transactions WHERE parent_id = {settled} AND kind = 'refund' AND result = 'approved' AND amount_minor = 100"),
    )
    .await;
    assert_eq!(refunded, 1, "a partial refund of 1.00");

    // Void the unsettled one.
    browser
        .goto(&app, &format!("/customers/{customer}?tab=transactions"))
        .await;
    browser
        .click(&format!(
            "#transaction-{unsettled} form[action$='/void'] button"
        ))
        .await;
    pick_reason(&browser, "Billing error").await;
    browser.click("form button[type=submit].danger").await;
    browser.wait_for_text(".flash-success", "oid").await;
    let voided = scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM transactions WHERE parent_id = {unsettled} AND kind = 'void' AND result = 'approved'"),
    )
    .await;
    assert_eq!(voided, 1);

    // Cancel the subscription, with a reason, from its purchase details.
    browser
        .goto(&app, &format!("/customers/{customer}?tab=subscriptions"))
        .await;
    browser.click("#tab-body a[href^='/subscriptions/']").await;
    browser.wait_for_text("h1", "Monthly Refill").await;
    browser
        .click("form[action$='/cancel'] button[type=submit]")
        .await;
    pick_reason(&browser, "Too expensive").await;
    browser.click("form button[type=submit].danger").await;
    browser.wait_for_text(".flash-success", "ancel").await;
    let live: i64 = scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM subscriptions WHERE customer_id = {customer} AND status <> 'cancelled'"),
    )
    .await;
    assert_eq!(live, 0, "the subscription is cancelled");
    assert_eq!(events(&app, "subscription.cancelled").await, 1);

    // The History shows what happened, newest first.
    browser.goto(&app, &format!("/customers/{customer}")).await;
    let history = browser.text("#history").await;
    assert!(history.contains("Sam Agent"), "{history}");

    // A cs_admin blacklists the customer; the order API then refuses their new order.
    browser.logout().await;
    app.create_user("casey.lead@example.com", "Casey Lead", "cs_admin")
        .await;
    browser
        .login(&app, "casey.lead@example.com", PASSWORD)
        .await;
    browser.goto(&app, &format!("/customers/{customer}")).await;
    browser.click("#blacklist-button").await;
    browser.fill("#reason", "Repeated chargebacks").await;
    browser.click("form button[type=submit].danger").await;
    browser
        .wait_for(
            "#blacklisted",
            "the profile says the customer is blacklisted",
        )
        .await;
    assert_eq!(events(&app, "customer.blacklisted").await, 1);

    let key = crate::api_platform::new_key(&app, "Checkout").await;
    let campaign = app
        .services
        .orders
        .details(settled_order)
        .await
        .unwrap()
        .order
        .campaign_id;
    let product = scalar(&app.db, "SELECT id FROM products WHERE sku = 'DEMO-KIT'").await;
    let refused = new_client()
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&key)
        .json(&json!({
            "campaign_id": campaign.0,
            "customer": {"first_name": "Alan", "last_name": "Turing", "email": NEW_EMAIL},
            "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2031, "cvv": "123"},
            "items": [{"product_id": product, "quantity": 1}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "customer_blacklisted");
}
