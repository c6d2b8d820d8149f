//! Rerun (R-EN-5, issue #11 item 4): a declined new sale is charged again on a MID the agent
//! picks directly, never through an ATRI profile nor cascaded; declined upsales are never rerun
//! (R-OR-5) and a rerun posted by hand for one answers 409. A one-time key charges once; two
//! reruns at once charge once.

use recoup::domain::ids::{MidId, OrderId};
use recoup::domain::order::{OrderKind, OrderStatus};
use recoup::services::orders::SaleError;
use serde_json::json;

use crate::api_platform::new_key;
use crate::both_backends;
use crate::helpers::{Page, TestApp, location, new_client};
use crate::orders::{Shop, actor, mid_draft, sale, scalar, shop};

/// 4000000000000341 declines (51, soft) on the first 3 charges of its token, approves from the
/// 4th: a declined new sale of the kit and the refill (no cascade: the shop has no backups).
async fn declined_sale(app: &TestApp) -> (Shop, OrderId) {
    let shop = shop(app, 0).await;
    let draft = sale(
        &shop,
        "4000000000000341",
        &[(shop.one_off, 1), (shop.recurring, 1)],
    );
    let id = app
        .services
        .orders
        .place(&actor(), &draft, None)
        .await
        .unwrap();
    let details = app.services.orders.details(id).await.unwrap();
    assert_eq!(details.order.status, OrderStatus::Declined);
    (shop, id)
}

async fn charges(app: &TestApp, order: OrderId) -> i64 {
    scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM transactions WHERE order_id = {order} AND kind = 'sale'"),
    )
    .await
}

both_backends! {
    /// R-EN-5: reruns on the MID chosen directly, each recorded beside the first decline; the
    /// approved one completes the order on that MID with its subscription, fulfillment and
    /// welcome email; then there is nothing left to rerun.
    async fn r_en_5_a_declined_new_sale_is_rerun_on_the_mid_chosen(app) {
        let (_, order) = declined_sale(&app).await;
        let other = app.services.mids.create(&actor(), &mid_draft("Rerun desk")).await.unwrap();
        for n in 2..=3 {
            let rerun = app.services.orders.rerun(&actor(), order, other, None).await.unwrap();
            assert!(!rerun.approved, "charge {n} declines");
            assert!(rerun.response.starts_with("51"), "{}", rerun.response);
            assert_eq!(app.services.orders.details(order).await.unwrap().order.status, OrderStatus::Declined);
        }
        let rerun = app.services.orders.rerun(&actor(), order, other, None).await.unwrap();
        assert!(rerun.approved, "the 4th charge of the token approves");
        let d = app.services.orders.details(order).await.unwrap();
        assert_eq!((d.order.status, d.order.mid_id), (OrderStatus::Complete, Some(other)));
        assert_eq!(d.transactions.len(), 4);
        assert!(d.transactions.iter().skip(1).all(|t| t.mid_id == other), "every rerun on the MID chosen");
        assert_eq!(d.subscriptions.len(), 1, "R-OR-3 on approval");
        assert_eq!(d.subscriptions[0].mid_id, other, "billing on the MID that took it");
        assert_eq!(d.fulfillments.len(), 1);
        assert!(d.notes.iter().any(|n| n.body.contains("Rerun on Rerun desk")), "{:?}", d.notes);
        let welcome: i64 = scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'welcome'")).await;
        assert_eq!(welcome, 1);
        let logged: i64 = scalar(&app.db, &format!("SELECT COUNT(*) FROM events WHERE kind = 'order.rerun' AND subject = 'order:{order}'")).await;
        assert_eq!(logged, 3);

        let again = app.services.orders.rerun(&actor(), order, other, None).await;
        assert!(matches!(again, Err(SaleError::NotRerunnable(_))), "{again:?}");
        assert_eq!(charges(&app, order).await, 4);
    }
}

