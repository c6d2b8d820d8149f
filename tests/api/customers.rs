//! Customer Service (seed 004, R-CS-8, R-CS-5): the order search with each filter and keyset
//! pages, the customer profile with its inline edits, notes and tabs, and the Blacklist button,
//! at the service level and through the pages, on both databases.

use recoup::db::Db;
use recoup::domain::customer::{SearchDraft, SearchFilters};
use recoup::domain::ids::{CustomerId, OrderId};
use recoup::domain::order::{CustomerDraft, OrderStatus};
use recoup::domain::page::KeysetRequest;
use recoup::services::orders::SaleError;

use crate::both_backends;
use crate::helpers::{Page, TestApp, page_of};
use crate::orders::{Shop, actor, execute, sale, scalar, shop};

/// One text value read with raw SQL.
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

/// A sale of the shop's kit to a customer of these details, paid with `card`.
async fn order_for(
    app: &TestApp,
    shop: &Shop,
    (first, last, email, phone): (&str, &str, &str, &str),
    card: &str,
) -> (OrderId, CustomerId) {
    let mut draft = sale(shop, card, &[(shop.one_off, 1)]);
    draft.customer = CustomerDraft {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: email.to_owned(),
        phone: phone.to_owned(),
        address: None,
    };
    let id = app
        .services
        .orders
        .place(&actor(), &draft, None)
        .await
        .unwrap();
    let customer = app.services.orders.details(id).await.unwrap().customer.id;
    (id, customer)
}

const ADA: (&str, &str, &str, &str) = ("Ada", "Lovelace", "ada@example.com", "+1 (555) 010-7788");
const GRACE: (&str, &str, &str, &str) =
    ("Grace", "Hopper", "grace@example.com", "+44 20 7946 0958");
const ALAN: (&str, &str, &str, &str) = ("Alan", "Turing", "alan@example.com", "");

/// Ada's two orders today (Visa), Alan's declined one, and Grace's (Mastercard) two days later.
struct People {
    ada: CustomerId,
    ada_orders: [OrderId; 2],
    grace: CustomerId,
    grace_order: OrderId,
    alan_order: OrderId,
    shop: Shop,
}

async fn people(app: &TestApp) -> People {
    let shop = shop(app, 0).await;
    let (a1, ada) = order_for(app, &shop, ADA, "4111111111111111").await;
    let (a2, _) = order_for(app, &shop, ADA, "4111111111111111").await;
    let (alan_order, _) = order_for(app, &shop, ALAN, "4000000000000002").await;
    app.clock.advance(chrono::Duration::days(2));
    let (grace_order, grace) = order_for(app, &shop, GRACE, "5555555555554444").await;
    People {
        ada,
        ada_orders: [a1, a2],
        grace,
        grace_order,
        alan_order,
        shop,
    }
}

async fn found(app: &TestApp, draft: SearchDraft) -> Vec<OrderId> {
    let filters = SearchFilters::parse(&draft).unwrap_or_else(|e| panic!("{draft:?}: {e}"));
    let page = app
        .services
        .customers
        .search(
            &filters,
            KeysetRequest {
                after: None,
                size: 50,
            },
        )
        .await
        .unwrap();
    page.items.iter().map(|r| r.order_id).collect()
}

