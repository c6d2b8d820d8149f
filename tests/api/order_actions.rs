//! The order summary's actions (R-CS-7, R-CS-3) at the service level and through the pages:
//! cancel an order (its subscriptions and pending fulfillments, refund too on request), refund
//! the order, resend the welcome email, resend a refund email, reship and cancel fulfillments,
//! and the merchant's reason lists the pages pick from.

use recoup::domain::ids::{FulfillmentId, OrderId};
use recoup::domain::order::{FulfillmentStatus, OrderStatus, SubscriptionStatus};
use recoup::domain::reason::ReasonKind;
use recoup::services::order_actions::OrderActionError;
use recoup::services::payments::{Asked, PaymentError};

use crate::both_backends;
use crate::helpers::{Page, TestApp, location};
use crate::orders::{actor, execute, sale, scalar, shop, usd};

/// An approved order of the shippable kit and the recurring refill, with `card`.
async fn order_with_everything(app: &TestApp, card: &str) -> OrderId {
    let shop = shop(app, 0).await;
    let draft = sale(&shop, card, &[(shop.one_off, 1), (shop.recurring, 1)]);
    let id = app
        .services
        .orders
        .place(&actor(), &draft, None)
        .await
        .unwrap();
    assert_eq!(
        app.services.orders.details(id).await.unwrap().order.status,
        OrderStatus::Complete
    );
    id
}

both_backends! {
    /// R-CS-7: cancelling an order cancels its subscriptions and pending fulfillments, with the
    /// reason, in the event log and the customer's history; a second cancel changes nothing.
    async fn r_cs_7_cancel_order_stops_its_subscriptions_and_shipments(app) {
        let order = order_with_everything(&app, "4111111111111111").await;
        let done = app.services.order_actions.cancel(&actor(), order, "Too expensive", false, None).await.unwrap();
        assert_eq!((done.subscriptions, done.fulfillments), (1, 1));
        assert!(done.reversals.is_empty(), "no refund asked");
        let details = app.services.orders.details(order).await.unwrap();
        assert_eq!(details.order.status, OrderStatus::Cancelled);
        assert!(details.subscriptions.iter().all(|s| s.status == SubscriptionStatus::Cancelled && s.next_bill_at.is_none()));
        assert!(details.fulfillments.iter().all(|f| f.status == FulfillmentStatus::Cancelled));
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM subscriptions WHERE order_id = {order} AND cancel_reason = 'Too expensive'")).await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'order.cancelled'").await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'order'").await, 1);
        let again = app.services.order_actions.cancel(&actor(), order, "Too expensive", false, None).await;
        assert!(matches!(again, Err(OrderActionError::AlreadyCancelled)), "{again:?}");
        let blank = app.services.order_actions.cancel(&actor(), order, "  ", false, None).await;
        assert!(matches!(blank, Err(OrderActionError::Invalid(_))), "{blank:?}");
        assert!(matches!(app.services.order_actions.cancel(&actor(), OrderId(999_999), "x", false, None).await, Err(OrderActionError::OrderNotFound)));
    }
}

both_backends! {
    /// R-CS-7 with R-CS-3: "cancel and refund" voids the unsettled charge; the same form key
    /// twice gives back once; the customer gets the void's confirmation email.
    async fn r_cs_3_cancel_with_refund_voids_first_and_once(app) {
        let order = order_with_everything(&app, "4111111111111111").await;
        let done = app.services.order_actions.cancel(&actor(), order, "Other: moved", true, Some("form-1")).await.unwrap();
        assert_eq!(done.reversals.len(), 1);
        let void = done.reversals[0].as_ref().unwrap();
        assert_eq!((void.kind.key(), void.approved()), ("void", true));
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'void'")).await, 1);
        // The order summary's Refund afterwards has nothing left to give back.
        let none = app.services.order_actions.give_back(&actor(), order, "Billing error", Some("form-1")).await.unwrap();
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests WHERE operation = 'void'").await, 1);
    }
}

