//! The role x route matrix (SPEC R-AU-2): every route of the table, for every built-in role and
//! for an anonymous visitor. The expectations are written out here, independently of the table,
//! so a route added without a matching row here fails this test.

use crate::both_backends;
use crate::helpers::*;
use recoup::web::{Access, route_table};

const ALL: &[&str] = &["anonymous", "admin", "merchant", "cs_admin", "cs_agent"];
const SIGNED_IN: &[&str] = &["admin", "merchant", "cs_admin", "cs_agent"];
const MERCHANT: &[&str] = &["admin", "merchant"];
const CS: &[&str] = &["admin", "cs_admin", "cs_agent"];
const ADMIN: &[&str] = &["admin"];
/// R-CS-5: the blacklist is for CS admins and admins.
const CS_ADMIN: &[&str] = &["admin", "cs_admin"];
/// Order entry: merchants test their gateways with it, agents take orders by phone.
const ORDER_ENTRY: &[&str] = SIGNED_IN;
/// Gateways, routing and decline mapping are merchant work too.
const GATEWAYS: &[&str] = MERCHANT;
/// The JSON API: an API key, never a session, so nobody here (each answers 401 JSON).
const API_KEY: &[&str] = &[];

/// (method, path pattern, who may use it).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("GET", "/healthz", ALL),
    ("GET", "/login", ALL),
    ("POST", "/login", ALL),
    ("POST", "/logout", SIGNED_IN),
    ("GET", "/", SIGNED_IN),
    ("GET", "/mids", MERCHANT),
    ("GET", "/mids/new", MERCHANT),
    ("GET", "/mids/credential-fields", MERCHANT),
    ("POST", "/mids", MERCHANT),
    ("GET", "/mids/{id}/edit", MERCHANT),
    ("POST", "/mids/{id}", MERCHANT),
    ("POST", "/mids/{id}/enabled", MERCHANT),
    ("POST", "/mids/{id}/delete", MERCHANT),
    ("POST", "/mids/{id}/settle", MERCHANT),
    ("POST", "/mids/{id}/test-sale", MERCHANT),
    ("GET", "/gateways", GATEWAYS),
    ("GET", "/gateways/profiles", GATEWAYS),
    ("GET", "/gateways/profiles/new", GATEWAYS),
    ("POST", "/gateways/profiles", GATEWAYS),
    ("GET", "/gateways/profiles/{id}", GATEWAYS),
    ("POST", "/gateways/profiles/{id}", GATEWAYS),
    ("POST", "/gateways/profiles/{id}/delete", GATEWAYS),
    ("GET", "/gateways/decline-mapping", GATEWAYS),
    ("POST", "/gateways/decline-mapping", GATEWAYS),
    ("GET", "/gateways/decline-mapping/{id}", GATEWAYS),
    ("GET", "/gateways/decline-mapping/{id}/edit", GATEWAYS),
    ("POST", "/gateways/decline-mapping/{id}", GATEWAYS),
    ("POST", "/gateways/decline-mapping/{id}/delete", GATEWAYS),
    ("GET", "/gateways/bins", GATEWAYS),
    ("POST", "/gateways/bins", GATEWAYS),
    ("POST", "/gateways/bins/{id}/delete", GATEWAYS),
    ("GET", "/recycle-billing", MERCHANT),
    ("GET", "/recycle-billing/new", MERCHANT),
    ("POST", "/recycle-billing", MERCHANT),
    ("POST", "/recycle-billing/validate", MERCHANT),
    ("POST", "/recycle-billing/preview", MERCHANT),
    ("POST", "/recycle-billing/preset", MERCHANT),
    ("POST", "/recycle-billing/mid-list", MERCHANT),
    ("GET", "/recycle-billing/{id}/edit", MERCHANT),
    ("POST", "/recycle-billing/{id}", MERCHANT),
    ("POST", "/recycle-billing/{id}/delete", MERCHANT),
    ("POST", "/recycle-billing/{id}/move", MERCHANT),
    ("GET", "/products", MERCHANT),
    ("GET", "/products/new", MERCHANT),
    ("POST", "/products", MERCHANT),
    ("GET", "/products/{id}/edit", MERCHANT),
    ("POST", "/products/{id}", MERCHANT),
    ("POST", "/products/{id}/enabled", MERCHANT),
    ("POST", "/products/{id}/archive", MERCHANT),
    ("GET", "/campaigns", MERCHANT),
    ("GET", "/campaigns/new", MERCHANT),
    ("GET", "/campaigns/cascade", MERCHANT),
    ("POST", "/campaigns", MERCHANT),
    ("GET", "/campaigns/{id}/edit", MERCHANT),
    ("POST", "/campaigns/{id}", MERCHANT),
    ("POST", "/campaigns/{id}/enabled", MERCHANT),
    ("POST", "/campaigns/{id}/archive", MERCHANT),
    ("GET", "/catalogue/reasons", MERCHANT),
    ("POST", "/catalogue/reasons", MERCHANT),
    ("POST", "/catalogue/reasons/{id}", MERCHANT),
    ("POST", "/catalogue/reasons/{id}/archived", MERCHANT),
    ("GET", "/customers", CS),
    ("GET", "/customers/{id}", CS),
    ("GET", "/customers/{id}/edit/{field}", CS),
    ("POST", "/customers/{id}/edit/{field}", CS),
    ("GET", "/customers/{id}/notes/new", CS),
    ("POST", "/customers/{id}/notes", CS),
    ("POST", "/customers/{id}/blacklist", CS_ADMIN),
    ("POST", "/customers/{customer}/emails/{id}/resend", CS),
    ("GET", "/blacklist", CS_ADMIN),
    ("POST", "/blacklist/{id}/remove", CS_ADMIN),
    ("GET", "/refund-queue", CS),
    ("POST", "/refund-queue/{id}/retry", CS),
    ("POST", "/refund-queue/{id}/remove", CS),
    ("GET", "/orders/new", ORDER_ENTRY),
    ("POST", "/orders", ORDER_ENTRY),
    ("GET", "/orders/{id}", ORDER_ENTRY),
    ("POST", "/transactions/{id}/void", CS),
    ("POST", "/transactions/{id}/refund", CS),
    ("POST", "/transactions/{id}/resend-email", CS),
    ("POST", "/orders/{id}/cancel", CS),
    ("GET", "/subscriptions/{id}", CS),
    ("POST", "/subscriptions/{id}/trial/restart", CS),
    ("POST", "/subscriptions/{id}/trial/skip", CS),
    ("POST", "/subscriptions/{id}/trial/stop", CS),
    ("POST", "/subscriptions/{id}/option", CS),
    ("POST", "/subscriptions/{id}/price", CS),
    ("POST", "/subscriptions/{id}/price/preview", CS),
    ("POST", "/subscriptions/{id}/next-bill", CS),
    ("POST", "/subscriptions/{id}/cancel", CS),
    ("POST", "/subscriptions/{id}/pause", CS),
    ("POST", "/subscriptions/{id}/resume", CS),
    ("POST", "/subscriptions/{id}/force-bill", CS),
    ("POST", "/orders/{id}/refund", CS),
    ("POST", "/orders/{id}/resend-welcome", CS),
    ("POST", "/orders/{id}/rerun", CS),
    ("POST", "/fulfillments/{id}/reship", CS),
    ("POST", "/fulfillments/{id}/cancel", CS),
    ("GET", "/admin", ADMIN),
    ("GET", "/admin/users", ADMIN),
    ("GET", "/admin/users/new", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("GET", "/admin/users/{id}", ADMIN),
    ("POST", "/admin/users/{id}/role", ADMIN),
    ("POST", "/admin/users/{id}/active", ADMIN),
    ("POST", "/admin/users/{id}/password", ADMIN),
    ("GET", "/admin/roles", ADMIN),
    ("GET", "/admin/roles/new", ADMIN),
    ("POST", "/admin/roles", ADMIN),
    ("GET", "/admin/roles/{id}", ADMIN),
    ("POST", "/admin/roles/{id}", ADMIN),
    ("POST", "/admin/roles/{id}/delete", ADMIN),
    ("GET", "/admin/events", ADMIN),
    ("GET", "/admin/api-keys", ADMIN),
    ("GET", "/admin/api-keys/new", ADMIN),
    ("POST", "/admin/api-keys", ADMIN),
    ("POST", "/admin/api-keys/{id}/revoke", ADMIN),
    ("GET", "/admin/jobs", ADMIN),
    ("POST", "/admin/jobs/{id}/retry", ADMIN),
    ("GET", "/api/v1/openapi.json", ALL),
    ("GET", "/api/v1/campaigns", API_KEY),
    ("POST", "/api/v1/orders", API_KEY),
    ("GET", "/api/v1/orders/{id}", API_KEY),
    ("POST", "/api/v1/orders/{id}/upsales", API_KEY),
    ("POST", "/api/v1/orders/{id}/cancel", API_KEY),
    ("POST", "/api/v1/orders/{id}/rerun", API_KEY),
    ("POST", "/api/v1/transactions/{id}/refund", API_KEY),
    ("POST", "/api/v1/transactions/{id}/void", API_KEY),
    ("GET", "/api/v1/customers", API_KEY),
    ("POST", "/api/v1/subscriptions/{id}/cancel", API_KEY),
    ("POST", "/api/v1/subscriptions/{id}/pause", API_KEY),
    ("POST", "/api/v1/subscriptions/{id}/resume", API_KEY),
];

