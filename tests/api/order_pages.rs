//! The order entry page and the order page over HTTP, on both databases.

use crate::both_backends;
use crate::helpers::{Page, location};
use crate::orders::shop;

fn entry(campaign: i64, product: i64, card: &str) -> Vec<(&'static str, String)> {
    vec![
        ("campaign_id", campaign.to_string()),
        ("product", product.to_string()),
        ("quantity", "2".to_owned()),
        ("option", String::new()),
        ("product", String::new()),
        ("quantity", "1".to_owned()),
        ("option", String::new()),
        ("customer.first_name", "Grace".to_owned()),
        ("customer.last_name", "Hopper".to_owned()),
        ("customer.email", "grace@example.com".to_owned()),
        ("customer.phone", "+1 555 010 2000".to_owned()),
        ("customer.address.line1", "1 Navy Way".to_owned()),
        ("customer.address.city", "Arlington".to_owned()),
        ("customer.address.postal_code", "22201".to_owned()),
        ("customer.address.country", "us".to_owned()),
        ("card.number", card.to_owned()),
        ("card.exp_month", "7".to_owned()),
        ("card.exp_year", "2031".to_owned()),
        ("card.cvv", "4321".to_owned()),
        ("ip_address", "198.51.100.4".to_owned()),
    ]
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

both_backends! {
    /// An agent places an order through order entry and lands on its page: items, the
    /// transaction with its response, the routing notes, the subscription-free one-off line.
    async fn order_entry_places_an_order_and_shows_it(app) {
        let shop = shop(&app, 1).await;
        app.login_as_new("cs_agent").await;
        let form = app.get_page("/orders/new").await;
        assert!(form.has("select#campaign_id"), "campaign picker");
        assert!(form.texts("select[name=product] option").iter().any(|o| o.starts_with("Starter kit")));

        let fields = entry(shop.campaign.0, shop.one_off.0, "4111 1111 1111 1111");
        let response = app.post_form("/orders", &pairs(&fields)).await;
        assert_eq!(response.status().as_u16(), 303);
        let order_page = location(&response);
        assert!(order_page.starts_with("/orders/"), "{order_page}");
        let page = app.get_page(&order_page).await;
        assert_eq!(page.flash_success().unwrap_or_default(), format!("Order #{} approved.", &order_page[8..]));
        let html = page.text("main");
        assert!(html.contains("Complete") && html.contains("Starter kit") && html.contains("39.98 USD"), "{html}");
        assert!(html.contains("00 approved") && html.contains("Routed to Main, the campaign's MID."), "{html}");
        assert!(html.contains("Visa …1111"), "{html}");
        assert!(!app.get_html(&order_page).await.contains("4111111111111111"));
    }
}

both_backends! {
    /// A decline cascades and the page says so; the order is recorded as declined.
    async fn a_declined_order_shows_every_routing_step(app) {
        let shop = shop(&app, 1).await;
        app.login_as_new("cs_agent").await;
        let fields = entry(shop.campaign.0, shop.one_off.0, "4000000000000002");
        let response = app.post_form("/orders", &pairs(&fields)).await;
        let page = app.get_page(&location(&response)).await;
        let html = page.text("main");
        assert!(html.contains("Declined"), "{html}");
        assert!(html.contains("Soft decline cascaded to Backup 1 (cascade profile Cascade)."), "{html}");
        assert_eq!(page.all("table").len(), 4, "items, transactions, subscriptions, fulfillments");
    }
}

both_backends! {
    /// Bad input comes back with messages next to the fields, nothing saved, and the card
    /// number and CVV never echoed.
    async fn order_entry_refuses_bad_input_next_to_the_fields(app) {
        let shop = shop(&app, 0).await;
        app.login_as_new("cs_agent").await;
        let mut fields = entry(shop.campaign.0, shop.one_off.0, "4111111111111112");
        for (name, value) in fields.iter_mut() {
            match *name {
                "quantity" if value == "2" => *value = "0".to_owned(),
                "card.cvv" => *value = "12".to_owned(),
                "card.exp_year" => *value = "2020".to_owned(),
                "customer.email" => *value = "grace@".to_owned(),
                _ => {}
            }
        }
        let response = app.post_form("/orders", &pairs(&fields)).await;
        assert_eq!(response.status().as_u16(), 422);
        let html = response.text().await.unwrap();
        assert!(!html.contains("4111111111111112"), "card number echoed");
        let page = Page::parse(&html);
        assert_eq!(page.value_of("card.number").as_deref(), Some(""));
        assert_eq!(page.value_of("card.cvv").as_deref(), Some(""), "CVV echoed");
        let mut with_errors = page.fields_with_errors();
        with_errors.sort();
        assert_eq!(with_errors, ["card.cvv", "card.exp_month", "card.number", "customer.email", "items[0].quantity"]);
        assert!(page.field_error("card.number").unwrap().contains("not valid"));
        assert_eq!(page.value_of("customer.first_name").as_deref(), Some("Grace"), "typed values kept");
        let orders: i64 = match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM orders").fetch_one(pool).await.unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM orders").fetch_one(pool).await.unwrap(),
        };
        assert_eq!(orders, 0);

        // A product the campaign does not offer, posted by hand.
        let fields = entry(shop.campaign.0, 999_999, "4111111111111111");
        let page = Page::parse(&app.post_form("/orders", &pairs(&fields)).await.text().await.unwrap());
        assert_eq!(page.field_error("items[0].product_id").as_deref(), Some("This campaign does not offer that product."));
    }
}