both_backends! {
    /// R-CS-8: each filter of the search finds exactly the right orders, newest first; filters
    /// combine; keyset pages neither overlap nor skip.
    async fn r_cs_8_each_search_filter_finds_the_right_orders(app) {
        let p = people(&app).await;
        let [a1, a2] = p.ada_orders;
        let d = SearchDraft::default;
        assert_eq!(found(&app, d()).await, [p.grace_order, p.alan_order, a2, a1], "no filter: the newest orders");
        assert_eq!(found(&app, SearchDraft { last_name: "LOVE".into(), ..d() }).await, [a2, a1]);
        assert_eq!(found(&app, SearchDraft { first_name: "gr".into(), ..d() }).await, [p.grace_order]);
        assert_eq!(found(&app, SearchDraft { first_name: "a".into(), last_name: "t".into(), ..d() }).await, [p.alan_order]);
        assert!(found(&app, SearchDraft { last_name: "lovelacex".into(), ..d() }).await.is_empty());
        assert_eq!(found(&app, SearchDraft { email: " Ada@Example.com ".into(), ..d() }).await, [a2, a1]);
        assert_eq!(found(&app, SearchDraft { phone: "+1 555 010 7788".into(), ..d() }).await, [a2, a1], "digits match however typed");
        assert_eq!(found(&app, SearchDraft { phone: "442079460958".into(), ..d() }).await, [p.grace_order]);
        assert_eq!(found(&app, SearchDraft { order_id: p.grace_order.to_string(), ..d() }).await, [p.grace_order]);
        assert!(found(&app, SearchDraft { order_id: "999999".into(), ..d() }).await.is_empty());
        assert_eq!(found(&app, SearchDraft { last4: "4444".into(), ..d() }).await, [p.grace_order]);
        assert_eq!(found(&app, SearchDraft { last4: "1111".into(), ..d() }).await, [a2, a1]);
        assert_eq!(found(&app, SearchDraft { status: "declined".into(), ..d() }).await, [p.alan_order]);
        assert_eq!(found(&app, SearchDraft { status: "complete".into(), ..d() }).await, [p.grace_order, a2, a1]);
        assert_eq!(found(&app, SearchDraft { campaign: p.shop.campaign.to_string(), ..d() }).await.len(), 4);
        assert!(found(&app, SearchDraft { campaign: "999999".into(), ..d() }).await.is_empty());
        // The clock started on 2026-11-02 and moved two days before Grace's order.
        assert_eq!(found(&app, SearchDraft { from: "2026-11-04".into(), ..d() }).await, [p.grace_order]);
        assert_eq!(found(&app, SearchDraft { to: "2026-11-02".into(), ..d() }).await, [p.alan_order, a2, a1]);
        assert!(found(&app, SearchDraft { from: "2026-11-03".into(), to: "2026-11-03".into(), ..d() }).await.is_empty());
        assert_eq!(found(&app, SearchDraft { last4: "1111".into(), from: "2026-11-01".into(), to: "2026-11-02".into(), ..d() }).await, [a2, a1]);
        assert!(found(&app, SearchDraft { last4: "1111".into(), from: "2026-11-03".into(), ..d() }).await.is_empty());
        // A last 4 that hundreds of cards share (generated data's test cards) is searched newest
        // first on SQLite: the same orders are found.
        let fingerprint = "0".repeat(64);
        execute(&app.db, &format!(
            "INSERT INTO payment_methods (customer_id, provider, token, brand, card_type, first6, last4, exp_month, exp_year, fingerprint, created_at) \
             SELECT {grace}, 'test', '', 'visa', 'credit', '411111', '1111', 12, 2031, '{fingerprint}', '2026-11-01T00:00:00+00:00' FROM orders o \
             CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) a \
             CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) b \
             CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) c \
             CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) e", grace = p.grace)).await;
        assert!(scalar(&app.db, "SELECT COUNT(*) FROM payment_methods WHERE last4 = '1111'").await >= 500);
        assert_eq!(found(&app, SearchDraft { last4: "1111".into(), ..d() }).await, [a2, a1]);
        assert_eq!(found(&app, SearchDraft { last4: "1111".into(), from: "2026-11-01".into(), to: "2026-11-02".into(), ..d() }).await, [a2, a1]);

        // Keyset pages of 3 over five orders: 3 then 2, no overlap, nothing skipped.
        order_for(&app, &p.shop, ADA, "4111111111111111").await;
        let all = SearchFilters::parse(&d()).unwrap();
        let first = app.services.customers.search(&all, KeysetRequest { after: None, size: 3 }).await.unwrap();
        assert_eq!(first.items.len(), 3);
        let next = first.next.expect("a second page");
        let second = app.services.customers.search(&all, KeysetRequest { after: Some(next), size: 3 }).await.unwrap();
        assert_eq!(second.items.len(), 2);
        assert!(second.next.is_none());
        let mut ids: Vec<i64> = first.items.iter().chain(&second.items).map(|r| r.order_id.0).collect();
        let before = ids.clone();
        ids.sort_by(|a, b| b.cmp(a));
        ids.dedup();
        assert_eq!(ids, before, "newest first, no order twice");
        assert_eq!(ids.len(), 5);
        assert_eq!(first.items[0].customer_name, "Ada Lovelace");
        assert_eq!(first.items[0].customer_id, p.ada);
    }
}

