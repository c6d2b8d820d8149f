//! Purchase details (seed 004, R-CS-6, R-CS-7) at the service level, through the page and
//! through the API: restart, skip or stop a trial; change the option, the quantity and unit
//! price (price = quantity x unit price), the next billing date; cancel with a reason; pause and
//! resume; force bill the current cycle (approved: the cycle advances; declined: recorded on the
//! subscription and its order; a double submission bills once). Each change is in the event log
//! and the customer's history; a cancelled subscription refuses every change.

use chrono::Duration;
use serde_json::{Value, json};

use recoup::domain::ids::{OrderId, SubscriptionId};
use recoup::domain::order::SubscriptionStatus;
use recoup::domain::subscription::SubscriptionDetails;
use recoup::services::subscriptions::{SubscriptionError, Target};

use crate::api_platform::new_key;
use crate::both_backends;
use crate::helpers::{Page, TestApp, csrf_in, location, new_client};
use crate::orders::{Shop, actor, sale, scalar, shop, usd};

/// A new sale of the recurring refill (14-day trial at 1.99, then 49.99 every 30 days) paid
/// with `card` in `shop`: its order and subscription.
async fn subscribe(app: &TestApp, shop: &Shop, card: &str) -> (OrderId, SubscriptionId) {
    let draft = sale(shop, card, &[(shop.recurring, 1)]);
    let order = app
        .services
        .orders
        .place(&actor(), &draft, None)
        .await
        .unwrap();
    let details = app.services.orders.details(order).await.unwrap();
    (order, details.subscriptions[0].id)
}

/// A campaign on `shop`'s MID selling a recurring product with options: Small at the
/// product's 19.99, Large at 29.99.
async fn vitamins_store(app: &TestApp, shop: &Shop) -> Shop {
    use recoup::domain::catalogue::{
        CampaignDraft, ProductDraft, ProductOption, SalesRoute, Trial,
    };
    let product = app
        .services
        .catalogue
        .create_product(
            &actor(),
            &ProductDraft {
                name: "Vitamins monthly".to_owned(),
                sku: "VIT-30".to_owned(),
                price: usd(1999),
                trial: Some(Trial {
                    days: 14,
                    price: usd(0),
                }),
                cycle_days: Some(30),
                options: vec![
                    ProductOption {
                        name: "Small".to_owned(),
                        price: None,
                    },
                    ProductOption {
                        name: "Large".to_owned(),
                        price: Some(usd(2999)),
                    },
                ],
                shippable: false,
            },
        )
        .await
        .unwrap();
    let campaign = app
        .services
        .catalogue
        .create_campaign(
            &actor(),
            &CampaignDraft {
                name: "Vitamins".to_owned(),
                currency: recoup::domain::money::Currency::Usd,
                route: Some(SalesRoute::Mid(shop.main)),
                products: vec![product],
                recycling: true,
                notify: Vec::new(),
                welcome_subject: String::new(),
                welcome_body: String::new(),
            },
        )
        .await
        .unwrap();
    Shop {
        campaign,
        one_off: product,
        recurring: product,
        main: shop.main,
        backups: Vec::new(),
        cascade: None,
    }
}

async fn find(app: &TestApp, id: SubscriptionId) -> SubscriptionDetails {
    app.services
        .subscriptions
        .find(Target::any(id))
        .await
        .unwrap()
}

fn any(id: SubscriptionId) -> Target {
    Target::any(id)
}