#[test]
fn every_route_in_the_table_has_an_expected_row_and_back() {
    let table: Vec<(String, &str)> = route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    for (method, path) in &table {
        assert!(
            EXPECTED.iter().any(|(m, p, _)| m == method && p == path),
            "route {method} {path} has no row in EXPECTED: add one saying who may use it"
        );
    }
    for (method, path, _) in EXPECTED {
        assert!(
            table.iter().any(|(m, p)| m == method && p == path),
            "EXPECTED lists {method} {path}, which is not routed"
        );
    }
    let public: Vec<_> = route_table()
        .into_iter()
        .filter(|r| r.access == Access::Public)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        public,
        ["/healthz", "/login", "/login", "/api/v1/openapi.json"],
        "only these routes are open to anonymous visitors"
    );
    for route in route_table() {
        assert_eq!(
            route.access == Access::ApiKey,
            expected_for(route.method.as_str(), route.path).is_empty(),
            "{} {}: the API key rule, and only it, is open to no session",
            route.method,
            route.path
        );
    }
}

/// The path of a route with each `{id}` filled in from the fixtures.
fn concrete(pattern: &str, ids: &Ids) -> String {
    pattern
        .replace("/admin/users/{id}", &format!("/admin/users/{}", ids.user))
        .replace("/admin/roles/{id}", &format!("/admin/roles/{}", ids.role))
        .replace("/mids/{id}", &format!("/mids/{}", ids.mid))
        .replace(
            "/recycle-billing/{id}",
            &format!("/recycle-billing/{}", ids.recycle),
        )
        .replace(
            "/gateways/profiles/{id}",
            &format!("/gateways/profiles/{}", ids.profile),
        )
        .replace(
            "/gateways/decline-mapping/{id}",
            &format!("/gateways/decline-mapping/{}", ids.mapping),
        )
        .replace(
            "/gateways/bins/{id}",
            &format!("/gateways/bins/{}", ids.bin),
        )
        .replace(
            "/admin/api-keys/{id}",
            &format!("/admin/api-keys/{}", ids.api_key),
        )
        .replace("/products/{id}", &format!("/products/{}", ids.product))
        .replace("/campaigns/{id}", &format!("/campaigns/{}", ids.campaign))
        // Refused before the order is looked up: any id will do.
        .replace("/api/v1/orders/{id}", "/api/v1/orders/1")
        .replace("/orders/{id}", &format!("/orders/{}", ids.order))
        .replace("/api/v1/transactions/{id}", "/api/v1/transactions/1")
        .replace(
            "/transactions/{id}",
            &format!("/transactions/{}", ids.transaction),
        )
        .replace("/blacklist/{id}", &format!("/blacklist/{}", ids.customer))
        .replace(
            "/catalogue/reasons/{id}",
            &format!("/catalogue/reasons/{}", ids.reason),
        )
        .replace(
            "/refund-queue/{id}",
            &format!("/refund-queue/{}", ids.refund_queue),
        )
        .replace(
            "/fulfillments/{id}",
            &format!("/fulfillments/{}", ids.fulfillment),
        )
        .replace("/admin/jobs/{id}", &format!("/admin/jobs/{}", ids.job))
        .replace("/api/v1/subscriptions/{id}", "/api/v1/subscriptions/1")
        .replace(
            "/subscriptions/{id}",
            &format!("/subscriptions/{}", ids.subscription),
        )
        .replace(
            "/customers/{customer}/emails/{id}",
            &format!("/customers/{}/emails/{}", ids.customer, ids.email),
        )
        .replace("/customers/{id}", &format!("/customers/{}", ids.customer))
        .replace("/edit/{field}", "/edit/email")
}

