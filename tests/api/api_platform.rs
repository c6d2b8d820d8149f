//! The JSON API's platform (SPEC 4.7): keys and the `ApiKey` access rule, the JSON error shape
//! and its statuses, `Idempotency-Key` replay, and the OpenAPI document. The body and
//! idempotency rules are driven through a probe endpoint served by the real middleware and
//! extractors, so they are tested before (and apart from) the order endpoints that use them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use recoup::domain::event::Actor;
use recoup::services::Services;
use recoup::web::api::idempotency::{self, Idempotency};
use recoup::web::api::{ApiCaller, ApiError, ApiJson};
use recoup::web::middleware::{authorize, request_context};
use recoup::web::{Access, route_table};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A new live key, as the client sends it.
pub async fn new_key(app: &TestApp, name: &str) -> String {
    app.services
        .api_keys
        .create(&Actor::system("test"), name)
        .await
        .unwrap()
        .key
}

async fn api_get(app: &TestApp, path: &str, key: Option<&str>) -> reqwest::Response {
    let client = new_client();
    let mut request = client.get(app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

/// The error of a JSON error answer, checked for the documented shape.
async fn error_of(response: reqwest::Response) -> Value {
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "an API error is JSON"
    );
    let body: Value = response.json().await.unwrap();
    let error = body["error"].clone();
    assert!(error["code"].is_string(), "{body}");
    assert!(error["message"].is_string(), "{body}");
    assert!(error["fields"].is_object(), "{body}");
    error
}

both_backends! {
    /// SPEC 4.7: no key, a mistyped key, a revoked key and a session cookie alone are all
    /// refused with 401 JSON, however the path is spelled; a live key passes.
    async fn api_calls_need_a_live_key_and_a_session_never_stands_in_for_one(app) {
        let key = new_key(&app, "Checkout").await;
        assert_eq!(api_get(&app, "/api/v1/campaigns", Some(&key)).await.status(), 200);

        let missing = api_get(&app, "/api/v1/campaigns", None).await;
        assert_eq!(missing.status(), 401);
        assert_eq!(missing.headers().get("www-authenticate").unwrap(), "Bearer");
        assert!(missing.headers().get("set-cookie").is_none(), "an API call never gets a session");
        assert_eq!(error_of(missing).await["code"], "unauthorized");

        let wrong_secret = format!("{}{}", &key[..13], "0".repeat(64));
        let unknown_prefix = format!("rcp_00000000_{}", &key[13..]);
        for bad in ["nonsense", "rcp_", &wrong_secret, &unknown_prefix, &key[..key.len() - 1]] {
            let response = api_get(&app, "/api/v1/campaigns", Some(bad)).await;
            assert_eq!(response.status(), 401, "{bad}");
            assert_eq!(error_of(response).await["code"], "unauthorized");
        }
        let basic = new_client().get(app.url("/api/v1/campaigns")).basic_auth("x", Some(&key)).send().await.unwrap();
        assert_eq!(basic.status(), 401, "only the Bearer scheme carries a key");

        // A signed-in admin's browser sends its session cookie, and that is all it has.
        app.login_as_new("admin").await;
        for path in ["/api/v1/campaigns", "/api/v1/%63ampaigns", "/%61pi/v1/campaigns"] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 401, "{path} with a session only");
            assert!(response.headers().get("set-cookie").is_none(), "{path}: the session is not touched");
            let keyed = app.client.get(app.url(path)).bearer_auth(&key).send().await.unwrap();
            assert_eq!(keyed.status(), 200, "{path} with the key");
        }

        let id = app.services.api_keys.list().await.unwrap()[0].id;
        app.services.api_keys.revoke(&Actor::system("test"), id).await.unwrap();
        let revoked = api_get(&app, "/api/v1/campaigns", Some(&key)).await;
        assert_eq!(revoked.status(), 401, "a revoked key is refused at once");
        assert_eq!(error_of(revoked).await["code"], "unauthorized");
    }
}

