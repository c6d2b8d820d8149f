//! The refund queue (R-CS-4): a refund the gateway fails is queued and retried once a day for
//! 3 days; after the third failed retry it leaves the queue and the campaign's notify emails
//! are told. The page lists entries with Retry now and Remove.

use recoup::domain::ids::{OrderId, RefundQueueId, TransactionId};
use recoup::domain::page::KeysetRequest;
use recoup::domain::refund_queue::QueueStatus;
use recoup::services::payments::Asked;
use recoup::services::refund_queue::{QueueError, Retried};

use crate::both_backends;
use crate::helpers::{Page, TestApp, location};
use crate::orders::{actor, execute, sale, scalar, shop, usd};

/// The test's shop, whose campaign notifies ops@example.com (made on first use).
async fn notified_shop(app: &TestApp) -> crate::orders::Shop {
    if let Some((campaign, products)) = app.services.catalogue.offered().await.unwrap().first() {
        return crate::orders::Shop {
            campaign: campaign.id,
            one_off: products[0].id,
            recurring: products[1].id,
            main: recoup::domain::ids::MidId(0),
            backups: Vec::new(),
            cascade: None,
        };
    }
    let shop = shop(app, 0).await;
    execute(&app.db, &format!("INSERT INTO campaign_notify_emails (campaign_id, position, email) VALUES ({}, 1, 'ops@example.com')", shop.campaign)).await;
    shop
}

/// A settled 19.99 sale with `card`; its order and transaction.
pub async fn settled_sale(app: &TestApp, card: &str) -> (OrderId, TransactionId) {
    let shop = notified_shop(app).await;
    let order = app
        .services
        .orders
        .place(&actor(), &sale(&shop, card, &[(shop.one_off, 1)]), None)
        .await
        .unwrap();
    let sale_id = app
        .services
        .orders
        .details(order)
        .await
        .unwrap()
        .transactions[0]
        .id;
    app.clock.advance(chrono::Duration::hours(25));
    (order, sale_id)
}

/// A refund the gateway fails enters the queue, a day out; its entry.
pub async fn failed_refund(app: &TestApp, sale_id: TransactionId) -> RefundQueueId {
    let reversal = app
        .services
        .payments
        .refund(
            &actor(),
            sale_id,
            None,
            &Asked {
                reason: "Customer request",
                key: None,
            },
        )
        .await
        .unwrap();
    assert!(!reversal.approved());
    let entry = reversal.queued.expect("a failed refund is queued");
    let queued = app.services.refund_queue.find(entry).await.unwrap();
    assert_eq!(
        (queued.status, queued.attempts, queued.amount),
        (QueueStatus::Queued, 0, usd(1999))
    );
    assert_eq!(
        queued.next_try_at,
        Some(app.clock_now() + chrono::Duration::days(1))
    );
    entry
}

both_backends! {
    /// R-CS-4 through Retry now: 4000000000007726's first refund fails and its first retry
    /// succeeds; 4000000000005126 fails every time and gives up after the third retry, with
    /// the notify email in the outbox; a retry of an entry no longer queued is refused.
    async fn r_cs_4_retries_then_gives_up_and_tells_the_notify_emails(app) {
        let (_, sale_id) = settled_sale(&app, "4000000000007726").await;
        let entry = failed_refund(&app, sale_id).await;
        assert_eq!(app.services.refund_queue.retry(&actor(), entry).await.unwrap(), Retried::Refunded);
        let done = app.services.refund_queue.find(entry).await.unwrap();
        assert_eq!((done.status, done.attempts, done.next_try_at), (QueueStatus::Refunded, 1, None));
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM transactions WHERE parent_id = {sale_id} AND kind = 'refund' AND result = 'approved'")).await, 1);
        let again = app.services.refund_queue.retry(&actor(), entry).await;
        assert!(matches!(again, Err(QueueError::NotQueued(_))), "{again:?}");

        let (order, failing) = settled_sale(&app, "4000000000005126").await;
        let entry = failed_refund(&app, failing).await;
        for attempt in 1..=2 {
            match app.services.refund_queue.retry(&actor(), entry).await.unwrap() {
                Retried::TryAgainAt(at) => assert_eq!(at, app.clock_now() + chrono::Duration::days(1)),
                other => panic!("retry {attempt}: {other:?}"),
            }
        }
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM outbox WHERE kind = 'refund_failed'").await, 0);
        assert_eq!(app.services.refund_queue.retry(&actor(), entry).await.unwrap(), Retried::GaveUp);
        let gone = app.services.refund_queue.find(entry).await.unwrap();
        assert_eq!((gone.status, gone.attempts), (QueueStatus::Failed, 3));
        assert!(gone.last_error.starts_with("06"), "{}", gone.last_error);
        assert_eq!(scalar(&app.db, &format!("SELECT COUNT(*) FROM outbox WHERE kind = 'refund_failed' AND order_id = {order} AND to_address = 'ops@example.com'")).await, 1);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'refund_queue.retried'").await, 4);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM events WHERE kind = 'refund_queue.queued'").await, 2);
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM customer_history WHERE kind = 'refund_queue'").await, 4);
        let counts = app.services.refund_queue.counts().await.unwrap();
        assert_eq!((counts.queued, counts.failed_recently), (0, 1));
    }
}

