//! PrePaid BIN mapping (`/gateways/bins`): the merchant's debit and prepaid BINs, read before the
//! built-in table (R-MID-3).

use crate::both_backends;
use crate::helpers::{Page, TestApp};
use recoup::domain::card::{BinRangeDraft, Brand, CardNumber, CardType};
use recoup::domain::event::{Actor, EventFilter, EventKind};
use recoup::domain::ids::BinRangeId;
use recoup::domain::money::{Currency, MinorUnits, Money};
use recoup::domain::page::KeysetRequest;
use recoup::domain::sale::{PassedOver, Payment, may_take};
use recoup::services::bins::BinRangeError;

async fn add_bin(app: &TestApp, bin: &str, kind: &str) -> BinRangeId {
    let draft = BinRangeDraft::parse(bin, kind, "").unwrap();
    app.services
        .bins
        .create(&Actor::system("test"), &draft)
        .await
        .unwrap()
}

/// The events of `kind` logged so far, newest first.
async fn logged(app: &TestApp, kind: EventKind) -> Vec<recoup::domain::event::Event> {
    let filter = EventFilter {
        kind: Some(kind),
        ..EventFilter::default()
    };
    let page = KeysetRequest {
        after: None,
        size: 50,
    };
    app.services.events.list(&filter, page).await.unwrap().items
}

/// The BINs listed on a page of `/gateways/bins`.
fn listed(page: &Page) -> Vec<String> {
    page.texts("#bins tr[id^='bin-'] td:first-child")
}

both_backends! {
    /// R-MID-3: a BIN the merchant maps as prepaid is read as prepaid, so a MID blocking prepaid
    /// cards refuses the card; the merchant's row overrides the built-in table.
    async fn r_mid_3_a_mapped_prepaid_bin_is_read_as_prepaid(app) {
        let visa = CardNumber::parse("4111111111111111").unwrap();
        assert_eq!(app.services.bins.bin_of(&visa).await.unwrap().card_type, CardType::Credit, "unmapped: credit");
        add_bin(&app, "411111", "prepaid").await;
        let bin = app.services.bins.bin_of(&visa).await.unwrap();
        assert_eq!((bin.brand, bin.card_type), (Brand::Visa, CardType::Prepaid), "mapped: prepaid, brand kept");
        assert_eq!(recoup::db::bins::card_type_of(&app.db, "411111").await.unwrap(), Some(CardType::Prepaid));
        assert_eq!(recoup::db::bins::card_type_of(&app.db, "999999").await.unwrap(), None);

        let mut form = recoup::web::mids::MidForm { title: "No prepaid".into(), provider: "test".into(), enabled: Some("on".into()), accept_visa: Some("on".into()), block_prepaid: Some("on".into()), ..Default::default() };
        form.accept_mastercard = Some("on".into());
        let id = app.services.mids.create(&Actor::system("test"), &form.draft(false).unwrap()).await.unwrap();
        let mid = app.services.mids.find(id).await.unwrap();
        let amount = Money::new(MinorUnits::from_minor(100), Currency::Usd);
        let zero = Money::new(MinorUnits::from_minor(0), Currency::Usd);
        assert_eq!(may_take(&mid, Payment::Card(bin), amount, zero), Err(PassedOver::BlocksPrepaid));
        let other = CardNumber::parse("5555555555554444").unwrap();
        assert_eq!(may_take(&mid, Payment::Card(app.services.bins.bin_of(&other).await.unwrap()), amount, zero), Ok(()));

        let built_in = CardNumber::parse("5105105105105100").unwrap();
        assert_eq!(app.services.bins.bin_of(&built_in).await.unwrap().card_type, CardType::Prepaid, "built in");
        add_bin(&app, "510510", "debit").await;
        assert_eq!(app.services.bins.bin_of(&built_in).await.unwrap().card_type, CardType::Debit, "the merchant's row wins");
    }
}

both_backends! {
    async fn a_bin_is_added_from_the_page_and_logged(app) {
        app.login_as_new("merchant").await;
        let index = app.get_page("/gateways").await;
        assert!(index.has("a[href='/gateways/bins']"), "the Gateways page links here");
        let empty = app.get_page("/gateways/bins").await;
        assert!(listed(&empty).is_empty());
        assert_eq!(empty.selected("card_type").as_deref(), Some("prepaid"));
        assert_eq!(empty.texts("#built-in-bins tbody td:first-child"), ["400005", "520082", "510510"], "the built-in table, read-only");
        assert!(!empty.has("#built-in-bins form"));

        let added = app.post_form("/gateways/bins", &[("bin", " 411111 "), ("card_type", "prepaid"), ("note", "Gift cards")]).await;
        assert_redirects_to(&added, "/gateways/bins");
        let page = app.get_page("/gateways/bins").await;
        assert_eq!(page.flash_success().as_deref(), Some("BIN 411111 mapped."));
        assert_eq!(listed(&page), ["411111"]);
        assert_eq!(page.texts("#bins tr[id^='bin-'] td")[..3], ["411111", "Prepaid", "Gift cards"]);

        let events = logged(&app, EventKind::BinRangeCreated).await;
        assert_eq!(events.len(), 1);
        let after = events[0].after.clone().unwrap_or_default();
        assert!(after.contains("\"bin\":\"411111\"") && after.contains("\"card_type\":\"prepaid\"") && after.contains("Gift cards"), "{after}");
        assert_eq!(events[0].subject_name.as_deref(), Some("BIN 411111"), "the log names the row");
    }
}