both_backends! {
    /// The search page: filters in the URL, the customer's name opening the profile, htmx
    /// getting the results alone with the URL pushed, and bad filters told next to their
    /// fields (422), never a 500.
    async fn the_search_page_filters_pages_and_explains_bad_filters(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        let nav = app.get_page("/").await;
        assert!(nav.texts("nav.mainnav a").contains(&"Customer Service".to_owned()));

        let response = app.get("/customers?last4=4444").await;
        assert_eq!(response.status().as_u16(), 200);
        let page = page_of(response).await;
        assert_eq!(page.value_of("last4").as_deref(), Some("4444"), "the filter stays in the form");
        let links: Vec<String> = page.all("#search-results td a").iter().filter_map(|a| a.attr("href")).map(str::to_owned).collect();
        assert!(links.contains(&format!("/customers/{}", p.grace)), "{links:?}");
        assert!(links.contains(&format!("/orders/{}", p.grace_order)), "{links:?}");
        assert_eq!(page.all("#search-results tbody tr").len(), 1);

        let htmx = app.client.get(app.url("/customers?last_name=love")).header("HX-Request", "true").send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        assert_eq!(htmx.headers().get("HX-Push-Url").and_then(|v| v.to_str().ok()), Some("/customers?last_name=love"));
        let fragment = htmx.text().await.unwrap();
        assert!(!fragment.contains("<html"), "a fragment, not a page");
        let fragment = Page::parse(&fragment);
        assert_eq!(fragment.all("#search-results tbody tr").len(), 2);
        assert!(fragment.has("[id='last4-error'][hx-swap-oob]"), "the messages are cleared out of band");

        for (query, field) in [
            ("order_id=abc", "order_id"),
            ("last4=12", "last4"),
            ("last4=12345", "last4"),
            ("from=2026-02-30", "from"),
            ("to=yesterday", "to"),
            ("from=2026-11-05&to=2026-11-01", "to"),
            ("email=nobody", "email"),
            ("status=lost", "status"),
            ("campaign=abc", "campaign"),
            ("phone=call%20me", "phone"),
        ] {
            let response = app.get(&format!("/customers?{query}")).await;
            assert_eq!(response.status().as_u16(), 422, "{query}");
            let page = page_of(response).await;
            assert!(page.field_error(field).is_some(), "{query}: a message by {field}");
            assert!(page.all("#search-results tbody tr").is_empty(), "{query}: nothing listed");
            let htmx = app.client.get(app.url(&format!("/customers?{query}"))).header("HX-Request", "true").send().await.unwrap();
            assert_eq!(htmx.status().as_u16(), 200, "{query}");
            let fragment = Page::parse(&htmx.text().await.unwrap());
            assert!(fragment.field_error(field).is_some(), "{query}: the message swapped in by {field}");
        }
        // A malformed page key is the first page, not an error.
        assert_eq!(app.get("/customers?after=abc&after=1").await.status().as_u16(), 200);

        // The older page link carries the filters.
        for _ in 0..26 {
            order_for(&app, &p.shop, ADA, "4111111111111111").await;
        }
        let page = app.get_page("/customers?email=ada%40example.com").await;
        assert_eq!(page.all("#search-results tbody tr").len(), 25);
        let older = page.attr_of("#search-results a[rel=next]", "href").unwrap();
        assert!(older.starts_with("/customers?email=ada%40example.com&after="), "{older}");
        let page = app.get_page(&older).await;
        assert_eq!(page.all("#search-results tbody tr").len(), 3);
        assert!(page.has("#search-results a[rel=first]"));
    }
}