both_backends! {
    /// Order pages: a merchant (order entry) and an agent may read one; an unknown or
    /// malformed id is a 404; a role without either permission gets 403.
    async fn order_pages_answer_by_permission(app) {
        let shop = shop(&app, 0).await;
        let draft = crate::orders::sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        let id = app.services.orders.place(&crate::orders::actor(), &draft, None).await.unwrap();
        app.login_as_new("merchant").await;
        assert_eq!(app.get(&format!("/orders/{id}")).await.status().as_u16(), 200);
        assert_eq!(app.get("/orders/999999").await.status().as_u16(), 404);
        assert_eq!(app.get("/orders/abc").await.status().as_u16(), 404);
        let auditor = recoup::domain::user::RoleDraft::parse("auditor", "Reads the log", &["events.view".to_owned()]).unwrap();
        app.services.roles.create(&crate::orders::actor(), &auditor).await.unwrap();
        app.client.post(app.url("/logout")).send().await.unwrap();
        let other = crate::helpers::new_client();
        app.create_user("rae@example.com", "Rae", "auditor").await;
        app.login_with(&other, "rae@example.com", crate::helpers::PASSWORD).await;
        let response = other.get(app.url(&format!("/orders/{id}"))).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let response = other.get(app.url("/orders/new")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 403);
    }
}

/// Order entry in headless Chromium as a CS agent: 4000000000000002 is declined on the main
/// MID and cascaded down the profile (the card table declines it on every test MID); then
/// 4000000000000341, which declines three charges and approves the fourth, is cascaded and
/// approved on the third backup MID; each lands on its order page with the routing notes.
#[tokio::test]
async fn an_agent_places_orders_in_the_browser_and_reads_the_cascade() {
    use fantoccini::Locator;
    let Some((browser, app)) =
        crate::chrome::signed_in("agent@example.com", "Cas Agent", "cs_agent").await
    else {
        return;
    };
    let shop = shop(&app, 3).await;
    let select = |css: &'static str, value: String| {
        let browser = &browser;
        async move {
            browser
                .c()
                .find(Locator::Css(css))
                .await
                .expect(css)
                .select_by_value(&value)
                .await
                .expect("select");
        }
    };
    for (card, outcome, last_note) in [
        (
            "4000000000000002",
            "declined",
            "Backup 3: 19.99 USD declined (05 do not honor), soft decline.",
        ),
        (
            "4000000000000341",
            "approved",
            "Backup 3: 19.99 USD approved (00 approved).",
        ),
    ] {
        browser.goto(&app, "/orders/new").await;
        select("[id='items[0].product_id']", shop.one_off.to_string()).await;
        browser.fill("[id='customer.first_name']", "Grace").await;
        browser.fill("[id='customer.last_name']", "Hopper").await;
        browser
            .fill("[id='customer.email']", "grace@example.com")
            .await;
        browser
            .fill("[id='customer.address.line1']", "1 Navy Way")
            .await;
        browser
            .fill("[id='customer.address.city']", "Arlington")
            .await;
        browser
            .fill("[id='customer.address.postal_code']", "22201")
            .await;
        browser.fill("[id='card.number']", card).await;
        select("[id='card.exp_month']", "12".to_owned()).await;
        select("[id='card.exp_year']", "2031".to_owned()).await;
        browser.fill("[id='card.cvv']", "123").await;
        browser
            .click("form[action='/orders'] button[type=submit]")
            .await;
        let flash = browser.wait_for_text(".flash-success", "Order #").await;
        assert!(flash.contains(outcome), "{flash}");
        assert!(browser.path().await.starts_with("/orders/"));
        let notes = browser.texts("ol.notes li").await;
        assert!(
            notes.iter().any(|n| n
                == "Main: 19.99 USD declined (51 insufficient funds), soft decline."
                || n == "Main: 19.99 USD declined (05 do not honor), soft decline."),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n == "Soft decline cascaded to Backup 1 (cascade profile Cascade)."),
            "{notes:?}"
        );
        assert_eq!(
            notes.last().map(String::as_str),
            Some(last_note),
            "{notes:?}"
        );
        let transactions = browser.texts("table tbody tr").await;
        assert!(transactions.len() >= 4, "{transactions:?}");
    }
    browser.screenshot("order-page").await;
    assert!(browser.console_errors().await.is_empty());
}

