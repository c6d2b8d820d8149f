//! The order endpoints of SPEC 4.7 over HTTP, on both databases: every status code and bad
//! input of issue #10, idempotent replay under concurrency, and no card data kept.

use serde_json::{Value, json};

use crate::api_platform::new_key;
use crate::both_backends;
use crate::helpers::*;
use crate::orders::{Shop, every_stored_value, shop};

fn order_body(shop: &Shop, card: &str) -> Value {
    json!({
        "campaign_id": shop.campaign.0,
        "customer": {
            "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
            "phone": "+1 555 010 7788",
            "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}
        },
        "card": {"number": card, "exp_month": 12, "exp_year": 2031, "cvv": "737"},
        "items": [{"product_id": shop.one_off.0, "quantity": 1, "option": null}, {"product_id": shop.recurring.0, "quantity": 1}],
        "ip_address": "203.0.113.7"
    })
}

async fn post(
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

async fn get(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    new_client()
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// (status, error code, field names) of an answer that must be an error.
async fn refusal(response: reqwest::Response) -> (u16, String, Vec<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let error = &body["error"];
    let fields = error["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default();
    (
        status,
        error["code"].as_str().unwrap_or_default().to_owned(),
        fields,
    )
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match &app.db {
        recoup::db::Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap(),
        recoup::db::Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

both_backends! {
    /// POST /api/v1/orders answers 201 with the order, approved or declined, in the shape of
    /// SPEC 4.7; GET /api/v1/orders/{id} answers it again.
    async fn an_order_is_placed_and_read_back(app) {
        let shop = shop(&app, 1).await;
        let key = new_key(&app, "Checkout").await;
        let response = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4111111111111111")).await;
        assert_eq!(response.status().as_u16(), 201);
        let order: Value = response.json().await.unwrap();
        assert_eq!(order["status"], "complete");
        assert_eq!(order["type"], "new_sale");
        assert_eq!(order["currency"], "USD");
        assert_eq!(order["total"], 1999 + 199);
        assert_eq!(order["items"][1]["price"], 4999);
        assert_eq!(order["items"][1]["charged"], 199);
        let t = &order["transactions"][0];
        assert_eq!((t["kind"].as_str(), t["result"].as_str(), t["response_code"].as_str()), (Some("sale"), Some("approved"), Some("00")));
        assert_eq!(t["mid_id"], shop.main.0);
        assert_eq!(t["settled"], false);
        assert_eq!(order["subscriptions"][0]["status"], "trial");
        assert!(order["subscriptions"][0]["next_bill_date"].is_string());
        assert_eq!(order["notes"][0], "Routed to Main, the campaign's MID.");

        let id = order["id"].as_i64().unwrap();
        let again: Value = get(&app, &format!("/api/v1/orders/{id}"), &key).await.json().await.unwrap();
        assert_eq!(again, order);

        // Declined: still 201, with the cascade written down.
        let response = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4000000000000002")).await;
        assert_eq!(response.status().as_u16(), 201);
        let declined: Value = response.json().await.unwrap();
        assert_eq!(declined["status"], "declined");
        assert_eq!(declined["transactions"].as_array().unwrap().len(), 2);
        assert_eq!(declined["transactions"][0]["decline_class"], "soft");
        assert_eq!(declined["subscriptions"], json!([]));

        // The event log names the key.
        let actor: String = match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT actor_label FROM events WHERE kind = 'order.placed' LIMIT 1").fetch_one(pool).await.unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT actor_label FROM events WHERE kind = 'order.placed' LIMIT 1").fetch_one(pool).await.unwrap(),
        };
        assert!(actor.contains("Checkout"), "{actor}");
    }
}

both_backends! {
    /// Every bad input of issue #10 answers its 4xx naming the field, and nothing is charged
    /// or saved.
    async fn bad_orders_answer_4xx_and_change_nothing(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Checkout").await;
        let base = order_body(&shop, "4111111111111111");
        let with = |pointer: &str, value: Value| {
            let mut body = base.clone();
            *body.pointer_mut(pointer).unwrap() = value;
            body
        };
        let cases: Vec<(Value, u16, &str)> = vec![
            (with("/customer/email", json!("not-an-email")), 422, "customer.email"),
            (with("/customer/phone", json!("call me")), 422, "customer.phone"),
            (with("/customer/first_name", json!("")), 422, "customer.first_name"),
            (with("/card/number", json!("4111111111111112")), 422, "card.number"),
            (with("/card/exp_year", json!(2020)), 422, "card.exp_month"),
            (with("/card/cvv", json!("12")), 422, "card.cvv"),
            (with("/card/cvv", json!("12345")), 422, "card.cvv"),
            (with("/items/0/quantity", json!(0)), 422, "items[0].quantity"),
            (with("/items/0/quantity", json!(-3)), 422, "items[0].quantity"),
            (with("/items/0/quantity", json!(1_000_000_000_000_i64)), 422, "items[0].quantity"),
            (with("/items/0/product_id", json!(999_999)), 422, "items[0].product_id"),
            (with("/items/0/option", json!("Tiny")), 422, "items[0].option"),
            (with("/items", json!([])), 422, "items"),
            (with("/campaign_id", json!(424_242)), 422, "campaign_id"),
            (with("/ip_address", json!("999.1.1.1")), 422, "ip_address"),
            (with("/items/0/quantity", json!("two")), 422, "items[0].quantity"),
            (with("/card/exp_month", json!(1e300)), 422, "card.exp_month"),
        ];
        for (body, status, field) in cases {
            let (got, code, fields) = refusal(post(&app, "/api/v1/orders", &key, None, &body).await).await;
            assert_eq!(got, status, "{field}: {code} {fields:?}");
            assert!(fields.iter().any(|f| f == field), "{field} not named: {fields:?}");
        }
        // Unknown fields and missing customer fields.
        let mut unknown = base.clone();
        unknown["customer"]["nickname"] = json!("Ada");
        let (status, _, fields) = refusal(post(&app, "/api/v1/orders", &key, None, &unknown).await).await;
        assert_eq!((status, fields), (422, vec!["customer.nickname".to_owned()]));
        let mut missing = base.clone();
        missing["customer"].as_object_mut().unwrap().remove("email");
        let (status, _, fields) = refusal(post(&app, "/api/v1/orders", &key, None, &missing).await).await;
        assert_eq!((status, fields), (422, vec!["customer.email".to_owned()]));
        // Malformed JSON, a 5 MB body, no key, a revoked key.
        let malformed = new_client().post(app.url("/api/v1/orders")).bearer_auth(&key)
            .header("content-type", "application/json").body("{\"campaign_id\": ").send().await.unwrap();
        assert_eq!(refusal(malformed).await.0, 400);
        let huge = new_client().post(app.url("/api/v1/orders")).bearer_auth(&key)
            .header("content-type", "application/json").body(vec![b' '; 5 * 1024 * 1024]).send().await.unwrap();
        assert_eq!(huge.status().as_u16(), 413);
        let anonymous = new_client().post(app.url("/api/v1/orders")).json(&base).send().await.unwrap();
        assert_eq!(refusal(anonymous).await.0, 401);
        // Nothing was charged or saved by any of it.
        assert_eq!(count(&app, "orders").await, 0);
        assert_eq!(count(&app, "customers").await, 0);
        assert_eq!(count(&app, "test_gateway_requests").await, 0);
        // An archived product: archive one and order it.
        app.services.catalogue.archive_product(&crate::orders::actor(), shop.one_off).await.unwrap();
        let (status, _, fields) = refusal(post(&app, "/api/v1/orders", &key, None, &base).await).await;
        assert_eq!((status, fields), (422, vec!["items[0].product_id".to_owned()]));
    }
}

both_backends! {
    /// A blacklisted customer is refused with 409 and no gateway call (R-OR-4); an unknown
    /// order is 404; an upsale of a declined sale is 409.
    async fn state_refusals_answer_404_and_409(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Checkout").await;
        assert_eq!(refusal(get(&app, "/api/v1/orders/999999", &key).await).await.0, 404);
        assert_eq!(refusal(get(&app, "/api/v1/orders/abc", &key).await).await.0, 404);
        let declined: Value = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4000000000009979")).await.json().await.unwrap();
        let upsale = json!({"items": [{"product_id": shop.one_off.0, "quantity": 1}]});
        let path = format!("/api/v1/orders/{}/upsales", declined["id"]);
        let (status, code, _) = refusal(post(&app, &path, &key, None, &upsale).await).await;
        assert_eq!((status, code.as_str()), (409, "order_not_upsellable"));
        let (status, _, _) = refusal(post(&app, "/api/v1/orders/999999/upsales", &key, None, &upsale).await).await;
        assert_eq!(status, 404);

        let requests = count(&app, "test_gateway_requests").await;
        match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query("INSERT INTO blacklist (kind, value, created_at) VALUES ('email', 'ada@example.com', '2026-01-01T00:00:00Z')").execute(pool).await.map(drop).unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query("INSERT INTO blacklist (kind, value, created_at) VALUES ('email', 'ada@example.com', '2026-01-01T00:00:00Z')").execute(pool).await.map(drop).unwrap(),
        };
        let (status, code, _) = refusal(post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4111111111111111")).await).await;
        assert_eq!((status, code.as_str()), (409, "customer_blacklisted"));
        assert_eq!(count(&app, "test_gateway_requests").await, requests);
    }
}

both_backends! {
    /// Upsales through the API: charged to the parent's card on its MID.
    async fn an_upsale_is_charged_to_the_parent_card(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Checkout").await;
        let parent: Value = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "5555555555554444")).await.json().await.unwrap();
        let path = format!("/api/v1/orders/{}/upsales", parent["id"]);
        let body = json!({"items": [{"product_id": shop.one_off.0, "quantity": 2, "option": "Large"}]});
        let response = post(&app, &path, &key, Some("upsale-1"), &body).await;
        assert_eq!(response.status().as_u16(), 201);
        let upsale: Value = response.json().await.unwrap();
        assert_eq!((upsale["type"].as_str(), upsale["status"].as_str()), (Some("upsale"), Some("complete")));
        assert_eq!(upsale["parent_order_id"], parent["id"]);
        assert_eq!(upsale["total"], 2 * 2499);
        assert_eq!(upsale["transactions"][0]["mid_id"], shop.main.0);
    }
}

both_backends! {
    /// SPEC 4.7 and R-OR-6: 20 concurrent identical requests with one Idempotency-Key charge
    /// once and all answer the same order; the key with another body is refused.
    async fn twenty_identical_orders_with_one_key_charge_once(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Checkout").await;
        let body = order_body(&shop, "4111111111111111");
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (url, key, body) = (app.url("/api/v1/orders"), key.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let response = new_client().post(url).bearer_auth(key).header("Idempotency-Key", "checkout-7f3a").json(&body).send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        let first = answers[0].clone();
        assert_eq!(first.0, 201, "{}", first.1);
        assert!(answers.iter().all(|a| *a == first), "every answer is the first one");
        assert_eq!(count(&app, "orders").await, 1);
        assert_eq!(count(&app, "test_gateway_requests").await, 1);
        let mut other = body.clone();
        other["items"][0]["quantity"] = json!(2);
        let (status, code, _) = refusal(post(&app, "/api/v1/orders", &key, Some("checkout-7f3a"), &other).await).await;
        assert_eq!((status, code.as_str()), (422, "idempotency_key_reused"));
        assert_eq!(count(&app, "orders").await, 1);
    }
}

both_backends! {
    /// R-TG-2 through the API: after an order, neither the card number nor the CVV is in the
    /// database, in the API's answer or on the order page.
    async fn the_card_number_and_cvv_are_nowhere_after_an_api_order(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Checkout").await;
        let mut body = order_body(&shop, "6011111111111117");
        body["card"]["cvv"] = json!("8642");
        let response = post(&app, "/api/v1/orders", &key, Some("card-check"), &body).await;
        let answer = response.text().await.unwrap();
        let order: Value = serde_json::from_str(&answer).unwrap();
        for value in every_stored_value(&app.db).await.iter().chain([&answer]) {
            assert!(!value.contains("6011111111111117") && !value.contains("8642"), "{value}");
        }
        app.login_as_new("cs_agent").await;
        let page = app.get_html(&format!("/orders/{}", order["id"])).await;
        assert!(page.contains("Discover …1117"));
        assert!(!page.contains("6011111111111117") && !page.contains("8642"));
    }
}

both_backends! {
    /// The customer-service calls (SPEC 4.7, R-CS-1, R-CS-2): a void of an unsettled sale, a
    /// refund in part and of what is left, the refusals with 409 and the reason why, bad
    /// amounts with 422 naming the field, and 50 concurrent refunds that never pass the charge.
    async fn transactions_are_refunded_and_voided_through_the_api(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Support desk").await;
        let order = |card: &'static str| {
            let (app, key, body) = (&app, &key, order_body(&shop, card));
            async move {
                let order: Value = post(app, "/api/v1/orders", key, None, &body).await.json().await.unwrap();
                order["transactions"][0]["id"].as_i64().unwrap()
            }
        };
        let unsettled = order("4111111111111111").await;
        let response = post(&app, &format!("/api/v1/transactions/{unsettled}/void"), &key, None, &json!({"reason": "duplicate order"})).await;
        assert_eq!(response.status().as_u16(), 201);
        let void: Value = response.json().await.unwrap();
        assert_eq!((void["kind"].as_str(), void["result"].as_str(), void["amount"].as_i64()), (Some("void"), Some("approved"), Some(2198)));
        let (status, code, _) = refusal(post(&app, &format!("/api/v1/transactions/{unsettled}/void"), &key, None, &json!({})).await).await;
        assert_eq!((status, code.as_str()), (409, "reversal_refused"));

        let settled = order("5555555555554444").await;
        app.clock.advance(chrono::Duration::hours(25));
        let path = format!("/api/v1/transactions/{settled}/refund");
        let response = new_client().post(app.url(&format!("/api/v1/transactions/{settled}/void"))).bearer_auth(&key).json(&json!({})).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("refund it instead"), "{body}");
        for (amount, field) in [(json!(0), "amount"), (json!(-1), "amount"), (json!(1.999), "amount"), (json!("ten"), "amount")] {
            let (status, _, fields) = refusal(post(&app, &path, &key, None, &json!({"amount": amount})).await).await;
            assert_eq!((status, fields), (422, vec![field.to_owned()]), "{amount}");
        }
        let first: Value = post(&app, &path, &key, Some("refund-1"), &json!({"amount": 500, "reason": "damaged"})).await.json().await.unwrap();
        let replay: Value = post(&app, &path, &key, Some("refund-1"), &json!({"amount": 500, "reason": "damaged"})).await.json().await.unwrap();
        assert_eq!(first, replay, "a replay refunds nothing more");
        assert_eq!(first["amount"], 500);
        let response = new_client().post(app.url(&path)).bearer_auth(&key).json(&json!({"amount": 5000})).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 409);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["message"], "At most 16.98 USD can still be refunded.");

        // 50 concurrent refunds of 1.00 from the rest (16.98): 16 go through.
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (url, key) = (app.url(&path), key.clone());
            tasks.push(tokio::spawn(async move {
                new_client().post(url).bearer_auth(key).json(&json!({"amount": 100})).send().await.unwrap().status().as_u16()
            }));
        }
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                201 => created += 1,
                409 => {}
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!(created, 16);
        let refunded: i64 = match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM transactions WHERE kind = 'refund' AND result = 'approved'").fetch_one(pool).await.unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM transactions WHERE kind = 'refund' AND result = 'approved'").fetch_one(pool).await.unwrap(),
        };
        assert_eq!(refunded, 500 + 1600);
        let calls: i64 = match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM test_gateway_requests WHERE operation = 'refund'").fetch_one(pool).await.unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM test_gateway_requests WHERE operation = 'refund'").fetch_one(pool).await.unwrap(),
        };
        assert_eq!(calls, 17, "one gateway call per recorded refund");
        assert_eq!(refusal(post(&app, "/api/v1/transactions/999999/refund", &key, None, &json!({})).await).await.0, 404);
    }
}