both_backends! {
    /// R-CS-8: the profile shows the details with a pencil each, Create New Order, Start C/S
    /// Call, History and the tabs, each tab swappable by htmx.
    async fn the_profile_shows_details_history_and_tabs(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        let response = app.get(&format!("/customers/{}", p.ada)).await;
        assert_eq!(response.status().as_u16(), 200);
        let page = page_of(response).await;
        assert_eq!(page.text("h1"), "Ada Lovelace");
        assert_eq!(page.attr_of("a.button.add[href^='/orders/new']", "href").as_deref(), Some(format!("/orders/new?customer={}", p.ada).as_str()));
        assert_eq!(page.attr_of("a[href^='tel:']", "href").as_deref(), Some("tel:+15550107788"));
        for field in ["name", "email", "phone", "billing", "shipping"] {
            assert!(page.has(&format!("#edit-{field}")), "a pencil for {field}");
        }
        assert!(page.text("#detail-email").contains("ada@example.com"));
        assert!(page.text("#details").contains("Visa …1111"));
        assert!(page.has("#history") && page.has("dialog#note-dialog textarea[name=note]"));
        assert_eq!(page.attr_of("#add-note", "href").as_deref(), Some(format!("/customers/{}/notes/new", p.ada).as_str()));
        assert_eq!(page.all("#tab-body tbody tr").len(), 2, "Ada's two orders");
        assert!(!page.has("#blacklist-button"), "a cs_agent sees no Blacklist button");

        let page = app.get_page(&format!("/customers/{}?tab=transactions", p.ada)).await;
        assert_eq!(page.all("#tab-body tbody tr[id^=transaction-]").len(), 2);
        assert_eq!(page.all("#tab-body form[action$='/refund']").len(), 2, "settled sales can be refunded");
        assert!(page.all("#tab-body form[action$='/void']").is_empty(), "not voided once settled");
        let page = app.get_page(&format!("/customers/{}?tab=emails", p.ada)).await;
        assert_eq!(page.all("#tab-body tbody tr[id^=email-]").len(), 2, "the welcome emails");
        let page = app.get_page(&format!("/customers/{}?tab=subscriptions", p.ada)).await;
        assert!(page.text("#tab-body").contains("No subscriptions"));
        let page = app.get_page(&format!("/customers/{}?tab=fulfillments", p.ada)).await;
        assert_eq!(page.all("#tab-body tbody tr[id^=fulfillment-]").len(), 2);

        let htmx = app.client.get(app.url(&format!("/customers/{}?tab=transactions", p.ada)))
            .header("HX-Request", "true").header("HX-Target", "tab-body").send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        let body = htmx.text().await.unwrap();
        assert!(body.trim_start().starts_with("<section id=\"tab-body\""), "{body}");
        let page = app.get_page(&format!("/customers/{}?tab=transactions&after=abc&history_after=-1", p.ada)).await;
        assert_eq!(page.all("#tab-body tbody tr[id^=transaction-]").len(), 2, "a malformed key is the newest page");

        // Keyset pages of the Orders tab.
        for _ in 0..21 {
            order_for(&app, &p.shop, ADA, "4111111111111111").await;
        }
        let page = app.get_page(&format!("/customers/{}", p.ada)).await;
        assert_eq!(page.all("#tab-body tbody tr").len(), 20);
        let older = page.attr_of("#tab-body a[rel=next]", "href").unwrap();
        let page = app.get_page(&older).await;
        assert_eq!(page.all("#tab-body tbody tr").len(), 3);
        assert!(page.text("#tab-body").contains(&format!("#{}", p.ada_orders[0])));
    }
}