both_backends! {
    /// R-CS-3 from the order summary: a settled order is refunded whole; the refund is in the
    /// customer's history and a confirmation email is queued; Resend Refund Email queues it
    /// again, and only a refund or void has one.
    async fn r_cs_3_refund_the_order_and_resend_its_email(app) {
        let order = order_with_everything(&app, "5555555555554444").await;
        app.clock.advance(chrono::Duration::hours(25));
        let back = app.services.order_actions.give_back(&actor(), order, "Customer request", None).await.unwrap();
        let refund = back[0].as_ref().unwrap();
        assert_eq!((refund.kind.key(), refund.amount, refund.approved()), ("refund", usd(2198), true));
        assert_eq!(app.services.orders.details(order).await.unwrap().order.status, OrderStatus::Refunded);
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'refund'")).await, 1);
        assert!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'refund'").await >= 1);
        app.services.payments.resend_confirmation(&actor(), refund.id).await.unwrap();
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'refund'")).await, 2);
        let sale_id = app.services.orders.details(order).await.unwrap().transactions[0].id;
        let refused = app.services.payments.resend_confirmation(&actor(), sale_id).await;
        assert!(matches!(refused, Err(PaymentError::NotReversed)), "{refused:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'email.resent'").await, 1);
    }
}

both_backends! {
    /// R-CS-2's "a refund returns settled money": an unsettled charge refunded from the
    /// transaction actions is refused with a message saying to void it.
    async fn r_cs_2_a_refund_of_unsettled_money_says_to_void(app) {
        let order = order_with_everything(&app, "4111111111111111").await;
        let sale_id = app.services.orders.details(order).await.unwrap().transactions[0].id;
        let refused = app.services.payments.refund(&actor(), sale_id, None, &Asked::default()).await;
        match refused {
            Err(e @ PaymentError::Refused(_)) => assert!(e.to_string().contains("void it instead"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}

both_backends! {
    /// R-CS-7: resend the welcome email writes it to the outbox again; reship makes a new
    /// pending fulfillment of a shipped one; only a pending fulfillment is cancelled.
    async fn r_cs_7_resend_welcome_reship_and_cancel_fulfillments(app) {
        let order = order_with_everything(&app, "4111111111111111").await;
        app.services.order_actions.resend_welcome(&actor(), order).await.unwrap();
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE order_id = {order} AND kind = 'welcome'")).await, 2);

        let fulfillment = app.services.orders.details(order).await.unwrap().fulfillments[0].id;
        let pending = app.services.order_actions.reship(&actor(), fulfillment, "lost").await;
        assert!(matches!(pending, Err(OrderActionError::NotReshippable(_))), "{pending:?}");
        execute(&app.db, &format!("UPDATE fulfillments SET status = 'shipped' WHERE id = {fulfillment}")).await;
        let new = app.services.order_actions.reship(&actor(), fulfillment, "Lost in the post").await.unwrap();
        let details = app.services.orders.details(order).await.unwrap();
        assert_eq!(details.fulfillments.len(), 2);
        assert_eq!(details.fulfillments.iter().find(|f| f.id == new).unwrap().status, FulfillmentStatus::Pending);
        assert_eq!(scalar(&app.db, &format!("SELECT reshipped_from FROM fulfillments WHERE id = {new}")).await, fulfillment.0);

        let shipped = app.services.order_actions.cancel_fulfillment(&actor(), fulfillment, "changed mind").await;
        assert!(matches!(shipped, Err(OrderActionError::NotPending(_))), "{shipped:?}");
        app.services.order_actions.cancel_fulfillment(&actor(), new, "Customer changed their mind").await.unwrap();
        assert!(matches!(app.services.order_actions.cancel_fulfillment(&actor(), FulfillmentId(999_999), "x").await, Err(OrderActionError::FulfillmentNotFound)));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind IN ('fulfillment.reshipped', 'fulfillment.cancelled', 'order.welcome_resent')").await, 3);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind IN ('fulfillment', 'email')").await, 3);
    }
}

both_backends! {
    /// The order page's actions as an agent: Cancel asks for a reason from the merchant's list
    /// (none chosen: the message is next to the field, nothing changes), then cancels and
    /// refunds; a merchant sees none of the buttons and gets 403 posting them.
    async fn agents_cancel_an_order_from_its_page(app) {
        let order = order_with_everything(&app, "4111111111111111").await;
        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/orders/{order}")).await;
        for action in ["cancel", "refund", "resend-welcome"] {
            assert!(page.has(&format!("form[action='/orders/{order}/{action}']")), "{action}");
        }
        let ask = app.post_form(&format!("/orders/{order}/cancel"), &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = Page::parse(&ask.text().await.unwrap());
        assert!(ask.texts("select[name=reason] option").contains(&"Too expensive".to_owned()));
        let key = ask.value_of("key").unwrap();
        let blank = app.post_form(&format!("/orders/{order}/cancel"), &[("confirm", "yes"), ("key", &key), ("reason", "")]).await;
        assert_eq!(blank.status().as_u16(), 422);
        assert_eq!(Page::parse(&blank.text().await.unwrap()).field_error("reason").unwrap_or_default(), "Choose a reason.");
        assert_eq!(app.services.orders.details(order).await.unwrap().order.status, OrderStatus::Complete);

        let done = app.post_form(&format!("/orders/{order}/cancel"), &[("confirm", "yes"), ("key", &key), ("reason", "Too expensive"), ("refund", "yes")]).await;
        assert_eq!(location(&done), format!("/orders/{order}"));
        let after = app.get_page(&format!("/orders/{order}")).await;
        let flash = after.flash_success().unwrap_or_default();
        assert!(flash.contains("Order cancelled") && flash.contains("void of 21.98 USD approved"), "{flash}");
        assert!(!after.has(&format!("form[action='/orders/{order}/cancel']")), "cancelled: no Cancel");

        let merchant = crate::helpers::new_client();
        app.create_user("mo@example.com", "Mo", "merchant").await;
        app.login_with(&merchant, "mo@example.com", crate::helpers::PASSWORD).await;
        let html = merchant.get(app.url(&format!("/orders/{order}"))).send().await.unwrap().text().await.unwrap();
        let page = Page::parse(&html);
        assert!(!page.has(&format!("form[action='/orders/{order}/refund']")));
        let token = crate::helpers::csrf_in(&html);
        let refused = merchant.post(app.url(&format!("/orders/{order}/refund"))).form(&[("confirm", "yes"), ("key", "k"), ("reason", "Billing error"), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 403);
    }
}

both_backends! {
    /// The merchant's reason lists: added at the end, a duplicate refused next to the field,
    /// renamed, archived (no longer offered to agents) and restored; each logged.
    async fn merchants_keep_the_reason_lists(app) {
        app.login_as_new("merchant").await;
        let page = app.get_page("/catalogue/reasons").await;
        assert!(page.texts("h2").contains(&"Refund reasons".to_owned()));
        let done = app.post_form("/catalogue/reasons", &[("kind", "refund"), ("label", "  Duplicate   charge ")]).await;
        assert_eq!(location(&done), "/catalogue/reasons");
        let dup = app.post_form("/catalogue/reasons", &[("kind", "refund"), ("label", "duplicate charge")]).await;
        assert_eq!(dup.status().as_u16(), 422);
        assert!(dup.text().await.unwrap().contains("already in this list"));
        let empty = app.post_form("/catalogue/reasons", &[("kind", "cancel"), ("label", " ")]).await;
        assert_eq!(empty.status().as_u16(), 422);
        let active = app.services.reasons.active(ReasonKind::Refund).await.unwrap();
        let added = active.iter().find(|r| r.label == "Duplicate charge").unwrap().clone();
        assert_eq!(added.position, 6, "added at the end");

        app.post_form(&format!("/catalogue/reasons/{}", added.id), &[("label", "Charged twice")]).await;
        app.post_form(&format!("/catalogue/reasons/{}/archived", added.id), &[("archived", "yes")]).await;
        let active = app.services.reasons.active(ReasonKind::Refund).await.unwrap();
        assert!(active.iter().all(|r| r.id != added.id), "archived: not offered");
        app.post_form(&format!("/catalogue/reasons/{}/archived", added.id), &[("archived", "no")]).await;
        let active = app.services.reasons.active(ReasonKind::Refund).await.unwrap();
        assert!(active.iter().any(|r| r.label == "Charged twice"));
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind LIKE 'reason.%'").await, 4);
        assert_eq!(app.post_form("/catalogue/reasons/999999/archived", &[("archived", "yes")]).await.status().as_u16(), 404);
    }
}