both_backends! {
    /// SPEC 4.7: campaigns on sale, their products with prices in minor units, trial and cycle.
    async fn campaigns_lists_what_is_on_sale_in_minor_units(app) {
        let key = new_key(&app, "Checkout").await;
        let empty: Value = api_get(&app, "/api/v1/campaigns", Some(&key)).await.json().await.unwrap();
        assert_eq!(empty, json!({"campaigns": []}));

        let shop = crate::orders::shop(&app, 0).await;
        let response = api_get(&app, "/api/v1/campaigns", Some(&key)).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let campaigns = body["campaigns"].as_array().unwrap();
        assert_eq!(campaigns.len(), 1);
        let campaign = &campaigns[0];
        assert_eq!(campaign["id"], shop.campaign.0);
        assert_eq!(campaign["currency"], "USD");
        let products = campaign["products"].as_array().unwrap();
        let one_off = products.iter().find(|p| p["id"] == shop.one_off.0).unwrap();
        assert_eq!(one_off["price"], 1999);
        assert_eq!(one_off["trial"], Value::Null);
        assert_eq!(one_off["billing_cycle_days"], Value::Null);
        assert_eq!(one_off["options"], json!([{"name": "Large", "price": 2499}]));
        let recurring = products.iter().find(|p| p["id"] == shop.recurring.0).unwrap();
        assert_eq!(recurring["price"], 4999);
        assert_eq!(recurring["trial"], json!({"days": 14, "price": 199}));
        assert_eq!(recurring["billing_cycle_days"], 30);
    }
}

both_backends! {
    /// An API path no route takes, or a method its route does not take, answers JSON too.
    async fn unknown_api_paths_and_methods_answer_json(app) {
        let key = new_key(&app, "Checkout").await;
        for path in ["/api/v1/nothing", "/api/v1/campaigns/7", "/%61pi/v2/x"] {
            let response = api_get(&app, path, Some(&key)).await;
            assert_eq!(response.status(), 404, "{path}");
            assert_eq!(error_of(response).await["code"], "not_found");
        }
        let post = new_client().post(app.url("/api/v1/campaigns")).bearer_auth(&key).json(&json!({})).send().await.unwrap();
        assert_eq!(post.status(), 405);
        assert_eq!(post.headers().get("allow").unwrap(), "GET");
        assert_eq!(error_of(post).await["code"], "method_not_allowed");
        let page = app.get("/no-such-page").await;
        assert_eq!(page.status(), 404);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "the portal keeps its page");
    }
}

both_backends! {
    /// The OpenAPI 3.1 document is public, and every route of the table with the API key rule
    /// is in it with its method (and nothing else is), so the document cannot drift.
    async fn the_openapi_document_covers_every_api_route(app) {
        let response = new_client().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let doc: Value = response.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let api_routes: Vec<_> = route_table().into_iter().filter(|r| r.access == Access::ApiKey).collect();
        assert!(!api_routes.is_empty());
        for route in &api_routes {
            let method = route.method.as_str().to_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{} {} is routed with the API key rule but missing from the OpenAPI document",
                route.method, route.path
            );
            assert_eq!(doc["paths"][route.path][&method]["responses"]["401"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                assert!(
                    api_routes.iter().any(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method)),
                    "the document describes {method} {path}, which is not routed with the API key rule"
                );
            }
        }
        let mut operation_ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        let count = operation_ids.len();
        operation_ids.sort_unstable();
        operation_ids.dedup();
        assert_eq!(operation_ids.len(), count, "operation ids are unique: {operation_ids:?}");
        assert_eq!(doc["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
        assert_eq!(doc["security"], json!([{"api_key": []}]));
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }
}

// ---- The probe: one POST endpoint built from the API's own extractors and middleware. ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeOrder {
    customer: ProbeCustomer,
    items: Vec<ProbeItem>,
    /// Fail with a server error the first time.
    #[serde(default)]
    fail_once: bool,
    /// Answer 409 (an error that is stored and replayed like a success).
    #[serde(default)]
    conflict: bool,
    /// Create an API key as this call (a change the event log attributes to the caller).
    #[serde(default)]
    make_key: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeCustomer {
    email: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeItem {
    #[allow(dead_code)]
    quantity: u32,
}

#[derive(Default)]
struct Runs {
    count: AtomicUsize,
    failed: AtomicBool,
}

async fn probe(
    caller: ApiCaller,
    idempotency: Idempotency,
    body: ApiJson<ProbeOrder>,
    services: web::Data<Services>,
    runs: web::Data<Runs>,
) -> Result<HttpResponse, ApiError> {
    let (order, raw) = body.into_parts();
    // References are Copy: the `async move` block takes them and the owned body.
    let (services, caller) = (&services, &caller);
    idempotency::run(services, caller, &idempotency, &raw, || async move {
        let run = runs.count.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
        if order.fail_once && !runs.failed.swap(true, Ordering::SeqCst) {
            return Err(ApiError::internal("the probe failed on purpose"));
        }
        if order.conflict {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "probe_conflict",
                "Not now.",
            ));
        }
        if order.make_key {
            services
                .api_keys
                .create(&caller.actor(), "Made by a call")
                .await?;
        }
        Ok((
            StatusCode::CREATED,
            json!({"run": run, "email": order.customer.email, "items": order.items.len()}),
        ))
    })
    .await
}

