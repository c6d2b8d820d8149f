//! Create New Order from a customer's profile (issue #11 item 2): order entry starts with the
//! customer's details and offers their card on file by brand and last 4; charging it uses the
//! gateway's token (no card number is typed or kept). A card of another customer posted by hand
//! is refused next to the field; a blacklisted customer's order is refused (R-OR-4).

use recoup::domain::ids::{CustomerId, OrderId};
use recoup::domain::order::OrderStatus;

use crate::both_backends;
use crate::helpers::{Page, TestApp, location};
use crate::orders::{Shop, actor, sale, scalar, shop};

/// An approved sale for a new customer with `card` and `email`; the order and customer.
async fn first_order(app: &TestApp, shop: &Shop, card: &str, email: &str) -> (OrderId, CustomerId) {
    let mut draft = sale(shop, card, &[(shop.one_off, 1)]);
    draft.customer.email = email.to_owned();
    draft.customer.address = Some(recoup::domain::order::AddressDraft {
        line1: "1 Main St".to_owned(),
        line2: String::new(),
        city: "Springfield".to_owned(),
        state: "IL".to_owned(),
        postal_code: "62701".to_owned(),
        country: "US".to_owned(),
    });
    let order = app
        .services
        .orders
        .place(&actor(), &draft, None)
        .await
        .unwrap();
    let customer = app
        .services
        .orders
        .details(order)
        .await
        .unwrap()
        .customer
        .id;
    (order, customer)
}

/// The order entry form as the page pre-filled it, with `card_on_file` chosen.
fn entry(page: &Page, shop: &Shop, card_on_file: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        "customer.first_name",
        "customer.last_name",
        "customer.email",
        "customer.phone",
        "customer.address.line1",
        "customer.address.line2",
        "customer.address.city",
        "customer.address.state",
        "customer.address.postal_code",
        "customer.address.country",
        "customer",
    ]
    .iter()
    .map(|name| {
        let value = page
            .all(&format!("input[name=\"{name}\"]"))
            .first()
            .and_then(|e| e.value().attr("value"))
            .unwrap_or_default()
            .to_owned();
        ((*name).to_owned(), value)
    })
    .collect();
    for (name, value) in [
        ("campaign_id", shop.campaign.to_string()),
        ("product", shop.one_off.to_string()),
        ("quantity", "1".to_owned()),
        ("option", String::new()),
        ("card_on_file", card_on_file.to_owned()),
        ("card.number", String::new()),
        ("card.exp_month", String::new()),
        ("card.exp_year", String::new()),
        ("card.cvv", String::new()),
        ("ip_address", String::new()),
    ] {
        fields.push((name.to_owned(), value));
    }
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

both_backends! {
    /// The form is pre-filled and offers the card on file; placing the order charges its token
    /// and keeps no new card.
    async fn create_new_order_charges_the_card_on_file(app) {
        let shop = shop(&app, 0).await;
        let (first, customer) = first_order(&app, &shop, "5555555555554444", "ada@example.com").await;
        let card = app.services.orders.details(first).await.unwrap().payment_method.unwrap();
        app.login_as_new("cs_agent").await;

        let page = app.get_page(&format!("/orders/new?customer={customer}")).await;
        let email = page.all("input[name=\"customer.email\"]")[0].value().attr("value").unwrap_or_default().to_owned();
        assert_eq!(email, "ada@example.com");
        let offered = page.text(&format!("label[for=card-on-file-{}]", card.id));
        assert!(offered.contains("Mastercard …4444"), "{offered}");
        assert!(page.has(&format!("#card-on-file-{}[checked]", card.id)), "the card on file is chosen");

        let fields = entry(&page, &shop, &card.id.to_string());
        let response = app.post_form("/orders", &pairs(&fields)).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let order: i64 = location(&response)[8..].parse().unwrap();
        let d = app.services.orders.details(OrderId(order)).await.unwrap();
        assert_eq!(d.order.status, OrderStatus::Complete);
        assert_eq!((d.customer.id, d.payment_method.unwrap().id), (customer, card.id), "same customer, same card");
        let cards: i64 = scalar(&app.db, &format!("SELECT COUNT(*) FROM payment_methods WHERE customer_id = {customer}")).await;
        assert_eq!(cards, 1, "no new card kept");
    }
}

both_backends! {
    /// A card id of another customer, or a made-up one, is refused next to the field and
    /// nothing is charged; an unknown customer is 404.
    async fn a_card_of_another_customer_is_refused(app) {
        let shop = shop(&app, 0).await;
        let (_, customer) = first_order(&app, &shop, "4111111111111111", "ada@example.com").await;
        let (other_order, _) = first_order(&app, &shop, "6011111111111117", "bob@example.com").await;
        let others = app.services.orders.details(other_order).await.unwrap().payment_method.unwrap();
        app.login_as_new("cs_agent").await;
        let page = app.get_page(&format!("/orders/new?customer={customer}")).await;
        let before: i64 = scalar(&app.db, "SELECT COUNT(*) FROM transactions").await;
        for card in [others.id.to_string(), "999999".to_owned(), "x".to_owned()] {
            let fields = entry(&page, &shop, &card);
            let response = app.post_form("/orders", &pairs(&fields)).await;
            assert_eq!(response.status(), 422, "card {card}");
            let refused = Page::parse(&response.text().await.unwrap());
            assert!(refused.field_error("card_on_file").is_some(), "card {card}");
        }
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM transactions").await, before, "nothing charged");
        assert_eq!(app.get(&format!("/orders/new?customer={}", customer.0 + 1000)).await.status(), 404);
    }
}

both_backends! {
    /// R-OR-4 with a card on file: once the customer is blacklisted their new order is refused
    /// before any gateway call.
    async fn r_or_4_a_blacklisted_customer_cannot_order_with_the_card_on_file(app) {
        let shop = shop(&app, 0).await;
        let (first, customer) = first_order(&app, &shop, "4111111111111111", "ada@example.com").await;
        let card = app.services.orders.details(first).await.unwrap().payment_method.unwrap();
        app.services.blacklist.add(&actor(), customer, "chargebacks").await.unwrap();
        let mut draft = sale(&shop, "", &[(shop.one_off, 1)]);
        draft.customer.email = "ada@example.com".to_owned();
        draft.card_on_file = Some(card.id.0);
        let refused = app.services.orders.place(&actor(), &draft, None).await;
        assert!(matches!(refused, Err(recoup::services::orders::SaleError::Blacklisted)), "{refused:?}");
        assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM transactions").await, 1);
    }
}