both_backends! {
    /// GET /api/v1/customers (SPEC 4.7): by email, phone or last 4, each alone or together,
    /// with the cards on file; no filter or a bad last 4 is 422 naming the field.
    async fn customers_are_looked_up_by_email_phone_and_last4(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Support desk").await;
        post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4111111111111111")).await;
        let mut other = order_body(&shop, "5555555555554444");
        other["customer"]["email"] = json!("grace@example.com");
        other["customer"]["phone"] = json!("+44 20 7946 0000");
        post(&app, "/api/v1/orders", &key, None, &other).await;
        let found = |query: &'static str| {
            let (app, key) = (&app, &key);
            async move {
                let body: Value = get(app, &format!("/api/v1/customers?{query}"), key).await.json().await.unwrap();
                body["customers"].as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(found("email=ADA@example.com").await, ["ada@example.com"]);
        assert_eq!(found("last4=4444").await, ["grace@example.com"]);
        assert_eq!(found("phone=%2B44%2020%207946%200000&last4=4444").await, ["grace@example.com"]);
        assert!(found("email=ada@example.com&last4=4444").await.is_empty());
        let body: Value = get(&app, "/api/v1/customers?last4=1111", &key).await.json().await.unwrap();
        assert_eq!(body["customers"][0]["cards"], json!(["Visa …1111"]));
        let (status, _, fields) = refusal(get(&app, "/api/v1/customers", &key).await).await;
        assert_eq!((status, fields), (422, vec!["email".to_owned()]));
        let (status, _, fields) = refusal(get(&app, "/api/v1/customers?last4=12a4", &key).await).await;
        assert_eq!((status, fields), (422, vec!["last4".to_owned()]));
        assert_eq!(refusal(get(&app, "/api/v1/customers?card=4111", &key).await).await.0, 422);
    }
}

both_backends! {
    /// `POST /api/v1/orders/{id}/cancel` (SPEC 4.7, R-CS-7): 422 without a reason, 404 for an
    /// unknown order, 200 cancelling the order and its subscription, with `"refund": true` the
    /// charge voided (R-CS-3), a replay with the same Idempotency-Key answers the same and
    /// gives back nothing more, and a second cancel is 409; a failed refund names its queue entry.
    async fn orders_are_cancelled_through_the_api(app) {
        let shop = shop(&app, 0).await;
        let key = new_key(&app, "Support desk").await;
        let order: Value = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4111111111111111")).await.json().await.unwrap();
        let id = order["id"].as_i64().unwrap();
        let path = format!("/api/v1/orders/{id}/cancel");
        let (status, _, fields) = refusal(post(&app, &path, &key, None, &json!({"reason": " "})).await).await;
        assert_eq!((status, fields), (422, vec!["reason".to_owned()]));
        let (status, code, _) = refusal(post(&app, "/api/v1/orders/999999/cancel", &key, None, &json!({"reason": "x"})).await).await;
        assert_eq!((status, code.as_str()), (404, "order_not_found"));
        assert_eq!(post(&app, "/api/v1/orders/abc/cancel", &key, None, &json!({"reason": "x"})).await.status().as_u16(), 404);

        let body = json!({"reason": "Too expensive", "refund": true});
        let response = post(&app, &path, &key, Some("cancel-1"), &body).await;
        assert_eq!(response.status().as_u16(), 200);
        let done: Value = response.json().await.unwrap();
        assert_eq!((done["status"].as_str(), done["subscriptions_cancelled"].as_u64()), (Some("cancelled"), Some(1)));
        assert_eq!(done["reversals"][0]["reversal"]["kind"], "void");
        assert_eq!(done["reversals"][0]["reversal"]["result"], "approved");
        let replay: Value = post(&app, &path, &key, Some("cancel-1"), &body).await.json().await.unwrap();
        assert_eq!(done, replay);
        let (status, code, _) = refusal(post(&app, &path, &key, None, &body).await).await;
        assert_eq!((status, code.as_str()), (409, "order_cancelled"));
        let shown: Value = get(&app, &format!("/api/v1/orders/{id}"), &key).await.json().await.unwrap();
        assert_eq!(shown["status"], "cancelled");
        assert_eq!(shown["subscriptions"][0]["status"], "cancelled");

        // R-CS-4 through the API: a refund the gateway fails names its queue entry.
        let failing: Value = post(&app, "/api/v1/orders", &key, None, &order_body(&shop, "4000000000005126")).await.json().await.unwrap();
        app.clock.advance(chrono::Duration::hours(25));
        let sale = failing["transactions"][0]["id"].as_i64().unwrap();
        let refund: Value = post(&app, &format!("/api/v1/transactions/{sale}/refund"), &key, None, &json!({"reason": "Customer request"})).await.json().await.unwrap();
        assert_eq!(refund["result"], "declined");
        assert!(refund["refund_queue_id"].as_i64().is_some(), "{refund}");
    }
}