both_backends! {
    /// "Run a test sale" over HTTP: htmx gets the result fragment, a plain post a page; a
    /// card outside the test table, a FlexPay MID and a cs_agent are refused.
    async fn a_test_sale_runs_from_the_mid_page(app) {
        let shop = shop(&app, 0).await;
        app.login_as_new("merchant").await;
        let edit = app.get_page(&format!("/mids/{}/edit", shop.main)).await;
        assert!(edit.has("select#test-card option[value='4111111111111111']"), "the picker lists the table");
        let path = format!("/mids/{}/test-sale", shop.main);
        let token = crate::helpers::csrf_in(&app.get_html("/").await);
        let response = app.client.post(app.url(&path)).header("HX-Request", "true")
            .form(&[("csrf_token", token.as_str()), ("card", "4111111111111111")]).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let fragment = response.text().await.unwrap();
        assert!(fragment.contains("id=\"test-sale-result\"") && !fragment.contains("<html"), "{fragment}");
        let text = Page::parse(&fragment).text("#test-sale-result");
        assert!(text.contains("sale approved (00 approved)") && text.contains("void approved (00 voided)"), "{text}");

        let page = app.post_form(&path, &[("card", "4000000000009979")]).await;
        assert_eq!(page.status().as_u16(), 200);
        let text = Page::parse(&page.text().await.unwrap()).text("#test-sale-result");
        assert!(text.contains("declined (43 stolen card, hard decline)") && !text.contains("void"), "{text}");

        let refused = app.post_form(&path, &[("card", "4242424242424242")]).await;
        assert_eq!(refused.status().as_u16(), 422);
        assert!(Page::parse(&refused.text().await.unwrap()).text("#test-sale-result").contains("Pick one of the test cards."));
    }
}