/// The fields an `Invalid` error names.
fn invalid_fields<T: std::fmt::Debug>(result: Result<T, SubscriptionError>) -> Vec<&'static str> {
    match result {
        Err(SubscriptionError::Invalid(errors)) => errors.iter().map(|e| e.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn events(app: &TestApp, kind: &str) -> i64 {
    scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM events WHERE kind = '{kind}'"),
    )
    .await
}

async fn history(app: &TestApp) -> i64 {
    scalar(
        &app.db,
        "SELECT COUNT(*) FROM customer_history WHERE kind = 'subscription'",
    )
    .await
}

both_backends! {
    /// R-CS-6: editing a purchase, price = quantity x unit price; quantity 0 or negative, a
    /// negative unit price or text are refused by their field and change nothing.
    async fn r_cs_6_price_is_quantity_times_unit_price(app) {
        let shop = shop(&app, 0).await;
        let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
        let s = app.services.subscriptions.change_price(&actor(), any(id), "3", "39.99").await.unwrap();
        assert_eq!((s.quantity, s.unit_price, s.price), (3, usd(3999), usd(11_997)));
        assert_eq!(events(&app, "subscription.updated").await, 1);
        assert_eq!(history(&app).await, 1);

        for (quantity, unit, field) in [("0", "10", "quantity"), ("-1", "10", "quantity"), ("2.5", "10", "quantity"), ("1", "-5", "unit_price"), ("1", "ten", "unit_price"), ("1", "1.999", "unit_price")] {
            let refused = app.services.subscriptions.change_price(&actor(), any(id), quantity, unit).await;
            assert_eq!(invalid_fields(refused), [field], "{quantity} x {unit}");
        }
        assert_eq!(find(&app, id).await.price, usd(11_997), "nothing changed");
        assert_eq!(events(&app, "subscription.updated").await, 1);
    }
}

both_backends! {
    /// R-CS-7: a trial restarted begins again now (next bill = now + its 14 days); skipped, the
    /// recurring price is charged now and the subscription goes active, billing a cycle on;
    /// stopped, nothing is charged and the subscription is cancelled.
    async fn r_cs_7_trials_are_restarted_skipped_and_stopped(app) {
        let shop = shop(&app, 0).await;
        let (order, id) = subscribe(&app, &shop, "4111111111111111").await;
        app.clock.advance(Duration::days(5));
        let s = app.services.subscriptions.restart_trial(&actor(), any(id)).await.unwrap();
        assert_eq!(s.status, SubscriptionStatus::Trial);
        assert_eq!(s.next_bill_at, Some(app.clock_now() + Duration::days(14)));

        let billed = app.services.subscriptions.skip_trial(&actor(), any(id), Some("skip-1")).await.unwrap();
        assert!(billed.approved, "{}", billed.response);
        assert_eq!(billed.amount, usd(4999));
        let s = billed.subscription;
        assert_eq!((s.status, s.cycles_billed), (SubscriptionStatus::Active, 1));
        assert_eq!(s.next_bill_at, Some(app.clock_now() + Duration::days(30)));
        let charges = app.services.orders.details(order).await.unwrap().transactions;
        assert_eq!(charges.iter().map(|t| t.amount).collect::<Vec<_>>(), [usd(199), usd(4999)]);
        let again = app.services.subscriptions.skip_trial(&actor(), any(id), Some("skip-2")).await;
        assert!(matches!(again, Err(SubscriptionError::Refused(_))), "{again:?}");

        let (_, other) = subscribe(&app, &shop, "5555555555554444").await;
        let stopped = app.services.subscriptions.stop_trial(&actor(), any(other)).await.unwrap();
        assert_eq!(stopped.status, SubscriptionStatus::Cancelled);
        assert_eq!(stopped.cancel_reason.as_deref(), Some("Trial stopped"));
        assert_eq!(stopped.next_bill_at, None);
        assert!(stopped.cancelled_at.is_some());
        assert_eq!(events(&app, "subscription.trial_changed").await, 3);
        assert_eq!(history(&app).await, 3);
    }
}

both_backends! {
    /// R-CS-7: the option is one of the product's options in the catalogue; the unit price
    /// becomes the option's and the price follows (R-CS-6).
    async fn r_cs_7_the_option_is_one_of_the_products(app) {
        let shop = shop(&app, 0).await;
        let store = vitamins_store(&app, &shop).await;
        let (_, id) = subscribe(&app, &store, "4111111111111111").await;
        let s = app.services.subscriptions.change_option(&actor(), any(id), "large").await.unwrap();
        assert_eq!((s.option.as_deref(), s.unit_price, s.price), (Some("Large"), usd(2999), usd(2999)));
        assert_eq!(invalid_fields(app.services.subscriptions.change_option(&actor(), any(id), "Large").await), ["option"]);
        assert_eq!(invalid_fields(app.services.subscriptions.change_option(&actor(), any(id), "Huge").await), ["option"]);
        let s = app.services.subscriptions.change_option(&actor(), any(id), "Small").await.unwrap();
        assert_eq!((s.option.as_deref(), s.price), (Some("Small"), usd(1999)));

        let (_, refill) = subscribe(&app, &shop, "4111111111111111").await;
        assert_eq!(invalid_fields(app.services.subscriptions.change_option(&actor(), any(refill), "Large").await), ["option"]);
        assert_eq!(events(&app, "subscription.updated").await, 2);
    }
}

both_backends! {
    /// R-CS-7: the next billing date is a real date, today or later by the clock; a date in the
    /// past, 2026-02-30 or text is refused by its field and changes nothing.
    async fn r_cs_7_the_next_billing_date_is_never_in_the_past(app) {
        let shop = shop(&app, 0).await;
        let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
        let before = find(&app, id).await.next_bill_at;
        for bad in ["2026-11-01", "2026-02-30", "next tuesday", "", "12/25/2026"] {
            let refused = app.services.subscriptions.change_next_bill(&actor(), any(id), bad).await;
            assert_eq!(invalid_fields(refused), ["next_bill"], "{bad:?}");
        }
        assert_eq!(find(&app, id).await.next_bill_at, before);
        let s = app.services.subscriptions.change_next_bill(&actor(), any(id), "2026-12-25").await.unwrap();
        assert_eq!(s.next_bill_at.map(|at| at.format("%Y-%m-%d %H:%M").to_string()).as_deref(), Some("2026-12-25 09:00"));
        let today = app.services.subscriptions.change_next_bill(&actor(), any(id), "2026-11-02").await.unwrap();
        assert_eq!(today.next_bill_at, Some(app.clock_now()), "today is not the past");
    }
}

both_backends! {
    /// R-CS-7: pause until resumed or until a day, resume back to where it was, cancel with a
    /// reason; a cancelled subscription refuses every change (409), an unknown one is not found.
    async fn r_cs_7_pause_resume_and_cancel(app) {
        let shop = shop(&app, 0).await;
        let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
        let next = find(&app, id).await.next_bill_at;
        let s = app.services.subscriptions.pause(&actor(), any(id), None).await.unwrap();
        assert_eq!((s.status, s.paused_until), (SubscriptionStatus::Paused, None));
        let twice = app.services.subscriptions.pause(&actor(), any(id), None).await;
        assert!(matches!(twice, Err(SubscriptionError::Refused(_))), "{twice:?}");
        let paused_bill = app.services.subscriptions.force_bill(&actor(), any(id), Some("p")).await;
        assert!(matches!(paused_bill, Err(SubscriptionError::Refused(_))), "{paused_bill:?}");
        let s = app.services.subscriptions.resume(&actor(), any(id)).await.unwrap();
        assert_eq!((s.status, s.next_bill_at), (SubscriptionStatus::Trial, next));
        assert!(matches!(app.services.subscriptions.resume(&actor(), any(id)).await, Err(SubscriptionError::Refused(_))));
        for bad in ["2026-11-02", "2026-02-30", "soon"] {
            assert_eq!(invalid_fields(app.services.subscriptions.pause(&actor(), any(id), Some(bad)).await), ["until"], "{bad}");
        }
        let s = app.services.subscriptions.pause(&actor(), any(id), Some("2026-12-01")).await.unwrap();
        assert_eq!(s.paused_until.map(|at| at.to_rfc3339()).as_deref(), Some("2026-12-01T00:00:00+00:00"));
        // Resumed after its next bill date passed: it bills at once.
        app.clock.advance(Duration::days(20));
        let s = app.services.subscriptions.resume(&actor(), any(id)).await.unwrap();
        assert_eq!(s.next_bill_at, Some(app.clock_now()));

        assert_eq!(invalid_fields(app.services.subscriptions.cancel(&actor(), any(id), "  ").await), ["reason"]);
        let s = app.services.subscriptions.cancel(&actor(), any(id), "Too expensive").await.unwrap();
        assert_eq!((s.status, s.cancel_reason.as_deref(), s.next_bill_at), (SubscriptionStatus::Cancelled, Some("Too expensive"), None));
        assert!(s.cancelled_at.is_some());
        let subs = &app.services.subscriptions;
        let refusals = [
            subs.cancel(&actor(), any(id), "again").await.err(),
            subs.pause(&actor(), any(id), None).await.err(),
            subs.resume(&actor(), any(id)).await.err(),
            subs.change_price(&actor(), any(id), "2", "10").await.err(),
            subs.change_next_bill(&actor(), any(id), "2026-12-25").await.err(),
            subs.change_option(&actor(), any(id), "Large").await.err(),
            subs.restart_trial(&actor(), any(id)).await.err(),
            subs.stop_trial(&actor(), any(id)).await.err(),
            subs.force_bill(&actor(), any(id), Some("c")).await.err(),
            subs.skip_trial(&actor(), any(id), Some("d")).await.err(),
        ];
        for refused in refusals {
            assert!(matches!(refused, Some(SubscriptionError::Cancelled)), "{refused:?}");
        }
        assert!(matches!(subs.pause(&actor(), any(SubscriptionId(999_999)), None).await, Err(SubscriptionError::NotFound)));
        assert_eq!((events(&app, "subscription.paused").await, events(&app, "subscription.resumed").await, events(&app, "subscription.cancelled").await), (2, 2, 1));
        assert_eq!(history(&app).await, 5);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests").await, 1, "only the first sale was charged");
    }
}

both_backends! {
    /// R-CS-7: a pause until a day ends on that day: the job runner resumes it (time from the
    /// Clock), back to where it was, logged as the background jobs' and noted in History. One
    /// resumed by hand and paused again until resumed meanwhile is left paused; pausing again
    /// until the same day resumes once.
    async fn r_cs_7_a_pause_until_a_day_ends_on_that_day(app) {
        let shop = shop(&app, 0).await;
        let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
        let (_, held) = subscribe(&app, &shop, "4111111111111111").await;
        let runner = app.services.runner("test-worker");
        let subs = &app.services.subscriptions;
        let next = find(&app, id).await.next_bill_at;
        let day = (app.clock_now() + Duration::days(3)).format("%Y-%m-%d").to_string();
        subs.pause(&actor(), any(id), Some(&day)).await.unwrap();
        subs.resume(&actor(), any(id)).await.unwrap();
        subs.pause(&actor(), any(id), Some(&day)).await.unwrap();
        subs.pause(&actor(), any(held), Some(&day)).await.unwrap();
        subs.resume(&actor(), any(held)).await.unwrap();
        subs.pause(&actor(), any(held), None).await.unwrap();
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM jobs WHERE kind = 'resume_subscription'").await, 2, "one job per subscription and day");

        app.clock.advance(Duration::days(2));
        runner.run_due().await.unwrap();
        assert_eq!(find(&app, id).await.status, SubscriptionStatus::Paused, "not before the day");

        app.clock.advance(Duration::days(1));
        runner.run_due().await.unwrap();
        let s = find(&app, id).await;
        assert_eq!((s.status, s.paused_until, s.next_bill_at), (SubscriptionStatus::Trial, None, next), "back in its trial, billing on its own date");
        assert_eq!(find(&app, held).await.status, SubscriptionStatus::Paused, "paused until resumed stays paused");
        let by_jobs = "SELECT COUNT(*) FROM events WHERE kind = 'subscription.resumed' AND actor_label = 'jobs' AND actor_id IS NULL";
        assert_eq!(scalar(&app.db, by_jobs).await, 1);
        let noted = "SELECT COUNT(*) FROM customer_history WHERE kind = 'subscription' AND body LIKE '%its pause ended%' AND author_id IS NULL";
        assert_eq!(scalar(&app.db, noted).await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM jobs WHERE kind = 'resume_subscription' AND status <> 'done'").await, 0);
    }
}

both_backends! {
    /// R-CS-7: force bill charges the current cycle now on the subscription's MID with the card
    /// on file; approved, the cycle advances (one more billed, next bill a cycle on) and the
    /// charge is on the subscription's order.
    async fn r_cs_7_an_approved_force_bill_advances_the_cycle(app) {
        let shop = shop(&app, 0).await;
        let (order, id) = subscribe(&app, &shop, "4111111111111111").await;
        app.services.subscriptions.change_price(&actor(), any(id), "2", "10.00").await.unwrap();
        let billed = app.services.subscriptions.force_bill(&actor(), any(id), Some("bill-1")).await.unwrap();
        assert!(billed.approved, "{}", billed.response);
        assert_eq!(billed.amount, usd(2000));
        let s = billed.subscription;
        assert_eq!((s.status, s.cycles_billed, s.last_decline.is_none()), (SubscriptionStatus::Active, 1, true));
        assert_eq!(s.next_bill_at, Some(app.clock_now() + Duration::days(30)));
        app.clock.advance(Duration::days(3));
        let billed = app.services.subscriptions.force_bill(&actor(), any(id), Some("bill-2")).await.unwrap();
        assert_eq!(billed.subscription.cycles_billed, 2);
        assert_eq!(billed.subscription.next_bill_at, Some(app.clock_now() + Duration::days(30)));
        let details = app.services.orders.details(order).await.unwrap();
        let charges: Vec<_> = details.transactions.iter().map(|t| (t.amount, t.result.key(), t.mid_id)).collect();
        assert_eq!(charges, [(usd(199), "approved", shop.main), (usd(2000), "approved", shop.main), (usd(2000), "approved", shop.main)]);
        assert!(details.notes.iter().any(|n| n.body.starts_with("Force bill of subscription")), "{:?}", details.notes);
        assert_eq!(events(&app, "subscription.force_billed").await, 2);
        assert_eq!(Some(billed.transaction.unwrap()), details.transactions.last().map(|t| t.id));
    }
}

both_backends! {
    /// R-CS-7: a declined force bill (the test card that declines above 20.00) is recorded on
    /// the order and as the subscription's last decline; the cycle does not advance; the page
    /// shows it.
    async fn r_cs_7_a_declined_force_bill_is_recorded(app) {
        let shop = shop(&app, 0).await;
        let (order, id) = subscribe(&app, &shop, "4000000000009995").await;
        let next = find(&app, id).await.next_bill_at;
        let billed = app.services.subscriptions.force_bill(&actor(), any(id), Some("bill-1")).await.unwrap();
        assert!(!billed.approved);
        assert!(billed.response.starts_with("51"), "{}", billed.response);
        let s = billed.subscription;
        assert_eq!((s.status, s.cycles_billed, s.next_bill_at), (SubscriptionStatus::Trial, 0, next));
        let decline = s.last_decline.expect("the decline is on the subscription");
        assert_eq!((decline.amount, decline.code.as_str()), (usd(4999), "51"));
        let details = app.services.orders.details(order).await.unwrap();
        let last = details.transactions.last().unwrap();
        assert_eq!((last.id, last.result.key(), last.amount), (decline.transaction_id, "declined", usd(4999)));
        assert_eq!(events(&app, "subscription.force_billed").await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'subscription' AND body LIKE '%declined%'").await, 1);

        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/subscriptions/{id}")).await;
        assert!(page.text("#last-decline").contains("51"), "{}", page.text("#last-decline"));
        // An approval afterwards clears it.
        app.services.subscriptions.change_price(&actor(), any(id), "1", "20.00").await.unwrap();
        let billed = app.services.subscriptions.force_bill(&actor(), any(id), Some("bill-2")).await.unwrap();
        assert!(billed.approved, "{}", billed.response);
        assert!(billed.subscription.last_decline.is_none());
    }
}

both_backends! {
    /// A force bill submitted twice with one form's key charges once, whether the second comes
    /// after the first or at the same time; through the page too.
    async fn a_double_submitted_force_bill_charges_once(app) {
        let shop = shop(&app, 0).await;
        let (order, id) = subscribe(&app, &shop, "4111111111111111").await;
        let subs = &app.services.subscriptions;
        let (one, two) = (actor(), actor());
        let (a, b) = tokio::join!(subs.force_bill(&one, any(id), Some("twice")), subs.force_bill(&two, any(id), Some("twice")));
        let outcomes = [a, b];
        assert_eq!(outcomes.iter().filter(|o| o.as_ref().is_ok_and(|b| b.approved)).count(), 1, "{outcomes:?}");
        assert!(outcomes.iter().any(|o| matches!(o, Err(SubscriptionError::AlreadyBilled))), "{outcomes:?}");
        let again = subs.force_bill(&actor(), any(id), Some("twice")).await;
        assert!(matches!(again, Err(SubscriptionError::AlreadyBilled)), "{again:?}");
        assert_eq!(find(&app, id).await.cycles_billed, 1);
        assert_eq!(app.services.orders.details(order).await.unwrap().transactions.len(), 2);

        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/subscriptions/{id}")).await;
        let key = page.attr_of(&format!("form[action='/subscriptions/{id}/force-bill'] input[name=key]"), "value").unwrap();
        let customer = page.attr_of(&format!("form[action='/subscriptions/{id}/force-bill'] input[name=customer]"), "value").unwrap();
        let ask = app.post_form(&format!("/subscriptions/{id}/force-bill"), &[("customer", &customer), ("key", &key)]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert_eq!(ask.value_of("key").as_deref(), Some(key.as_str()));
        let confirm = [("customer", customer.as_str()), ("key", key.as_str()), ("confirm", "yes")];
        let first = app.post_form(&format!("/subscriptions/{id}/force-bill"), &confirm).await;
        assert_eq!(location(&first), format!("/subscriptions/{id}"));
        let second = app.post_form(&format!("/subscriptions/{id}/force-bill"), &confirm).await;
        assert_eq!(location(&second), format!("/subscriptions/{id}"));
        let after = app.get_page(&format!("/subscriptions/{id}")).await;
        assert!(after.flash_error().unwrap_or_default().contains("made already"), "{:?}", after.flash_error());
        assert_eq!(find(&app, id).await.cycles_billed, 2);
        assert_eq!(app.services.orders.details(order).await.unwrap().transactions.len(), 3);
    }
}

both_backends! {
    /// The purchase details page as an agent: every fact and action is there; bad input comes
    /// back next to its field (422) and changes nothing; a change asks first and is made on
    /// confirmation; the live price answers htmx; another customer's subscription posted by hand
    /// and an unknown id are not found; a cancelled one refuses changes with 409.
    async fn agents_change_a_purchase_from_its_page(app) {
        let shop = shop(&app, 0).await;
        let (order, id) = subscribe(&app, &shop, "4111111111111111").await;
        app.login_as_new("cs_agent").await;
        let path = format!("/subscriptions/{id}");
        let page = app.get_page(&path).await;
        assert!(page.text("h1").contains("Monthly refill"));
        assert!(page.has(&format!("a[href='/orders/{order}']")));
        for action in ["trial/restart", "trial/skip", "trial/stop", "price", "next-bill", "pause", "cancel", "force-bill"] {
            assert!(page.has(&format!("form[action='{path}/{action}']")), "{action}");
        }
        assert_eq!(page.text("#price-preview"), "1 x 49.99 USD = 49.99 USD");
        let customer = page.attr_of(&format!("form[action='{path}/price'] input[name=customer]"), "value").unwrap();

        let zero = app.post_form(&format!("{path}/price"), &[("customer", &customer), ("quantity", "0"), ("unit_price", "-1")]).await;
        assert_eq!(zero.status().as_u16(), 422);
        let zero = Page::parse(&zero.text().await.unwrap());
        assert!(zero.field_error("quantity").is_some() && zero.field_error("unit_price").is_some());
        assert_eq!(zero.value_of("quantity").as_deref(), Some("0"), "what was typed comes back");
        let date = app.post_form(&format!("{path}/next-bill"), &[("customer", &customer), ("next_bill", "2026-02-30")]).await;
        assert_eq!(date.status().as_u16(), 422);
        assert_eq!(Page::parse(&date.text().await.unwrap()).field_error("next_bill").as_deref(), Some("2026-02-30 is not a date in the calendar."));

        let ask = app.post_form(&format!("{path}/price"), &[("customer", &customer), ("quantity", "3"), ("unit_price", "39.99")]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert!(ask.text("main").contains("3 x 39.99 USD = 119.97 USD"), "{}", ask.text("main"));
        assert_eq!(find(&app, id).await.quantity, 1, "nothing changes before confirmation");
        let key = ask.value_of("key").unwrap();
        let done = app.post_form(&format!("{path}/price"), &[("customer", &customer), ("quantity", "3"), ("unit_price", "39.99"), ("key", &key), ("confirm", "yes")]).await;
        assert_eq!(location(&done), path);
        assert_eq!(find(&app, id).await.price, usd(11_997));
        let after = app.get_page(&path).await;
        assert!(after.flash_success().unwrap_or_default().contains("119.97"));

        // The live price: htmx posts the form and swaps the answer in; a plain visit is sent on.
        let token = csrf_in(&app.get_html(&path).await);
        let preview = app.client.post(app.url(&format!("{path}/price/preview"))).header("HX-Request", "true")
            .form(&[("csrf_token", token.as_str()), ("quantity", "4"), ("unit_price", "2.50")]).send().await.unwrap();
        assert_eq!(preview.status().as_u16(), 200);
        assert_eq!(preview.text().await.unwrap().trim(), "4 x 2.50 USD = 10.00 USD");
        let bad = app.client.post(app.url(&format!("{path}/price/preview"))).header("HX-Request", "true")
            .form(&[("csrf_token", token.as_str()), ("quantity", "0"), ("unit_price", "2.50")]).send().await.unwrap();
        assert!(bad.text().await.unwrap().contains("quantity of 1 to 1000"));
        let plain = app.post_form(&format!("{path}/price/preview"), &[("quantity", "4"), ("unit_price", "2.50")]).await;
        assert_eq!(location(&plain), path);

        // Cancel asks for a reason from the merchant's list on its confirmation page.
        let ask = app.post_form(&format!("{path}/cancel"), &[("customer", &customer)]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert!(ask.texts("select[name=reason] option").contains(&"Too expensive".to_owned()));
        let key = ask.value_of("key").unwrap();
        let blank = app.post_form(&format!("{path}/cancel"), &[("customer", &customer), ("reason", ""), ("key", &key), ("confirm", "yes")]).await;
        assert_eq!(blank.status().as_u16(), 422);
        assert_eq!(Page::parse(&blank.text().await.unwrap()).field_error("reason").as_deref(), Some("Choose a reason."));
        let other = app.post_form(&format!("{path}/cancel"), &[("customer", &customer), ("reason", "__other"), ("other", " "), ("key", &key), ("confirm", "yes")]).await;
        assert_eq!(other.status().as_u16(), 422);
        assert_eq!(find(&app, id).await.status, SubscriptionStatus::Trial, "nothing changed");
        let done = app.post_form(&format!("{path}/cancel"), &[("customer", &customer), ("reason", "Too expensive"), ("key", &key), ("confirm", "yes")]).await;
        assert_eq!(location(&done), path);
        let s = find(&app, id).await;
        assert_eq!((s.status, s.cancel_reason.as_deref()), (SubscriptionStatus::Cancelled, Some("Too expensive")));
        let page = app.get_page(&path).await;
        assert!(!page.has(&format!("form[action='{path}/cancel']")), "cancelled: no actions");
        let refused = app.post_form(&format!("{path}/price"), &[("customer", &customer), ("quantity", "2"), ("unit_price", "1")]).await;
        assert_eq!(refused.status().as_u16(), 409);
        assert!(refused.text().await.unwrap().contains("cancelled"));

        // Another customer's subscription, posted by hand from this page's form: not found.
        let mut other_sale = sale(&shop, "5555555555554444", &[(shop.recurring, 1)]);
        other_sale.customer.email = "grace@example.com".to_owned();
        let other_order = app.services.orders.place(&actor(), &other_sale, None).await.unwrap();
        let other = app.services.orders.details(other_order).await.unwrap().subscriptions[0].id;
        let hand = app.post_form(&format!("/subscriptions/{other}/pause"), &[("customer", &customer), ("until", ""), ("confirm", "yes"), ("key", "k")]).await;
        assert_eq!(hand.status().as_u16(), 404);
        assert_eq!(find(&app, other).await.status, SubscriptionStatus::Trial);
        assert_eq!(app.get("/subscriptions/999999").await.status().as_u16(), 404);
        assert_eq!(app.get("/subscriptions/abc").await.status().as_u16(), 404);
        assert_eq!(history(&app).await, 2);
    }
}

/// Posts JSON to the API with `key`.
async fn api_post(
    app: &TestApp,
    path: &str,
    key: &str,
    idempotency: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = new_client().post(app.url(path)).bearer_auth(key).json(body);
    if let Some(idempotency) = idempotency {
        request = request.header("Idempotency-Key", idempotency);
    }
    request.send().await.unwrap()
}

/// (status, error code, field names) of an error answer.
async fn refusal(response: reqwest::Response) -> (u16, String, Vec<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let fields = body["error"]["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        fields,
    )
}

both_backends! {
    /// SPEC 4.7: `POST /api/v1/subscriptions/{id}/cancel|pause|resume` on the same service: 200
    /// with the subscription, 422 naming the field, 409 for a state that forbids it or a
    /// cancelled subscription, 404 for an unknown id; a replayed Idempotency-Key answers the
    /// same; each change is in the event log, attributed to the key.
    async fn subscriptions_are_paused_resumed_and_cancelled_through_the_api(app) {
        let shop = shop(&app, 0).await;
        let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
        let key = new_key(&app, "Support desk").await;
        let base = format!("/api/v1/subscriptions/{id}");

        let paused = api_post(&app, &format!("{base}/pause"), &key, None, &json!({})).await;
        assert_eq!(paused.status().as_u16(), 200);
        let paused: Value = paused.json().await.unwrap();
        assert_eq!((paused["id"].as_i64(), paused["status"].as_str(), paused["price"].as_i64()), (Some(id.0), Some("paused"), Some(4999)));
        let (status, code, _) = refusal(api_post(&app, &format!("{base}/pause"), &key, None, &json!({})).await).await;
        assert_eq!((status, code.as_str()), (409, "subscription_state"));
        let resumed: Value = api_post(&app, &format!("{base}/resume"), &key, None, &json!({})).await.json().await.unwrap();
        assert_eq!(resumed["status"], "trial");
        let (status, code, _) = refusal(api_post(&app, &format!("{base}/resume"), &key, None, &json!({})).await).await;
        assert_eq!((status, code.as_str()), (409, "subscription_state"));
        for until in ["2026-02-30", "2026-11-01", "soon"] {
            let (status, _, fields) = refusal(api_post(&app, &format!("{base}/pause"), &key, None, &json!({"until": until})).await).await;
            assert_eq!((status, fields), (422, vec!["until".to_owned()]), "{until}");
        }
        let until: Value = api_post(&app, &format!("{base}/pause"), &key, None, &json!({"until": "2026-12-01"})).await.json().await.unwrap();
        assert_eq!(until["paused_until"], "2026-12-01");
        api_post(&app, &format!("{base}/resume"), &key, None, &json!({})).await;

        let (status, _, fields) = refusal(api_post(&app, &format!("{base}/cancel"), &key, None, &json!({"reason": " "})).await).await;
        assert_eq!((status, fields), (422, vec!["reason".to_owned()]));
        let body = json!({"reason": "Too expensive"});
        let cancelled = api_post(&app, &format!("{base}/cancel"), &key, Some("cancel-1"), &body).await;
        assert_eq!(cancelled.status().as_u16(), 200);
        let cancelled: Value = cancelled.json().await.unwrap();
        assert_eq!((cancelled["status"].as_str(), cancelled["cancel_reason"].as_str(), &cancelled["next_bill_date"]), (Some("cancelled"), Some("Too expensive"), &Value::Null));
        let replay: Value = api_post(&app, &format!("{base}/cancel"), &key, Some("cancel-1"), &body).await.json().await.unwrap();
        assert_eq!(cancelled, replay);
        for action in ["cancel", "pause", "resume"] {
            let body = if action == "cancel" { json!({"reason": "again"}) } else { json!({}) };
            let (status, code, _) = refusal(api_post(&app, &format!("{base}/{action}"), &key, None, &body).await).await;
            assert_eq!((status, code.as_str()), (409, "subscription_cancelled"), "{action}");
        }
        let (status, code, _) = refusal(api_post(&app, "/api/v1/subscriptions/999999/pause", &key, None, &json!({})).await).await;
        assert_eq!((status, code.as_str()), (404, "subscription_not_found"));
        assert_eq!(api_post(&app, "/api/v1/subscriptions/abc/resume", &key, None, &json!({})).await.status().as_u16(), 404);
        let (status, _, _) = refusal(api_post(&app, &format!("{base}/resume"), &key, None, &json!({"extra": 1})).await).await;
        assert_eq!(status, 422, "unknown fields are refused");

        assert_eq!((events(&app, "subscription.paused").await, events(&app, "subscription.resumed").await, events(&app, "subscription.cancelled").await), (2, 2, 1));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind LIKE 'subscription.%' AND actor_label = 'Support desk' AND api_key_id IS NOT NULL").await, 5);
        assert_eq!(history(&app).await, 5);
    }
}

/// In Chromium as an agent: the price follows the quantity and unit price as they are typed
/// (R-CS-6), the change is confirmed and made; then the subscription is cancelled with a reason
/// from the merchant's list.
#[tokio::test]
async fn an_agent_sees_the_price_as_they_type_and_cancels_with_a_reason() {
    use crate::chrome::signed_in;
    let Some((browser, app)) = signed_in("agent@example.com", "Cas Agent", "cs_agent").await else {
        return;
    };
    let shop = shop(&app, 0).await;
    let (_, id) = subscribe(&app, &shop, "4111111111111111").await;
    let path = format!("/subscriptions/{id}");
    browser.goto(&app, &path).await;
    assert_eq!(
        browser.text("#price-preview").await,
        "1 x 49.99 USD = 49.99 USD"
    );
    browser.fill("#quantity", "3").await;
    browser.fill("#unit_price", "39.99").await;
    browser
        .wait_for_text("#price-preview", "3 x 39.99 USD = 119.97 USD")
        .await;
    browser.fill("#quantity", "0").await;
    browser
        .wait_for_text("#price-preview", "quantity of 1 to 1000")
        .await;
    browser.fill("#quantity", "3").await;
    browser
        .click(&format!("form[action='{path}/price'] button[type=submit]"))
        .await;
    browser.wait_for_text("main h1", "119.97 USD").await;
    browser
        .click(&format!("form[action='{path}/price'] button[type=submit]"))
        .await;
    browser.wait_for_text(".flash-success", "119.97 USD").await;
    assert_eq!(find(&app, id).await.price, usd(11_997));
    assert!(browser.console_errors().await.is_empty());

    browser
        .click(&format!("form[action='{path}/cancel'] button[type=submit]"))
        .await;
    browser
        .wait_for_text("main h1", "Cancel Monthly refill?")
        .await;
    browser
        .c()
        .find(fantoccini::Locator::Css("#reason"))
        .await
        .expect("reason")
        .select_by_value("No longer needed")
        .await
        .expect("select");
    browser
        .click(&format!("form[action='{path}/cancel'] button[type=submit]"))
        .await;
    browser
        .wait_for_text(".flash-success", "No longer needed")
        .await;
    let s = find(&app, id).await;
    assert_eq!(
        (s.status, s.cancel_reason.as_deref()),
        (SubscriptionStatus::Cancelled, Some("No longer needed"))
    );
}