struct Ids {
    user: String,
    role: String,
    mid: String,
    recycle: String,
    profile: String,
    mapping: String,
    bin: String,
    api_key: String,
    product: String,
    campaign: String,
    order: String,
    transaction: String,
    customer: String,
    reason: String,
    refund_queue: String,
    fulfillment: String,
    job: String,
    email: String,
    subscription: String,
}

/// `path` with the first character of each segment percent-encoded in turn, in upper and in
/// lower case hex: `/%61dmin/events`, `/admin/%65vents`, ... The router decodes them all to
/// `path`, so each must meet exactly the rule `path` meets.
fn encoded_variants(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut variants = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let Some(first) = segment.chars().next() else {
            continue;
        };
        let rest = &segment[first.len_utf8()..];
        for hex in [
            format!("%{:02X}", first as u32),
            format!("%{:02x}", first as u32),
        ] {
            let mut parts: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
            parts[i] = format!("{hex}{rest}");
            let variant = parts.join("/");
            if !variants.contains(&variant) {
                variants.push(variant);
            }
        }
    }
    variants
}

fn expected_for(method: &str, pattern: &str) -> &'static [&'static str] {
    EXPECTED
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, allowed)| *allowed)
        .unwrap_or_else(|| panic!("route {method} {pattern} has no row in EXPECTED"))
}