both_backends! {
    /// The order page's Void and Refund (R-CS-1, R-CS-2): each asks first, naming the amount
    /// and the card; a resubmitted form (same one-time key) acts once; a bad amount is refused
    /// next to its field; a merchant reads the order without the buttons.
    async fn agents_void_and_refund_from_the_order_page(app) {
        let shop = shop(&app, 0).await;
        let draft = crate::orders::sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        let order = app.services.orders.place(&crate::orders::actor(), &draft, None).await.unwrap();
        let sale_id = app.services.orders.details(order).await.unwrap().transactions[0].id;
        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/orders/{order}")).await;
        assert!(page.has(&format!("form[action='/transactions/{sale_id}/void']")), "an unsettled sale can be voided");
        let key = page.attr_of(&format!("form[action='/transactions/{sale_id}/void'] input[name=key]"), "value").unwrap();

        let ask = app.post_form(&format!("/transactions/{sale_id}/void"), &[("key", &key)]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert!(ask.text("main").contains("Void the whole charge to Visa …1111."), "{}", ask.text("main"));
        let done = app.post_form(&format!("/transactions/{sale_id}/void"), &[("key", &key), ("confirm", "yes"), ("reason", "Billing error")]).await;
        assert_eq!(location(&done), format!("/orders/{order}"));
        let after = app.get_page(&format!("/orders/{order}")).await;
        assert_eq!(after.flash_success().unwrap_or_default(), "Void of 19.99 USD approved (00 voided).");
        assert!(!after.has(&format!("form[action='/transactions/{sale_id}/void']")), "voided: no more actions");
        let again = app.post_form(&format!("/transactions/{sale_id}/void"), &[("key", &key), ("confirm", "yes"), ("reason", "Billing error")]).await;
        assert_eq!(location(&again), format!("/orders/{order}"));
        let refusal = app.get_page(&format!("/orders/{order}")).await.flash_error().unwrap_or_default();
        assert!(refusal.contains("voided already"), "{refusal}");

        // A settled sale: refund part of it; a bad amount comes back next to the field.
        let order = app.services.orders.place(&crate::orders::actor(), &draft, None).await.unwrap();
        let sale_id = app.services.orders.details(order).await.unwrap().transactions[0].id;
        app.clock.advance(chrono::Duration::hours(25));
        // A day later the session has timed out: sign in again.
        app.login("cs.agent@example.com", crate::helpers::PASSWORD).await;
        let page = app.get_page(&format!("/orders/{order}")).await;
        assert!(!page.has(&format!("form[action='/transactions/{sale_id}/void']")), "settled: refund only");
        let path = format!("/transactions/{sale_id}/refund");
        let bad = app.post_form(&path, &[("key", "k-1"), ("confirm", "yes"), ("amount", "1.999"), ("reason", "Made up")]).await;
        assert_eq!(bad.status().as_u16(), 422);
        let bad = Page::parse(&bad.text().await.unwrap());
        assert!(bad.field_error("amount").is_some());
        assert_eq!(bad.field_error("reason").unwrap_or_default(), "Choose a reason from the list.");
        let no_words = app.post_form(&path, &[("key", "k-1"), ("confirm", "yes"), ("amount", "5.00"), ("reason", "__other")]).await;
        assert_eq!(no_words.status().as_u16(), 422);
        assert!(Page::parse(&no_words.text().await.unwrap()).field_error("other").is_some());
        let done = app.post_form(&path, &[("key", "k-1"), ("confirm", "yes"), ("amount", "5.00"), ("reason", "__other"), ("other", "damaged in transit")]).await;
        assert_eq!(location(&done), format!("/orders/{order}"));
        let after = app.get_page(&format!("/orders/{order}")).await;
        assert_eq!(after.flash_success().unwrap_or_default(), "Refund of 5.00 USD approved (00 approved).");
        assert!(after.text("main").contains("refund"), "the refund is listed");
        // The same form again (a double click): refunded once.
        let again = app.post_form(&path, &[("key", "k-1"), ("confirm", "yes"), ("amount", "5.00"), ("reason", "Customer request")]).await;
        assert_eq!(location(&again), format!("/orders/{order}"));
        let refusal = app.get_page(&format!("/orders/{order}")).await.flash_error().unwrap_or_default();
        assert!(refusal.contains("submitted already"), "{refusal}");
        let refunds = app.services.orders.details(order).await.unwrap().transactions.iter().filter(|t| t.kind.key() == "refund").count();
        assert_eq!(refunds, 1);

        // A merchant reads orders but does not refund.
        app.client.post(app.url("/logout")).send().await.unwrap();
        let merchant = crate::helpers::new_client();
        app.create_user("mo@example.com", "Mo", "merchant").await;
        app.login_with(&merchant, "mo@example.com", crate::helpers::PASSWORD).await;
        let html = merchant.get(app.url(&format!("/orders/{order}"))).send().await.unwrap().text().await.unwrap();
        assert!(!Page::parse(&html).has("form[action$='/refund']"));
    }
}

both_backends! {
    /// R-CS-5's page: a CS admin sees the blacklisted customer and takes them off after a
    /// confirmation; the customer's orders are then taken again.
    async fn the_blacklist_page_lists_and_removes(app) {
        let shop = shop(&app, 0).await;
        let draft = crate::orders::sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        let order = app.services.orders.place(&crate::orders::actor(), &draft, None).await.unwrap();
        let customer = app.services.orders.details(order).await.unwrap().customer.id;
        app.services.blacklist.add(&crate::orders::actor(), customer, "chargebacks").await.unwrap();
        app.login_as_new("cs_admin").await;
        let page = app.get_page("/blacklist").await;
        let row = page.text("tbody tr");
        assert!(row.contains("Ada Lovelace") && row.contains("chargebacks") && row.contains('3'), "{row}");
        let path = format!("/blacklist/{customer}/remove");
        let ask = Page::parse(&app.post_form(&path, &[]).await.text().await.unwrap());
        assert_eq!(ask.text("h1"), "Take Ada Lovelace off the blacklist?");
        let done = app.post_form(&path, &[("confirm", "yes")]).await;
        assert_eq!(location(&done), "/blacklist");
        let page = app.get_page("/blacklist").await;
        assert_eq!(page.flash_success().unwrap_or_default(), "Taken off the blacklist.");
        assert!(page.text("tbody").contains("Nobody is blacklisted."));
        assert!(app.services.orders.place(&crate::orders::actor(), &draft, None).await.is_ok());
    }
}
