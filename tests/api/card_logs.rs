//! R-TG-2 in the logs: the real `recoup serve` binary, logging everything (`RUST_LOG=trace`),
//! takes approved, declined and refused orders through the API; its log never holds the card number
//! or the CVV.

use std::process::{Command, Stdio};
use std::time::Duration;

use recoup::domain::event::Actor;
use serde_json::json;

const SESSION_KEY: &str = "ab";
const SECRET_KEY: &str = "cd";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn card_numbers_and_cvvs_never_reach_the_log() {
    let mut buf = [0u8; 6];
    getrandom::fill(&mut buf).unwrap();
    let db = std::env::temp_dir().join(format!("recoup-logs-{}.db", hex::encode(buf)));
    let url = format!("sqlite://{}", db.display());
    let log = db.with_extension("log");

    // The shop and a key, made through the services on the database the binary will serve.
    let mut settings = crate::helpers::test_settings(url.clone());
    settings.secret_key = secrecy::SecretSlice::from(vec![0xcd; 32]);
    let database = recoup::startup::open_database(&settings).await.unwrap();
    let clock = std::sync::Arc::new(recoup::clock::SystemClock);
    let services = recoup::startup::services(database.clone(), &settings, clock).unwrap();
    let shop = {
        let app_like = ShopMaker(&services);
        app_like.make().await
    };
    let key = services
        .api_keys
        .create(&Actor::system("test"), "Logs")
        .await
        .unwrap()
        .key;
    database.close().await;

    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_recoup"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("RECOUP_BIND", format!("127.0.0.1:{port}"))
        .env("RECOUP_SESSION_KEY", SESSION_KEY.repeat(64))
        .env("RECOUP_SECRET_KEY", SECRET_KEY.repeat(32))
        .env("RUST_LOG", "trace")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(
            std::fs::File::options().append(true).open(&log).unwrap(),
        ))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        up,
        "the server did not start: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    for (card, cvv) in [("4111111111111111", "7319"), ("4000000000000002", "8264")] {
        let body = json!({
            "campaign_id": shop.0,
            "customer": {"first_name": "Log", "last_name": "Test", "email": "log@example.com"},
            "card": {"number": card, "exp_month": 11, "exp_year": 2032, "cvv": cvv},
            "items": [{"product_id": shop.1, "quantity": 1}]
        });
        let response = client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
    }
    // A refused one too: the number fails Luhn and is named only by its field.
    let bad = json!({
        "campaign_id": shop.0,
        "customer": {"first_name": "Log", "last_name": "Test", "email": "log@example.com"},
        "card": {"number": "4111111111111112", "exp_month": 11, "exp_year": 2032, "cvv": "5150"},
        "items": [{"product_id": shop.1, "quantity": 1}]
    });
    let response = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&key)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    server.kill().unwrap();
    server.wait().unwrap();

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/api/v1/orders"),
        "the requests were logged: {logged}"
    );
    for number in ["4111111111111111", "4000000000000002", "4111111111111112"] {
        assert!(!logged.contains(number), "{number} is in the log");
    }
    // Four digits turn up by chance in a trace log (ids, hashes, timings): a CVV is looked for
    // as a value, and the field's name must not be there at all.
    assert!(
        !logged.to_lowercase().contains("cvv"),
        "a CVV field is in the log"
    );
    for cvv in ["7319", "8264", "5150"] {
        for shape in [format!("\"{cvv}\""), format!("={cvv}"), format!(": {cvv}")] {
            assert!(!logged.contains(&shape), "{shape} is in the log");
        }
    }
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(&log);
}

/// The shop of `orders::shop`, made on services outside a `TestApp`: (campaign, product).
struct ShopMaker<'a>(&'a recoup::services::Services);

impl ShopMaker<'_> {
    async fn make(&self) -> (i64, i64) {
        use recoup::domain::catalogue::{CampaignDraft, ProductDraft, SalesRoute};
        let actor = Actor::system("test");
        let mid = self
            .0
            .mids
            .create(&actor, &crate::orders::mid_draft("Main"))
            .await
            .unwrap();
        let product = self
            .0
            .catalogue
            .create_product(
                &actor,
                &ProductDraft {
                    name: "Kit".to_owned(),
                    sku: "KIT".to_owned(),
                    price: crate::orders::usd(999),
                    trial: None,
                    cycle_days: None,
                    options: Vec::new(),
                    shippable: false,
                },
            )
            .await
            .unwrap();
        let campaign = self
            .0
            .catalogue
            .create_campaign(
                &actor,
                &CampaignDraft {
                    name: "Logs".to_owned(),
                    currency: recoup::domain::money::Currency::Usd,
                    route: Some(SalesRoute::Mid(mid)),
                    products: vec![product],
                    recycling: true,
                    notify: Vec::new(),
                    welcome_subject: String::new(),
                    welcome_body: String::new(),
                },
            )
            .await
            .unwrap();
        (campaign.0, product.0)
    }
}
