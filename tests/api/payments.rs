//! Voids and refunds at the service level (R-CS-1, R-CS-2, R-CS-3), on both databases,
//! including 50 agents refunding one charge at once.

use std::sync::Arc;

use recoup::domain::ids::TransactionId;
use recoup::domain::money::MinorUnits;
use recoup::domain::payment::{Refusal, TransactionResult};
use recoup::services::payments::{Asked, PaymentError};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::orders::{actor, sale, scalar, shop, usd};

/// An approved sale of 19.99 with `card` in the test's shop (made on first use); its
/// transaction.
async fn charge(app: &TestApp, card: &str) -> TransactionId {
    let shop = match app.services.catalogue.offered().await.unwrap().first() {
        Some((campaign, products)) => crate::orders::Shop {
            campaign: campaign.id,
            one_off: products[0].id,
            recurring: products[1].id,
            main: recoup::domain::ids::MidId(0),
            backups: Vec::new(),
            cascade: None,
        },
        None => shop(app, 0).await,
    };
    let id = app
        .services
        .orders
        .place(&actor(), &sale(&shop, card, &[(shop.one_off, 1)]), None)
        .await
        .unwrap();
    let order = app.services.orders.details(id).await.unwrap();
    assert_eq!(order.transactions[0].result, TransactionResult::Approved);
    order.transactions[0].id
}

fn refused(result: Result<recoup::services::payments::Reversal, PaymentError>) -> Refusal {
    match result {
        Err(PaymentError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

both_backends! {
    /// R-CS-1: an unsettled charge is voided whole, once; a settled one cannot be voided; a
    /// partly refunded one cannot be voided.
    async fn r_cs_1_a_void_reverses_an_unsettled_charge_whole(app) {
        let sale_id = charge(&app, "4111111111111111").await;
        let void = app.services.payments.void(&actor(), sale_id, &Asked::default()).await.unwrap();
        assert!(void.approved());
        assert_eq!(void.amount, usd(1999));
        assert_eq!(refused(app.services.payments.void(&actor(), sale_id, &Asked::default()).await), Refusal::Voided);
        assert_eq!(refused(app.services.payments.refund(&actor(), sale_id, None, &Asked::default()).await), Refusal::Voided);

        let settled = charge(&app, "5555555555554444").await;
        app.clock.advance(chrono::Duration::hours(25));
        assert_eq!(refused(app.services.payments.void(&actor(), settled, &Asked::default()).await), Refusal::Settled);

        // A refund returns settled money: an unsettled charge is voided instead.
        let unsettled = charge(&app, "6011111111111117").await;
        assert_eq!(refused(app.services.payments.refund(&actor(), unsettled, Some(MinorUnits::from_minor(500)), &Asked::default()).await), Refusal::NotSettled);
        assert!(matches!(app.services.payments.void(&actor(), TransactionId(999_999), &Asked::default()).await, Err(PaymentError::NotFound)));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'transaction.voided'").await, 1);
    }
}

both_backends! {
    /// R-CS-2: refunds return settled money whole or in part, never more than is left, and a
    /// refund the gateway declines is recorded as declined.
    async fn r_cs_2_refunds_never_pass_what_was_captured(app) {
        let sale_id = charge(&app, "4111111111111111").await;
        app.clock.advance(chrono::Duration::hours(25));
        let first = app.services.payments.refund(&actor(), sale_id, Some(MinorUnits::from_minor(1500)), &Asked::default()).await.unwrap();
        assert!(first.approved());
        assert_eq!(refused(app.services.payments.refund(&actor(), sale_id, Some(MinorUnits::from_minor(500)), &Asked::default()).await), Refusal::MoreThanLeft(usd(499)));
        let rest = app.services.payments.refund(&actor(), sale_id, None, &Asked::default()).await.unwrap();
        assert_eq!(rest.amount, usd(499));
        assert_eq!(refused(app.services.payments.refund(&actor(), sale_id, None, &Asked::default()).await), Refusal::NothingLeft);

        // 4000000000005126: every refund fails; nothing counts as refunded.
        let failing = charge(&app, "4000000000005126").await;
        app.clock.advance(chrono::Duration::hours(25));
        let declined = app.services.payments.refund(&actor(), failing, None, &Asked::default()).await.unwrap();
        assert!(!declined.approved());
        assert_eq!(declined.reply.code, "06");
        let again = app.services.payments.refund(&actor(), failing, None, &Asked::default()).await.unwrap();
        assert_eq!(again.amount, usd(1999), "a declined refund leaves the money refundable");
    }
}

both_backends! {
    /// R-CS-2 under concurrency: 50 agents refund 1.00 of a 19.99 charge at once: 19 refunds
    /// are recorded, never more than was captured, and the gateway is called once per
    /// recorded refund.
    async fn r_cs_2_fifty_concurrent_refunds_never_exceed_the_charge(app) {
        let sale_id = charge(&app, "4111111111111111").await;
        app.clock.advance(chrono::Duration::hours(25));
        let services = Arc::new(app.services.clone());
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let services = services.clone();
            tasks.push(tokio::spawn(async move {
                services.payments.refund(&actor(), sale_id, Some(MinorUnits::from_minor(100)), &Asked::default()).await
            }));
        }
        let mut approved = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(refund) => {
                    assert!(refund.approved());
                    approved += 1;
                }
                Err(PaymentError::Refused(Refusal::MoreThanLeft(_) | Refusal::NothingLeft)) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(approved, 19);
        let refunded = scalar(&app.db, &format!("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM transactions WHERE parent_id = {} AND kind = 'refund' AND result = 'approved'", sale_id.0)).await;
        assert_eq!(refunded, 1900);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests WHERE operation = 'refund'").await, 19);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM transactions WHERE result = 'pending'").await, 0);
    }
}