struct Probe {
    url: String,
    port: u16,
    runs: web::Data<Runs>,
}

/// Serves `POST /api/v1/probe` on a free port, behind the API key rule and the request context,
/// with the app's services.
async fn spawn_probe(app: &TestApp) -> Probe {
    let services = web::Data::new(app.services.clone());
    let runs = web::Data::new(Runs::default());
    let shared = runs.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(services.clone())
            .app_data(shared.clone())
            .route(
                "/api/v1/probe",
                web::post()
                    .to(probe)
                    .wrap(from_fn(|req, next| authorize(Access::ApiKey, req, next))),
            )
            .wrap(from_fn(request_context))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Probe {
        url: format!("http://127.0.0.1:{port}/api/v1/probe"),
        port,
        runs,
    }
}

impl Probe {
    fn runs(&self) -> usize {
        self.runs.count.load(Ordering::SeqCst)
    }

    /// Posts `chunks` chunks of `size` spaces with no Content-Length (chunked), over a plain
    /// socket; returns the status line and headers the server answered with.
    async fn post_chunked(&self, key: &str, chunks: usize, size: usize) -> String {
        use std::io::{Read, Write};
        let (port, key) = (self.port, key.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let head = format!(
                "POST /api/v1/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).unwrap();
            let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
            for _ in 0..chunks {
                // The server may stop reading once it has refused the body.
                if socket.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
            let _ = socket.write_all(b"0\r\n\r\n");
            let mut answer = Vec::new();
            let _ = socket.read_to_end(&mut answer);
            String::from_utf8_lossy(&answer).into_owned()
        })
        .await
        .unwrap()
    }

    async fn post(&self, key: &str, idempotency: Option<&str>, body: &str) -> reqwest::Response {
        let mut request = new_client()
            .post(&self.url)
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(idempotency) = idempotency {
            request = request.header("Idempotency-Key", idempotency);
        }
        request.send().await.unwrap()
    }
}

const GOOD: &str = r#"{"customer": {"email": "ann@example.com"}, "items": [{"quantity": 2}]}"#;

both_backends! {
    /// SPEC 4.7: 400 for malformed JSON, 413 for a 5 MB body, 415 for a body that is not JSON,
    /// 422 naming the field for a wrong type, an unknown field and a missing one; the work
    /// never runs.
    async fn bad_bodies_answer_their_status_and_name_the_field(app) {
        let probe = spawn_probe(&app).await;
        let key = new_key(&app, "Checkout").await;
        assert_eq!(probe.post(&key, None, GOOD).await.status(), 201);

        for malformed in ["{", r#"{"customer": }"#, "", "{} []"] {
            let response = probe.post(&key, None, malformed).await;
            assert_eq!(response.status(), 400, "{malformed:?}");
            assert_eq!(error_of(response).await["code"], "malformed_json");
        }

        let huge = format!(r#"{{"customer": {{"email": "{}"}}, "items": []}}"#, "a".repeat(5 * 1024 * 1024));
        let response = probe.post(&key, None, &huge).await;
        assert_eq!(response.status(), 413);
        assert_eq!(error_of(response).await["code"], "body_too_large");
        // The same without a length up front: the body is cut off at the limit as it streams.
        let streamed = probe.post_chunked(&key, 80, 64 * 1024).await;
        assert!(streamed.starts_with("HTTP/1.1 413"), "{streamed}");

        let text = new_client().post(&probe.url).bearer_auth(&key).header("content-type", "text/plain").body(GOOD).send().await.unwrap();
        assert_eq!(text.status(), 415);
        assert_eq!(error_of(text).await["code"], "unsupported_media_type");
        let form = new_client().post(&probe.url).bearer_auth(&key).form(&[("a", "b")]).send().await.unwrap();
        assert_eq!(form.status(), 415);

        let cases = [
            (r#"{"customer": {"email": "a@b.co"}, "items": [{"quantity": "two"}]}"#, "items[0].quantity"),
            (r#"{"customer": {"email": "a@b.co"}, "items": [{"quantity": 1}, {"quantity": -3}]}"#, "items[1].quantity"),
            (r#"{"customer": {"email": "a@b.co", "phone": "1"}, "items": []}"#, "customer.phone"),
            (r#"{"customer": {}, "items": []}"#, "customer.email"),
            (r#"{"customer": {"email": 5}, "items": []}"#, "customer.email"),
            (r#"{"customer": {"email": "a@b.co"}, "items": [], "coupon": "x"}"#, "coupon"),
        ];
        for (body, field) in cases {
            let response = probe.post(&key, None, body).await;
            assert_eq!(response.status(), 422, "{body}");
            let error = error_of(response).await;
            assert_eq!(error["code"], "invalid");
            assert!(error["fields"][field].is_string(), "{body}: expected a message for {field}, got {error}");
        }
        assert_eq!(probe.runs(), 1, "no refused body ran the work");

        let unauthorized = probe.post("rcp_nope", None, &huge).await;
        assert_eq!(unauthorized.status(), 401, "the key is checked before the body is read");
    }
}

both_backends! {
    /// SPEC 4.7 and R-OR-6: 20 identical requests at once with one Idempotency-Key run the work
    /// once; every one of them gets the first answer, byte for byte.
    async fn twenty_concurrent_requests_with_one_key_run_once(app) {
        let probe = spawn_probe(&app).await;
        let key = new_key(&app, "Checkout").await;
        let requests = (0..20).map(|_| async {
            let response = probe.post(&key, Some("order-7f3a"), GOOD).await;
            let status = response.status().as_u16();
            let replayed = response.headers().get("idempotent-replayed").is_some();
            (status, replayed, response.bytes().await.unwrap())
        });
        let answers = futures_util::future::join_all(requests).await;
        assert_eq!(probe.runs(), 1, "the work ran exactly once");
        let first = &answers[0].2;
        for (status, _, body) in &answers {
            assert_eq!(*status, 201);
            assert_eq!(body, first, "every answer is the first one, byte for byte");
        }
        assert_eq!(answers.iter().filter(|(_, replayed, _)| !replayed).count(), 1, "one original, 19 replays");
        let body: Value = serde_json::from_slice(first).unwrap();
        assert_eq!(body["run"], 1);
    }
}

both_backends! {
    /// SPEC 4.7: a replay is identical and runs nothing; the key with another body, or on
    /// another path, is refused with 422; another key (of the same or another API key) runs.
    async fn a_key_replays_its_request_and_refuses_any_other(app) {
        let probe = spawn_probe(&app).await;
        let key = new_key(&app, "Checkout").await;
        let first = probe.post(&key, Some("k-1"), GOOD).await;
        assert_eq!(first.status(), 201);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first = first.bytes().await.unwrap();

        let again = probe.post(&key, Some("k-1"), GOOD).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again.bytes().await.unwrap(), first);
        assert_eq!(probe.runs(), 1);

        let other = GOOD.replace("ann@", "bob@");
        let reused = probe.post(&key, Some("k-1"), &other).await;
        assert_eq!(reused.status(), 422);
        assert_eq!(error_of(reused).await["code"], "idempotency_key_reused");
        assert_eq!(probe.runs(), 1, "a refused reuse runs nothing");

        assert_eq!(probe.post(&key, Some("k-2"), &other).await.status(), 201);
        let second_key = new_key(&app, "Warehouse").await;
        assert_eq!(probe.post(&second_key, Some("k-1"), GOOD).await.status(), 201, "keys are per API key");
        assert_eq!(probe.runs(), 3);

        for bad in ["", &"x".repeat(256)] {
            let response = probe.post(&key, Some(bad), GOOD).await;
            assert_eq!(response.status(), 422, "{bad:?}");
            let error = error_of(response).await;
            assert_eq!(error["code"], "invalid_idempotency_key");
            assert!(error["fields"]["Idempotency-Key"].is_string());
        }
        assert_eq!(probe.runs(), 3);
    }
}

both_backends! {
    /// A client error is stored and replayed like a success; a server error is not, so a retry
    /// with the same key runs again.
    async fn a_server_error_frees_the_key_and_a_client_error_is_kept(app) {
        let probe = spawn_probe(&app).await;
        let key = new_key(&app, "Checkout").await;
        let failing = r#"{"customer": {"email": "ann@example.com"}, "items": [], "fail_once": true}"#;
        let failed = probe.post(&key, Some("retry-me"), failing).await;
        assert_eq!(failed.status(), 500);
        let error = error_of(failed).await;
        assert_eq!(error["code"], "internal");
        assert!(error["message"].as_str().unwrap().contains("Request id"), "{error}");
        assert!(!error["message"].as_str().unwrap().contains("on purpose"), "the cause stays in the log");
        let retried = probe.post(&key, Some("retry-me"), failing).await;
        assert_eq!(retried.status(), 201, "the retry ran");
        assert!(retried.headers().get("idempotent-replayed").is_none());
        assert_eq!(probe.runs(), 2);

        let conflict = r#"{"customer": {"email": "ann@example.com"}, "items": [], "conflict": true}"#;
        let refused = probe.post(&key, Some("keep-me"), conflict).await;
        assert_eq!(refused.status(), 409);
        let refused = refused.bytes().await.unwrap();
        let replayed = probe.post(&key, Some("keep-me"), conflict).await;
        assert_eq!(replayed.status(), 409);
        assert_eq!(replayed.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(replayed.bytes().await.unwrap(), refused);
        assert_eq!(probe.runs(), 3);
    }
}

both_backends! {
    /// R-AU-5: what an API call changes is written to the event log as done by its key.
    async fn an_api_call_is_attributed_to_its_key_in_the_event_log(app) {
        let probe = spawn_probe(&app).await;
        let key = new_key(&app, "Checkout page").await;
        let caller_id = app.services.api_keys.list().await.unwrap()[0].id;
        let body = r#"{"customer": {"email": "ann@example.com"}, "items": [], "make_key": true}"#;
        assert_eq!(probe.post(&key, None, body).await.status(), 201);

        let events = app.services.events.latest(5).await.unwrap();
        let made = events.iter().find(|e| e.kind == "api_key.created" && e.subject_name.as_deref() == Some("Made by a call")).unwrap();
        assert_eq!(made.api_key_id, Some(caller_id));
        assert_eq!(made.actor_id, None);
        assert_eq!(made.actor_label, "Checkout page");
        assert_eq!(made.ip.as_deref(), Some("127.0.0.1"));

        app.login_as_new("admin").await;
        let log = app.get_page("/admin/events").await;
        let who = log.texts("table.events td.who");
        assert!(who.iter().any(|w| w == "API key Checkout page"), "{who:?}");
    }
}

both_backends! {
    /// The idempotency rule at the service level: a duplicate that finds the first request
    /// still running waits for its answer; one that waits too long is told to retry.
    async fn a_duplicate_waits_for_the_first_answer(app) {
        use recoup::domain::api_key::IdempotencyKey;
        use recoup::services::api_keys::{Answer, IdempotencyError};
        new_key(&app, "Checkout").await;
        let id = app.services.api_keys.list().await.unwrap()[0].id;
        let idem = IdempotencyKey::parse(b"slow").unwrap();
        let runs = Arc::new(AtomicUsize::new(0));
        let work = |runs: Arc<AtomicUsize>| move || async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            Answer { status: 201, body: "{\"ok\":true}".to_owned(), replayed: false }
        };
        let api_keys = &app.services.api_keys;
        let (first, second) = tokio::join!(
            api_keys.idempotent(id, &idem, "fp", work(runs.clone())),
            async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                api_keys.idempotent(id, &idem, "fp", work(runs.clone())).await
            }
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let (first, second) = (first.unwrap(), second.unwrap());
        assert!(!first.replayed && second.replayed);
        assert_eq!((first.status, &first.body), (second.status, &second.body));

        // A claim that never finishes (its request is still running) leaves duplicates waiting
        // 10 s at most, then answering 409 so the client retries later.
        let stuck = IdempotencyKey::parse(b"stuck").unwrap();
        assert!(recoup::db::api_requests::claim(&app.db, id, stuck.as_str(), "fp", app.clock_now()).await.unwrap());
        let started = std::time::Instant::now();
        let waited = api_keys.idempotent(id, &stuck, "fp", work(runs.clone())).await;
        assert!(matches!(waited, Err(IdempotencyError::InProgress)), "{waited:?}");
        assert!(started.elapsed() >= Duration::from_secs(9));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // A claim left by a process that died is taken over once it is a minute old.
        app.clock.advance(chrono::Duration::seconds(61));
        let taken = api_keys.idempotent(id, &stuck, "fp", work(runs.clone())).await.unwrap();
        assert!(!taken.replayed);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