both_backends! {
    /// R-OR-5: a declined upsale is never rerun; nor is an approved sale.
    async fn r_en_5_upsales_and_approved_sales_are_not_rerun(app) {
        let shop = shop(&app, 0).await;
        // 9995 approves at or below 20.00 and declines above.
        let parent = app.services.orders.place(&actor(), &sale(&shop, "4000000000009995", &[(shop.one_off, 1)]), None).await.unwrap();
        let items = [recoup::domain::order::ItemDraft { product_id: shop.one_off.0, quantity: 2, option: None }];
        let upsale = app.services.orders.upsale(&actor(), parent, &items, None).await.unwrap();
        let up = app.services.orders.details(upsale).await.unwrap().order;
        assert_eq!((up.kind, up.status), (OrderKind::Upsale, OrderStatus::Declined));
        for order in [upsale, parent] {
            let refused = app.services.orders.rerun(&actor(), order, shop.main, None).await;
            assert!(matches!(refused, Err(SaleError::NotRerunnable(_))), "{refused:?}");
            assert!(app.services.orders.rerun_mids(&app.services.orders.details(order).await.unwrap().order).await.unwrap().is_empty());
        }
        assert_eq!(charges(&app, upsale).await, 1, "nothing charged");
    }
}

both_backends! {
    /// A MID that cannot take the sale is refused next to the field, with nothing charged:
    /// unknown, disabled, or a partner (salvage-only) MID.
    async fn r_en_5_a_mid_that_cannot_take_it_is_refused(app) {
        let (_, order) = declined_sale(&app).await;
        let off = app.services.mids.create(&actor(), &mid_draft("Off desk")).await.unwrap();
        app.services.mids.set_enabled(&actor(), off, false).await.unwrap();
        let flex = app.services.mids.create(&actor(), &recoup::domain::mid::MidDraft {
            provider: recoup::domain::provider::Provider::FlexFactor,
            ..mid_draft("Flex partner")
        }).await;
        let mut refused = vec![MidId(999_999), off];
        if let Ok(flex) = flex {
            refused.push(flex);
        }
        for mid in refused {
            match app.services.orders.rerun(&actor(), order, mid, None).await {
                Err(SaleError::Invalid(errors)) => assert!(errors.get("mid_id").is_some(), "{errors:?}"),
                other => panic!("MID {mid}: {other:?}"),
            }
        }
        assert_eq!(charges(&app, order).await, 1);
        assert_eq!(app.services.orders.details(order).await.unwrap().order.status, OrderStatus::Declined, "left as it was");
    }
}

both_backends! {
    /// The one-time key: the same rerun sent twice charges once (the second is refused as
    /// recorded); while one rerun holds the order, another is refused and charges nothing.
    async fn a_rerun_charges_once_however_often_it_is_sent(app) {
        let (shop, order) = declined_sale(&app).await;
        let first = app.services.orders.rerun(&actor(), order, shop.main, Some("click-1")).await.unwrap();
        assert!(!first.approved);
        let replay = app.services.orders.rerun(&actor(), order, shop.main, Some("click-1")).await;
        assert!(matches!(replay, Err(SaleError::AlreadyRecorded)), "{replay:?}");
        assert_eq!(charges(&app, order).await, 2);

        // Another rerun holding the order (its charge under way): this one is refused and
        // charges nothing; once that one ends, a rerun goes ahead.
        assert!(recoup::db::order_actions::claim_rerun(&app.db, order, app.clock_now()).await.unwrap());
        let meanwhile = app.services.orders.rerun(&actor(), order, shop.main, Some("tab-b")).await;
        assert!(matches!(meanwhile, Err(SaleError::NotRerunnable(_))), "{meanwhile:?}");
        assert_eq!(charges(&app, order).await, 2);
        recoup::db::order_actions::finish_rerun(&app.db, order, None, app.clock_now()).await.unwrap();
        app.services.orders.rerun(&actor(), order, shop.main, Some("tab-b")).await.unwrap();
        assert_eq!(charges(&app, order).await, 3);
        assert_eq!(app.services.orders.details(order).await.unwrap().order.status, OrderStatus::Declined);
    }
}