both_backends! {
    async fn bad_bins_are_refused_next_to_the_field_and_nothing_is_saved(app) {
        app.login_as_new("merchant").await;
        for bad in ["12345", "abcdef", "1234567", "", "4111 1"] {
            let response = app.post_form("/gateways/bins", &[("bin", bad), ("card_type", "debit")]).await;
            assert_eq!(response.status().as_u16(), 422, "{bad:?}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), ["bin"], "{bad:?}");
            assert_eq!(page.value_of("bin").as_deref(), Some(bad), "the typed value is kept");
            assert_eq!(page.selected("card_type").as_deref(), Some("debit"));
            assert_eq!(page.attr_of("#bin", "aria-invalid").as_deref(), Some("true"));
            assert!(page.has("#error-summary a[href='#bin']"), "the summary links to the field");
        }
        let long = "n".repeat(201);
        let response = app.post_form("/gateways/bins", &[("bin", "abc"), ("card_type", "credit"), ("note", &long)]).await;
        assert_eq!(page_of(response).await.fields_with_errors(), ["bin", "card_type", "note"], "every message at once");

        assert_redirects_to(&app.post_form("/gateways/bins", &[("bin", "411111"), ("card_type", "prepaid")]).await, "/gateways/bins");
        let dup = app.post_form("/gateways/bins", &[("bin", "411111"), ("card_type", "debit")]).await;
        assert_eq!(dup.status().as_u16(), 422);
        let dup = page_of(dup).await;
        assert_eq!(dup.fields_with_errors(), ["bin"]);
        assert!(dup.field_error("bin").unwrap().contains("already mapped as prepaid"), "{:?}", dup.field_error("bin"));
        assert_eq!(listed(&app.get_page("/gateways/bins").await), ["411111"], "only the first was saved");
        assert_eq!(logged(&app, EventKind::BinRangeCreated).await.len(), 1);
    }
}

both_backends! {
    /// Two people adding one BIN at once: one row, and the other gets the message by the field,
    /// from the unique constraint when both passed the check.
    async fn a_duplicate_bin_under_a_race_is_a_message_by_the_field(app) {
        let draft = BinRangeDraft::parse("424242", "debit", "").unwrap();
        let tries = (0..8).map(|_| {
            let services = app.services.clone();
            let draft = draft.clone();
            tokio::spawn(async move { services.bins.create(&Actor::system("test"), &draft).await })
        });
        let results: Vec<_> = futures_join(tries).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        for lost in results.iter().filter_map(|r| r.as_ref().err()) {
            let errors = lost.field_errors().unwrap_or_else(|| panic!("a field message, not {lost:?}"));
            assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["bin"]);
        }
        // The constraint itself, behind the service's check: named, so the service can say so.
        let now = app.clock_now();
        let again = recoup::db::bins::insert(&app.db, &draft, now).await.unwrap_err();
        assert!(again.is_unique(recoup::db::Constraint::BinRangeBin), "{again:?}");
        assert!(matches!(BinRangeError::Taken.field_errors().map(|e| e.get("bin").map(str::to_owned)), Some(Some(_))));
    }
}

/// Awaits every task, in order.
async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}