both_backends! {
    /// R-CS-3: the order summary's Refund voids an unsettled charge, and refunds a settled one.
    async fn r_cs_3_refund_tries_a_void_first(app) {
        let unsettled = charge(&app, "4111111111111111").await;
        let done = app.services.payments.refund_or_void(&actor(), unsettled, &Asked::default()).await.unwrap();
        assert_eq!((done.kind.key(), done.approved()), ("void", true));

        let settled = charge(&app, "5555555555554444").await;
        app.clock.advance(chrono::Duration::hours(25));
        let done = app.services.payments.refund_or_void(&actor(), settled, &Asked::default()).await.unwrap();
        assert_eq!((done.kind.key(), done.amount, done.approved()), ("refund", usd(1999), true));
    }
}

both_backends! {
    /// SPEC 3: a partly refunded order is `partial`; one given back whole (refunds or a void)
    /// is `refunded`.
    async fn reversals_move_the_order_to_partial_and_refunded(app) {
        use recoup::domain::order::OrderStatus;
        let status = |id| {
            let app = &app;
            async move {
                let t = app.services.payments.describe(id).await.unwrap().0;
                app.services.orders.details(t).await.unwrap().order.status
            }
        };
        let voided = charge(&app, "4111111111111111").await;
        app.services.payments.void(&actor(), voided, &Asked::default()).await.unwrap();
        assert_eq!(status(voided).await, OrderStatus::Refunded);

        let refunded = charge(&app, "5555555555554444").await;
        app.clock.advance(chrono::Duration::hours(25));
        app.services.payments.refund(&actor(), refunded, Some(MinorUnits::from_minor(999)), &Asked::default()).await.unwrap();
        assert_eq!(status(refunded).await, OrderStatus::Partial);
        app.services.payments.refund(&actor(), refunded, None, &Asked::default()).await.unwrap();
        assert_eq!(status(refunded).await, OrderStatus::Refunded);

        // A refund the gateway declines changes nothing.
        let failing = charge(&app, "4000000000005126").await;
        app.clock.advance(chrono::Duration::hours(25));
        app.services.payments.refund(&actor(), failing, None, &Asked::default()).await.unwrap();
        assert_eq!(status(failing).await, OrderStatus::Complete);
    }
}