both_backends! {
    /// The page: a declined sale offers Rerun to an agent; the confirmation names the amount
    /// and card; confirming reruns once; an upsale posted by hand answers 409.
    async fn the_order_page_reruns_a_declined_sale(app) {
        let (shop, order) = declined_sale(&app).await;
        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/orders/{order}")).await;
        assert!(page.has("#rerun select[name=mid_id]"), "Rerun is offered");

        let ask = app.post_form(&format!("/orders/{order}/rerun"), &[("mid_id", &shop.main.to_string())]).await;
        assert_eq!(ask.status(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert!(ask.text("h1").contains("Rerun order"));
        assert!(ask.text("main").contains("Visa …0341"), "{}", ask.text("main"));
        assert_eq!(charges(&app, order).await, 1, "asking charges nothing");

        let missing = app.post_form(&format!("/orders/{order}/rerun"), &[("confirm", "yes"), ("mid_id", "")]).await;
        assert_eq!(missing.status(), 422);
        assert!(Page::parse(&missing.text().await.unwrap()).field_error("mid_id").is_some());

        let done = app.post_form(&format!("/orders/{order}/rerun"), &[("confirm", "yes"), ("mid_id", &shop.main.to_string()), ("key", "page-key")]).await;
        assert_eq!(location(&done), format!("/orders/{order}"));
        let again = app.post_form(&format!("/orders/{order}/rerun"), &[("confirm", "yes"), ("mid_id", &shop.main.to_string()), ("key", "page-key")]).await;
        assert_eq!(again.status(), 409, "the double click is refused");
        assert_eq!(charges(&app, order).await, 2);

        let parent = app.services.orders.place(&actor(), &sale(&shop, "4000000000009995", &[(shop.one_off, 1)]), None).await.unwrap();
        let items = [recoup::domain::order::ItemDraft { product_id: shop.one_off.0, quantity: 2, option: None }];
        let upsale = app.services.orders.upsale(&actor(), parent, &items, None).await.unwrap();
        assert!(!app.get_page(&format!("/orders/{upsale}")).await.has("#rerun"), "no Rerun on an upsale");
        let forced = app.post_form(&format!("/orders/{upsale}/rerun"), &[("confirm", "yes"), ("mid_id", &shop.main.to_string())]).await;
        assert_eq!(forced.status(), 409);
        assert_eq!(charges(&app, upsale).await, 1);
    }
}

both_backends! {
    /// `POST /api/v1/orders/{id}/rerun` on the same service: 200 with the order, 409 for an
    /// upsale, 422 for a MID that cannot take it, 404 for no such order.
    async fn the_api_reruns_a_declined_sale(app) {
        let (shop, order) = declined_sale(&app).await;
        let key = new_key(&app, "Checkout").await;
        let post = |path: String, body: serde_json::Value| {
            let request = new_client().post(app.url(&path)).bearer_auth(&key).json(&body);
            async move { request.send().await.unwrap() }
        };
        let bad = post(format!("/api/v1/orders/{order}/rerun"), json!({"mid_id": 999_999})).await;
        assert_eq!(bad.status(), 422);
        let body: serde_json::Value = bad.json().await.unwrap();
        assert!(body["error"]["fields"]["mid_id"].is_string(), "{body}");
        assert_eq!(post(format!("/api/v1/orders/{order}/rerun"), json!({"mid": 1})).await.status(), 422, "an unknown field");
        let malformed = new_client().post(app.url(&format!("/api/v1/orders/{order}/rerun"))).bearer_auth(&key)
            .header("content-type", "application/json").body("{\"mid_id\": ").send().await.unwrap();
        assert_eq!(malformed.status(), 400);
        assert_eq!(post("/api/v1/orders/999999/rerun".to_owned(), json!({"mid_id": shop.main.0})).await.status(), 404);

        let ok = post(format!("/api/v1/orders/{order}/rerun"), json!({"mid_id": shop.main.0})).await;
        assert_eq!(ok.status(), 200);
        let view: serde_json::Value = ok.json().await.unwrap();
        assert_eq!(view["status"], "declined");
        assert_eq!(view["transactions"].as_array().unwrap().len(), 2);

        let parent = app.services.orders.place(&actor(), &sale(&shop, "4000000000009995", &[(shop.one_off, 1)]), None).await.unwrap();
        let items = [recoup::domain::order::ItemDraft { product_id: shop.one_off.0, quantity: 2, option: None }];
        let upsale = app.services.orders.upsale(&actor(), parent, &items, None).await.unwrap();
        let refused = post(format!("/api/v1/orders/{upsale}/rerun"), json!({"mid_id": shop.main.0})).await;
        assert_eq!(refused.status(), 409);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "order_not_rerunnable");
    }
}