async fn signed_in_client(app: &TestApp, who: &str) -> reqwest::Client {
    let client = new_client();
    if who != "anonymous" {
        let email = format!("matrix.{}@example.com", who.replace('_', "."));
        let response = app.login_with(&client, &email, PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "{who} signs in");
    }
    client
}

async fn token_of(app: &TestApp, client: &reqwest::Client) -> String {
    let page = client.get(app.url("/login")).send().await.unwrap();
    if page.status().as_u16() == 200 {
        csrf_in(&page.text().await.unwrap())
    } else {
        csrf_in(
            &client
                .get(app.url("/"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
    }
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    path: &str,
    token: &str,
    probe: &mut u32,
) -> reqwest::Response {
    *probe += 1;
    let email = format!("probe{probe}@example.com");
    let request = match method {
        "GET" => client.get(app.url(path)),
        // A sign-in probe uses an email of its own, so the probes never lock an account.
        "POST" if path.ends_with("ogin") => client.post(app.url(path)).form(&[
            ("csrf_token", token),
            ("email", &email),
            ("password", "x"),
        ]),
        _ => client.post(app.url(path)).form(&[("csrf_token", token)]),
    };
    request.send().await.unwrap()
}

/// A queued refund of `order`'s sale, written as the refund service would.
async fn queue_entry(app: &TestApp, order: recoup::domain::ids::OrderId) -> String {
    let now = app.clock_now().to_rfc3339();
    crate::orders::execute(&app.db, &format!(
        "INSERT INTO refund_queue (transaction_id, order_id, customer_id, amount_minor, currency, reason, status, \
         attempts, last_error, next_try_at, created_at, updated_at) \
         SELECT t.id, o.id, o.customer_id, 100, 'USD', '', 'queued', 0, 'gateway error', '{now}', '{now}', '{now}' \
         FROM orders o JOIN transactions t ON t.order_id = o.id WHERE o.id = {order}")).await;
    crate::orders::scalar(&app.db, "SELECT MAX(id) FROM refund_queue")
        .await
        .to_string()
}

/// A pending fulfillment of `order`'s first item.
async fn fulfillment(app: &TestApp, order: recoup::domain::ids::OrderId) -> String {
    let now = app.clock_now().to_rfc3339();
    crate::orders::execute(&app.db, &format!(
        "INSERT INTO fulfillments (order_id, order_item_id, status, created_at, updated_at) \
         SELECT order_id, MIN(id), 'pending', '{now}', '{now}' FROM order_items WHERE order_id = {order} GROUP BY order_id")).await;
    crate::orders::scalar(&app.db, "SELECT MAX(id) FROM fulfillments")
        .await
        .to_string()
}

/// A background job that failed for good.
async fn failed_job(app: &TestApp) -> String {
    let now = app.clock_now().to_rfc3339();
    crate::orders::execute(&app.db, &format!(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, updated_at, finished_at) \
         VALUES ('deliver_email', '{{\"outbox_id\":1}}', 'failed', 8, 8, '{now}', 'SMTP down', '{now}', '{now}', '{now}')")).await;
    crate::orders::scalar(&app.db, "SELECT MAX(id) FROM jobs")
        .await
        .to_string()
}

both_backends! {
    /// SPEC R-AU-2 and R-AU-7: every route of the table, for every built-in role and for an
    /// anonymous visitor, with the path as written and with every segment percent-encoded.
    async fn every_role_gets_exactly_the_routes_its_permissions_allow_however_the_path_is_spelled(app) {
        let target = app.create_user("target@example.com", "Target User", "cs_agent").await;
        let boss = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(boss.id), label: boss.email.clone(), ip: None, api_key_id: None };
        let draft = recoup::domain::user::RoleDraft::parse("auditor", "", &["events.view".to_owned()]).unwrap();
        let role = app.services.roles.create(&actor, &draft).await.unwrap();
        let fixtures = crate::gateways::Fixtures::new(&app).await;
        let bin = recoup::domain::card::BinRangeDraft::parse("411111", "prepaid", "").unwrap();
        let bin = app.services.bins.create(&actor, &bin).await.unwrap();
        // A MID that takes Visa, so the order has a transaction to refund and void.
        let desk = app.services.mids.create(&actor, &crate::orders::mid_draft("Order desk MID")).await.unwrap();
        let (product, campaign) = crate::catalogue::a11y_fixtures(&app, desk).await;
        let shop = crate::orders::Shop { campaign, one_off: product, recurring: product, main: desk, backups: Vec::new(), cascade: None };
        let order = app.services.orders.place(&actor, &crate::orders::sale(&shop, "4111111111111111", &[(product, 1)]), None).await.unwrap();
        let ids = Ids {
            user: target.id.to_string(),
            role: role.to_string(),
            mid: fixtures.mid.to_string(),
            recycle: fixtures.recycle.to_string(),
            profile: fixtures.profile.to_string(),
            mapping: fixtures.mapping.to_string(),
            bin: bin.to_string(),
            api_key: app.services.api_keys.create(&actor, "Matrix key").await.unwrap().id.to_string(),
            product: product.to_string(),
            campaign: campaign.to_string(),
            order: order.to_string(),
            transaction: app.services.orders.details(order).await.unwrap().transactions[0].id.to_string(),
            customer: app.services.orders.details(order).await.unwrap().customer.id.to_string(),
            reason: app.services.reasons.all().await.unwrap()[0].id.to_string(),
            refund_queue: queue_entry(&app, order).await,
            fulfillment: fulfillment(&app, order).await,
            job: failed_job(&app).await,
            email: crate::orders::scalar(&app.db, &format!("SELECT MIN(id) FROM outbox WHERE order_id = {order}")).await.to_string(),
            subscription: app.services.orders.details(order).await.unwrap().subscriptions[0].id.to_string(),
        };
        for who in ALL.iter().filter(|w| **w != "anonymous") {
            app.create_user(&format!("matrix.{}@example.com", who.replace('_', ".")), "Matrix User", who).await;
        }

        let mut probe = 0;
        for who in ALL {
            let mut client = signed_in_client(&app, who).await;
            let mut token = token_of(&app, &client).await;
            // Sign-out last, so the session lasts the whole walk.
            let mut routes = route_table();
            routes.sort_by_key(|r| r.path == "/logout");
            for route in routes {
                let method = route.method.as_str();
                let allowed = expected_for(method, route.path);
                let path = concrete(route.path, &ids);
                let response = send(&app, &client, method, &path, &token, &mut probe).await;
                let status = response.status().as_u16();
                let to_login = location(&response).starts_with("/login?next=");
                if route.access == Access::ApiKey {
                    // A session is no key, whoever holds it: 401 in JSON, never a page.
                    assert_eq!(status, 401, "{who} {method} {path}: expected 401 without an API key");
                    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{who} {method} {path}");
                } else if allowed.contains(who) {
                    assert!(status != 403 && status != 404 && status != 405 && status < 500 && !to_login, "{who} {method} {path}: expected access, got {status}");
                } else if *who == "anonymous" && method == "GET" {
                    assert!(status == 303 && to_login, "{who} {method} {path}: expected a redirect to sign in, got {status}");
                } else {
                    assert_eq!(status, 403, "{who} {method} {path}: expected 403");
                }
                for variant in encoded_variants(&path) {
                    if route.path == "/logout" && *who != "anonymous" {
                        // The plain sign-out ended the session: sign in again for each variant.
                        client = signed_in_client(&app, who).await;
                        token = token_of(&app, &client).await;
                    }
                    let encoded = send(&app, &client, method, &variant, &token, &mut probe).await;
                    assert_eq!(encoded.status().as_u16(), status, "{who} {method} {variant}: same answer as {path}");
                    assert_eq!(location(&encoded).starts_with("/login?next="), to_login, "{who} {method} {variant}");
                }
            }
        }
    }
}

both_backends! {
    /// SPEC R-AU-7: a method the table does not name for a path is refused (405) for everyone,
    /// before any handler runs.
    async fn a_method_without_a_rule_is_refused_on_every_path(app) {
        let ids = Ids {
            user: "1".into(), role: "1".into(), mid: "1".into(), recycle: "1".into(), profile: "1".into(), mapping: "1".into(), bin: "1".into(), api_key: "1".into(), product: "1".into(), campaign: "1".into(), order: "1".into(), transaction: "1".into(), customer: "1".into(),
            reason: "1".into(), refund_queue: "1".into(), fulfillment: "1".into(), job: "1".into(), email: "1".into(),
            subscription: "1".into(),
        };
        let table = route_table();
        let mut paths: Vec<&str> = Vec::new();
        for route in &table {
            if !paths.contains(&route.path) {
                paths.push(route.path);
            }
        }
        app.create_user("matrix.admin@example.com", "Matrix User", "admin").await;
        for who in ["anonymous", "admin"] {
            let client = signed_in_client(&app, who).await;
            let token = token_of(&app, &client).await;
            for pattern in &paths {
                let named: Vec<&str> = table.iter().filter(|r| r.path == *pattern).map(|r| r.method.as_str()).collect();
                let path = concrete(pattern, &ids);
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
                    if named.contains(&method) {
                        continue;
                    }
                    let response = client
                        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(&path))
                        .header("X-CSRF-Token", &token)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    // `/mids/new` is also `/mids/{id}` with id "new": the resource named first
                    // owns the path, and a method it does not name stops there.
                    assert_eq!(status, 405, "{who} {method} {path}: expected 405, got {status}");
                    if method != "HEAD" {
                        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                        for m in &named {
                            assert!(allow.contains(m), "{method} {path}: Allow `{allow}` names {m}");
                        }
                    }
                }
            }
        }
    }
}

both_backends! {
    async fn a_custom_role_grants_exactly_its_permissions(app) {
        let boss = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(boss.id), label: boss.email.clone(), ip: None, api_key_id: None };
        let draft = recoup::domain::user::RoleDraft::parse("auditor", "Reads the log", &["events.view".to_owned(), "dashboard.view".to_owned()]).unwrap();
        app.services.roles.create(&actor, &draft).await.unwrap();
        app.login_as_new("auditor").await;
        assert_eq!(app.get("/admin/events").await.status().as_u16(), 200);
        assert_eq!(app.get("/admin").await.status().as_u16(), 200);
        assert_eq!(app.get("/admin/users").await.status().as_u16(), 403);
        assert_eq!(app.get("/mids").await.status().as_u16(), 403);
        let nav = app.get_html("/").await;
        assert!(nav.contains("href=\"/admin\"") && !nav.contains("href=\"/mids\""));
    }
}