both_backends! {
    /// R-CS-5: a cs_agent cannot blacklist (checked in the service, whatever the route) and
    /// nothing changes; a cs_admin blacklists the customer's email, phone and cards, and then
    /// R-OR-4 refuses a new order with that card under another name and email; taken off the
    /// list, the card sells again.
    async fn r_cs_5_only_cs_admins_blacklist_and_new_orders_are_then_refused(app) {
        use recoup::domain::event::Actor;
        use recoup::services::blacklist::BlacklistError;
        use recoup::services::orders::SaleError;
        let sale_id = charge(&app, "4111111111111111").await;
        let order = app.services.payments.describe(sale_id).await.unwrap().0;
        let customer = app.services.orders.details(order).await.unwrap().customer.id;
        let as_user = |user: recoup::domain::user::User| Actor { user_id: Some(user.id), label: user.email, ip: None, api_key_id: None };
        let agent = as_user(app.create_user("agent@example.com", "Agent", "cs_agent").await);
        let lead = as_user(app.create_user("lead@example.com", "Lead", "cs_admin").await);

        let refused = app.services.blacklist.add(&agent, customer, "chargeback").await;
        assert!(matches!(refused, Err(BlacklistError::Forbidden)), "{refused:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM blacklist").await, 0);

        assert_eq!(app.services.blacklist.add(&lead, customer, "chargeback").await.unwrap(), 3);
        let shop = crate::orders::Shop {
            campaign: app.services.orders.details(order).await.unwrap().order.campaign_id,
            one_off: app.services.orders.details(order).await.unwrap().items[0].product_id,
            recurring: app.services.orders.details(order).await.unwrap().items[0].product_id,
            main: recoup::domain::ids::MidId(0), backups: Vec::new(), cascade: None,
        };
        let mut draft = sale(&shop, "4111111111111111", &[(shop.one_off, 1)]);
        draft.customer.email = "new.name@example.com".to_owned();
        draft.customer.phone = String::new();
        let again = app.services.orders.place(&actor(), &draft, None).await;
        assert!(matches!(again, Err(SaleError::Blacklisted)), "{again:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'customer.blacklisted'").await, 1);

        assert!(matches!(app.services.blacklist.remove(&agent, customer).await, Err(BlacklistError::Forbidden)));
        app.services.blacklist.remove(&lead, customer).await.unwrap();
        assert!(app.services.orders.place(&actor(), &draft, None).await.is_ok());
        assert!(matches!(app.services.blacklist.add(&lead, recoup::domain::ids::CustomerId(999_999), "").await, Err(BlacklistError::NotFound)));
    }
}

both_backends! {
    /// The refund form's amount: 0, -1, 1.999, 1e309, text and more than is left are each
    /// refused next to the field (the last saying how much is left), and nothing is refunded.
    async fn r_cs_2_bad_refund_amounts_are_refused_by_the_field(app) {
        let sale_id = charge(&app, "4111111111111111").await;
        app.clock.advance(chrono::Duration::hours(25));
        app.login_as_new("cs_agent").await;
        for amount in ["0", "-1", "1.999", "1e309", "ten", "20.00"] {
            let response = app
                .post_form(
                    &format!("/transactions/{sale_id}/refund"),
                    &[("confirm", "yes"), ("amount", amount), ("reason", "Customer request"), ("key", &format!("k-{amount}"))],
                )
                .await;
            assert_eq!(response.status(), 422, "amount {amount}");
            let page = crate::helpers::Page::parse(&response.text().await.unwrap());
            let message = page.field_error("amount").unwrap_or_else(|| panic!("no message for {amount}"));
            if amount == "20.00" {
                assert!(message.contains("19.99"), "says how much is left: {message}");
            }
        }
        let refunds = scalar(&app.db, &format!("SELECT COUNT(*) FROM transactions WHERE parent_id = {sale_id}")).await;
        assert_eq!(refunds, 0, "nothing refunded");
    }
}