both_backends! {
    /// R-CS-8, R-AU-5: a pencil's inline form saves the field and logs it with the value before
    /// and after, in the event log and the customer's history; htmx gets the card back.
    async fn an_inline_edit_saves_and_logs_before_and_after(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        let id = p.ada;

        let htmx = app.client.get(app.url(&format!("/customers/{id}/edit/phone"))).header("HX-Request", "true").send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        let fragment = Page::parse(&htmx.text().await.unwrap());
        assert!(fragment.has("#details form input#phone[autofocus]"));
        // Without JavaScript the pencil is a page with the form open.
        let page = app.get_page(&format!("/customers/{id}/edit/email")).await;
        assert!(page.has("#details form input#email") && page.has("#history"));

        let response = app.post_form(&format!("/customers/{id}/edit/email"), &[("email", " Ada.King@Example.com ")]).await;
        crate::helpers::assert_redirects_to(&response, &format!("/customers/{id}"));
        assert_eq!(text(&app.db, &format!("SELECT email FROM customers WHERE id = {id}")).await, "ada.king@example.com");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'customer.updated'").await, 1);
        let before = text(&app.db, "SELECT before_json FROM events WHERE kind = 'customer.updated'").await;
        let after = text(&app.db, "SELECT after_json FROM events WHERE kind = 'customer.updated'").await;
        assert!(before.contains("ada@example.com") && after.contains("ada.king@example.com"), "{before} {after}");
        let said = text(&app.db, "SELECT body FROM customer_history WHERE kind = 'profile'").await;
        assert!(said.contains("ada@example.com") && said.contains("ada.king@example.com"), "{said}");
        let page = app.get_page(&format!("/customers/{id}")).await;
        assert!(page.flash_success().is_some());
        assert!(page.text("#history").contains("Test cs_agent"), "the author is named");

        // htmx: the card comes back with the new name and the pencil focused.
        let token = crate::helpers::csrf_in(&app.get_html(&format!("/customers/{id}")).await);
        let htmx = app.client.post(app.url(&format!("/customers/{id}/edit/name"))).header("HX-Request", "true")
            .form(&[("first_name", "Augusta Ada"), ("last_name", "King"), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        let fragment = Page::parse(&htmx.text().await.unwrap());
        assert!(fragment.text("#detail-name").contains("Augusta Ada King"));
        assert!(fragment.has("#edit-name[autofocus]"));

        // An address, and the same value again changes and logs nothing more.
        let address = [("line1", "12 St James's Square"), ("line2", ""), ("city", "London"), ("state", ""), ("postal_code", "SW1Y 4JH"), ("country", "gb")];
        app.post_form(&format!("/customers/{id}/edit/shipping"), &address).await;
        assert_eq!(text(&app.db, &format!("SELECT country FROM customer_addresses WHERE customer_id = {id} AND kind = 'shipping'")).await, "GB");
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM customer_addresses WHERE customer_id = {id} AND kind = 'billing'")).await, 0);
        app.post_form(&format!("/customers/{id}/edit/shipping"), &address).await;
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'customer.updated'").await, 3);
        let page = app.get_page(&format!("/customers/{id}")).await;
        assert!(page.text("#detail-shipping").contains("London, SW1Y 4JH, GB"));
    }
}

both_backends! {
    /// Bad input in an inline form: the message next to the field (422 without JavaScript, the
    /// form swapped back with htmx) and nothing changed or logged.
    async fn an_invalid_inline_edit_changes_nothing(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        let id = p.ada;
        for (field, form, bad) in [
            ("email", vec![("email", "not-an-email")], "email"),
            ("email", vec![("email", "")], "email"),
            ("phone", vec![("phone", "call me")], "phone"),
            ("name", vec![("first_name", ""), ("last_name", "King")], "first_name"),
            ("billing", vec![("line1", "1 Main St"), ("city", "Springfield"), ("postal_code", "62701"), ("country", "USA")], "country"),
        ] {
            let response = app.post_form(&format!("/customers/{id}/edit/{field}"), &form).await;
            assert_eq!(response.status().as_u16(), 422, "{field}");
            let page = page_of(response).await;
            assert!(page.field_error(bad).is_some(), "{field}: a message by {bad}");
            assert!(page.has(&format!("#details form input#{bad}[aria-invalid=true]")));
        }
        let token = crate::helpers::csrf_in(&app.get_html(&format!("/customers/{id}")).await);
        let htmx = app.client.post(app.url(&format!("/customers/{id}/edit/email"))).header("HX-Request", "true")
            .form(&[("email", "ada@"), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        let fragment = Page::parse(&htmx.text().await.unwrap());
        assert!(fragment.field_error("email").is_some());
        assert_eq!(fragment.value_of("email").as_deref(), Some("ada@"), "what was typed is kept");
        assert_eq!(text(&app.db, &format!("SELECT email FROM customers WHERE id = {id}")).await, "ada@example.com");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'customer.updated'").await, 0);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'profile'").await, 0);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_addresses").await, 0);
    }
}

both_backends! {
    /// R-CS-8's "add a note": saved with its author, newest first, logged; an empty note and
    /// one of 100 KB are refused with a message by the field.
    async fn a_note_is_added_and_bad_ones_are_refused(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        let id = p.ada;
        let page = app.get_page(&format!("/customers/{id}/notes/new")).await;
        assert!(page.has("form[action$='/notes'] textarea#note"), "the + without JavaScript");

        let response = app.post_form(&format!("/customers/{id}/notes"), &[("note", "Called about the refund.\nWill call back.")]).await;
        crate::helpers::assert_redirects_to(&response, &format!("/customers/{id}"));
        let page = app.get_page(&format!("/customers/{id}")).await;
        let entry = page.text("#history .history-entry");
        assert!(entry.contains("Called about the refund.") && entry.contains("Test cs_agent"), "{entry}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'customer.note_added'").await, 1);

        let huge = "x".repeat(100 * 1024);
        for bad in ["", "   \n ", huge.as_str()] {
            let response = app.post_form(&format!("/customers/{id}/notes"), &[("note", bad)]).await;
            assert_eq!(response.status().as_u16(), 422, "{} chars", bad.len());
            assert!(page_of(response).await.field_error("note").is_some());
        }
        let token = crate::helpers::csrf_in(&app.get_html(&format!("/customers/{id}")).await);
        let htmx = app.client.post(app.url(&format!("/customers/{id}/notes"))).header("HX-Request", "true")
            .form(&[("note", ""), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        assert!(Page::parse(&htmx.text().await.unwrap()).field_error("note").is_some());
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'note'").await, 1);

        let htmx = app.client.post(app.url(&format!("/customers/{id}/notes"))).header("HX-Request", "true")
            .form(&[("note", "Second note"), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(htmx.status().as_u16(), 200);
        assert_eq!(htmx.headers().get("HX-Retarget").and_then(|v| v.to_str().ok()), Some("#history"));
        let fragment = Page::parse(&htmx.text().await.unwrap());
        assert_eq!(fragment.texts("#history .history-body")[0], "Second note", "newest first");
    }
}

both_backends! {
    /// Ids that are not this customer's, or nobody's, are not found; the email of one customer
    /// cannot be resent through another's path.
    async fn ids_of_nobody_or_of_another_customer_are_not_found(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        for path in ["/customers/999999", "/customers/abc", "/customers/0", "/customers/999999/edit/email", "/customers/999999/notes/new"] {
            assert_eq!(app.get(path).await.status().as_u16(), 404, "{path}");
        }
        assert_eq!(app.get(&format!("/customers/{}/edit/password", p.ada)).await.status().as_u16(), 404);
        for path in ["/customers/999999/edit/email", "/customers/999999/notes"] {
            let response = app.post_form(path, &[("email", "x@example.com"), ("note", "hello")]).await;
            assert_eq!(response.status().as_u16(), 404, "{path}");
        }
        let email = scalar(&app.db, &format!("SELECT MIN(id) FROM outbox WHERE customer_id = {}", p.ada)).await;
        let response = app.post_form(&format!("/customers/{}/emails/{email}/resend", p.grace), &[]).await;
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'email.resent'").await, 0);
    }
}

both_backends! {
    /// R-CS-5: a cs_agent sees no Blacklist button, and posting it by hand is refused (403) and
    /// changes nothing.
    async fn r_cs_5_a_cs_agent_cannot_blacklist(app) {
        let p = people(&app).await;
        app.login_as_new("cs_agent").await;
        assert!(!app.get_page(&format!("/customers/{}", p.ada)).await.has("#blacklist-button"));
        let response = app.post_form(&format!("/customers/{}/blacklist", p.ada), &[("confirm", "yes"), ("reason", "fraud")]).await;
        assert_eq!(response.status().as_u16(), 403);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM blacklist").await, 0);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customers WHERE blacklisted = TRUE").await, 0);
    }
}

both_backends! {
    /// R-CS-5 with R-OR-4: a cs_admin blacklists from the profile (asked first, with a reason);
    /// the profile then says so, and a new order with that email is refused.
    async fn r_cs_5_a_cs_admin_blacklists_and_new_orders_are_refused(app) {
        let p = people(&app).await;
        app.login_as_new("cs_admin").await;
        let id = p.grace;
        let page = app.get_page(&format!("/customers/{id}")).await;
        assert!(page.has("#blacklist-button"));
        let ask = app.post_form(&format!("/customers/{id}/blacklist"), &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = page_of(ask).await;
        assert!(ask.has("form input#reason") && ask.value_of("confirm").as_deref() == Some("yes"));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM blacklist").await, 0, "asking changes nothing");

        let no_reason = app.post_form(&format!("/customers/{id}/blacklist"), &[("confirm", "yes"), ("reason", " ")]).await;
        assert_eq!(no_reason.status().as_u16(), 422);
        assert!(page_of(no_reason).await.field_error("reason").is_some());

        let done = app.post_form(&format!("/customers/{id}/blacklist"), &[("confirm", "yes"), ("reason", "Chargeback fraud")]).await;
        crate::helpers::assert_redirects_to(&done, &format!("/customers/{id}"));
        assert!(scalar(&app.db, &format!("SELECT COUNT(*) FROM blacklist WHERE customer_id = {id}")).await >= 2);
        let page = app.get_page(&format!("/customers/{id}")).await;
        assert!(page.has("#blacklisted a[href='/blacklist']") && !page.has("#blacklist-button"));
        assert!(page.text("#history").contains("Blacklisted (Chargeback fraud)"), "the History says so: {}", page.text("#history"));
        let again = app.post_form(&format!("/customers/{id}/blacklist"), &[("confirm", "yes"), ("reason", "again")]).await;
        assert_eq!(again.status().as_u16(), 303);

        let mut draft = sale(&p.shop, "4111111111111111", &[(p.shop.one_off, 1)]);
        draft.customer.email = GRACE.2.to_owned();
        draft.customer.phone = String::new();
        let refused = app.services.orders.place(&actor(), &draft, None).await;
        assert!(matches!(refused, Err(SaleError::Blacklisted)), "{refused:?}");
        assert_eq!(app.services.orders.details(p.alan_order).await.unwrap().order.status, OrderStatus::Declined);
    }
}

both_backends! {
    /// The search reads orders by index for every filter an agent types (email, phone, a name
    /// prefix, order id, last 4 with and without a date range, a date range): no plan scans the
    /// orders table. PostgreSQL is asked for its generic plan (what a prepared statement runs)
    /// with sequential scans priced out, so the plan shows that a matching index exists.
    async fn search_plans_read_orders_by_index(app) {
        use recoup::db::Dialect;
        use recoup::db::customers::search_sql;
        let d = SearchDraft::default;
        for draft in [
            SearchDraft { email: "a@b.co".into(), ..d() },
            SearchDraft { phone: "+1 555 010 7788".into(), ..d() },
            SearchDraft { last_name: "smi".into(), ..d() },
            SearchDraft { first_name: "jo".into(), ..d() },
            SearchDraft { first_name: "jo".into(), last_name: "smi".into(), ..d() },
            SearchDraft { order_id: "42".into(), ..d() },
            SearchDraft { last4: "4242".into(), ..d() },
            SearchDraft { last4: "4242".into(), from: "2026-01-01".into(), to: "2026-01-31".into(), ..d() },
            SearchDraft { from: "2026-01-01".into(), to: "2026-01-31".into(), ..d() },
        ] {
            let filters = SearchFilters::parse(&draft).unwrap();
            let page = KeysetRequest { after: Some(OrderId(1000)), size: 25 };
            let plan = match &app.db {
                Db::Sqlite(pool) => {
                    let sql = search_sql(&filters, page, Dialect::Sqlite);
                    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
                    for _ in 0..sql.matches('?').count() {
                        query = query.bind(1i64);
                    }
                    let rows = query.fetch_all(pool).await.unwrap();
                    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
                }
                Db::Postgres(pool) => {
                    use sqlx::Row;
                    let sql = search_sql(&filters, page, Dialect::Postgres);
                    let n = sql.matches('$').count();
                    let args: Vec<&str> = (1..=n).map(|i| {
                        let at = sql.find(&format!("${i}")).unwrap();
                        let before = &sql[..at];
                        if before.ends_with("created_at >= ") || before.ends_with("created_at < ") { "'2026-01-01'" } else { "'1'" }
                    }).collect();
                    let mut conn = pool.acquire().await.unwrap();
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; PREPARE plan_check AS {sql}"
                    ))).execute(&mut *conn).await.unwrap();
                    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("EXPLAIN EXECUTE plan_check({})", args.join(", "))))
                        .fetch_all(&mut *conn).await.unwrap();
                    sqlx::raw_sql("DEALLOCATE plan_check; RESET enable_seqscan; RESET plan_cache_mode").execute(&mut *conn).await.unwrap();
                    rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>().join("\n")
                }
            };
            assert!(plan.contains("SEARCH o ") || plan.contains("on orders o"), "{draft:?} reads orders:\n{plan}");
            for line in plan.lines() {
                let scans_orders = line.trim_start().starts_with("SCAN o") || line.contains("Seq Scan on orders");
                assert!(!scans_orders, "{draft:?} scans the orders table:\n{plan}");
            }
        }
    }
}