both_backends! {
    /// Two retries of one entry at once: one wins, the other is told it is busy or done; the
    /// gateway is asked once.
    async fn r_cs_4_a_queued_refund_is_retried_once_at_a_time(app) {
        let (_, sale_id) = settled_sale(&app, "4000000000007726").await;
        let entry = failed_refund(&app, sale_id).await;
        let (first, second) = (actor(), actor());
        let (a, b) = tokio::join!(
            app.services.refund_queue.retry(&first, entry),
            app.services.refund_queue.retry(&second, entry)
        );
        let won = [&a, &b].iter().filter(|r| matches!(r, Ok(Retried::Refunded))).count();
        assert_eq!(won, 1, "{a:?} {b:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM test_gateway_requests WHERE operation = 'refund'").await, 2, "the first failed refund and one retry");
    }
}

both_backends! {
    /// The page: agents see the queued refund with its amount, customer, retries, last error and
    /// next try; Retry now and Remove (after a confirmation) act; a merchant gets 403; the
    /// dashboard counts it.
    async fn the_refund_queue_page_lists_retries_and_removes(app) {
        let (_, sale_id) = settled_sale(&app, "4000000000005126").await;
        let entry = failed_refund(&app, sale_id).await;
        app.login_as_new("cs_agent").await;
        let page = app.get_page("/refund-queue").await;
        let row = page.text(&format!("#queued-{entry}"));
        assert!(row.contains("Ada Lovelace") && row.contains("19.99 USD") && row.contains("0 of 3") && row.contains("06"), "{row}");
        let dashboard = app.get_page("/").await;
        assert!(dashboard.text("#refund-queue-tile").contains("1 refund in the refund queue"), "{}", dashboard.text("#refund-queue-tile"));

        let retried = app.post_form(&format!("/refund-queue/{entry}/retry"), &[]).await;
        assert_eq!(location(&retried), "/refund-queue");
        let flash = app.get_page("/refund-queue").await.flash_error().unwrap_or_default();
        assert!(flash.contains("failed the refund again"), "{flash}");

        let ask = app.post_form(&format!("/refund-queue/{entry}/remove"), &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        assert!(Page::parse(&ask.text().await.unwrap()).text("h1").contains("Remove the refund of 19.99 USD"));
        let removed = app.post_form(&format!("/refund-queue/{entry}/remove"), &[("confirm", "yes")]).await;
        assert_eq!(location(&removed), "/refund-queue");
        let entries = app.services.refund_queue.list(QueueStatus::Removed, KeysetRequest { after: None, size: 10 }).await.unwrap();
        assert_eq!(entries.total, 1);
        assert_eq!(app.post_form("/refund-queue/999999/remove", &[("confirm", "yes")]).await.status().as_u16(), 404);
        assert_eq!(app.post_form("/refund-queue/abc/retry", &[]).await.status().as_u16(), 404);

        let merchant = crate::helpers::new_client();
        app.create_user("mo@example.com", "Mo", "merchant").await;
        app.login_with(&merchant, "mo@example.com", crate::helpers::PASSWORD).await;
        assert_eq!(merchant.get(app.url("/refund-queue")).send().await.unwrap().status().as_u16(), 403);
    }
}