both_backends! {
    async fn a_bin_is_removed_after_a_confirmation_page(app) {
        app.login_as_new("merchant").await;
        let id = add_bin(&app, "510510", "debit").await;
        let path = format!("/gateways/bins/{id}/delete");
        let ask = app.post_form(&path, &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = page_of(ask).await;
        assert_eq!(ask.text("h1"), "Remove the mapping for BIN 510510?");
        assert!(ask.text("section.card p").contains("read as prepaid again, as the built-in table says, instead of debit"), "the built-in type comes back: {}", ask.text("section.card p"));
        assert_eq!(ask.attr_of("form[action] input[name=confirm]", "value").as_deref(), Some("yes"));
        assert_eq!(listed(&app.get_page("/gateways/bins").await), ["510510"], "asking removes nothing");

        assert_redirects_to(&app.post_form(&path, &[("confirm", "yes")]).await, "/gateways/bins");
        let page = app.get_page("/gateways/bins").await;
        assert_eq!(page.flash_success().as_deref(), Some("BIN 510510 mapping removed."));
        assert!(listed(&page).is_empty());
        let events = logged(&app, EventKind::BinRangeDeleted).await;
        assert_eq!(events.len(), 1);
        assert!(events[0].before.clone().unwrap_or_default().contains("510510"));
        assert_eq!(app.post_form(&path, &[("confirm", "yes")]).await.status().as_u16(), 404, "gone");
        assert_eq!(app.post_form("/gateways/bins/999/delete", &[]).await.status().as_u16(), 404);
    }
}

both_backends! {
    async fn the_list_is_searched_by_prefix_and_paginated(app) {
        app.login_as_new("merchant").await;
        for i in 0..30 {
            add_bin(&app, &format!("4{i:05}"), "prepaid").await;
        }
        add_bin(&app, "520000", "debit").await;
        let first = app.get_page("/gateways/bins").await;
        assert_eq!(listed(&first).len(), 25, "25 a page");
        assert_eq!(listed(&first)[0], "400000", "by BIN");
        assert!(first.has("nav.pager a[rel=next][href='/gateways/bins?page=2']"));
        assert_eq!(listed(&app.get_page("/gateways/bins?page=2").await), ["400025", "400026", "400027", "400028", "400029", "520000"]);
        assert_eq!(listed(&app.get_page("/gateways/bins?q=5").await), ["520000"]);
        let prefix = app.get_page("/gateways/bins?q=40001").await;
        assert_eq!(listed(&prefix).len(), 10, "400010 to 400019");
        assert!(prefix.attr_of("details.filter-panel", "open").is_some(), "a set search opens the panel");
        assert_eq!(listed(&app.get_page("/gateways/bins?q=400029").await), ["400029"]);
        for bad in ["abc", "4000000", "4%25"] {
            let response = app.get(&format!("/gateways/bins?q={bad}")).await;
            assert_eq!(response.status().as_u16(), 200, "{bad}");
            let page = page_of(response).await;
            assert!(listed(&page).is_empty(), "{bad}");
            assert_eq!(page.fields_with_errors(), ["q"], "{bad}");
        }
        assert_eq!(app.get("/gateways/bins?page=zz&q=").await.status().as_u16(), 200);
    }
}

both_backends! {
    async fn cs_agents_may_not_see_or_change_bins(app) {
        let id = add_bin(&app, "411111", "prepaid").await;
        app.login_as_new("cs_agent").await;
        assert_eq!(app.get("/gateways/bins").await.status().as_u16(), 403);
        assert_eq!(app.post_form("/gateways/bins", &[("bin", "422222"), ("card_type", "debit")]).await.status().as_u16(), 403);
        assert_eq!(app.post_form(&format!("/gateways/bins/{id}/delete"), &[("confirm", "yes")]).await.status().as_u16(), 403);
        assert!(app.services.bins.find(id).await.is_ok(), "still there");
        assert!(recoup::db::bins::card_type_of(&app.db, "422222").await.unwrap().is_none(), "nothing added");
    }
}

/// Runs raw SQL on one connection of the app's pool (so a per-connection pragma holds).
async fn raw(app: &TestApp, sqlite: &[&str], postgres: &[&str]) {
    match &app.db {
        recoup::db::Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await.unwrap();
            for sql in sqlite {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
        }
        recoup::db::Db::Postgres(pool) => {
            let mut conn = pool.acquire().await.unwrap();
            for sql in postgres {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
        }
    }
}

both_backends! {
    /// A stored type the code does not know (credit is never a row) is an error, never read as
    /// a plausible type: a card is not let through a MID that blocks prepaid by a guess.
    async fn a_bin_row_with_an_unknown_type_is_never_guessed(app) {
        let sql = "INSERT INTO bin_ranges (bin, card_type, note, created_at) VALUES ('411111', 'credit', '', '2026-11-02T09:00:00Z')";
        raw(
            &app,
            &["PRAGMA ignore_check_constraints = ON", sql, "PRAGMA ignore_check_constraints = OFF"],
            &["ALTER TABLE bin_ranges DROP CONSTRAINT bin_ranges_card_type_check", sql],
        )
        .await;
        assert!(recoup::db::bins::card_type_of(&app.db, "411111").await.is_err());
        let visa = CardNumber::parse("4111111111111111").unwrap();
        assert!(app.services.bins.bin_of(&visa).await.is_err(), "the service refuses to guess");
        app.login_as_new("merchant").await;
        assert_eq!(app.get("/gateways/bins").await.status().as_u16(), 500);
    }
}
