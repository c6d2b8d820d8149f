//! Browser tests: the main flows driven in headless Chromium through chromedriver.
//! In CI a missing browser fails the run; elsewhere it prints a NOTICE and the test returns.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

const WAIT: Duration = Duration::from_secs(10);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// chromedriver on a free port plus one browser session. Dropping it (on success or on a
/// panic) ends the session, which quits Chromium, then kills whatever chromedriver started.
struct Browser {
    driver: Child,
    port: u16,
    client: Option<Client>,
    session: Option<String>,
    profile: std::path::PathBuf,
}

impl Browser {
    async fn start() -> Option<Browser> {
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let missing = !std::path::Path::new(&chrome).exists()
            || Command::new("chromedriver")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err();
        if missing {
            assert!(
                !in_ci(),
                "chromium ({chrome}) and chromedriver are required in CI (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "NOTICE: chromium ({chrome}) or chromedriver not installed; browser test not run. `bash .ci/test` installs them."
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new("chromedriver");
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so Drop can kill Chromium too if chromedriver cannot quit it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command.spawn().expect("start chromedriver");
        let mut profile_suffix = [0u8; 6];
        getrandom::fill(&mut profile_suffix).expect("randomness");
        let profile =
            std::env::temp_dir().join(format!("recoup-chrome-{}", hex::encode(profile_suffix)));
        let mut browser = Browser {
            driver,
            port,
            client: None,
            session: None,
            profile: profile.clone(),
        };
        let url = browser.driver_url();
        browser.wait_until_ready().await;

        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chrome,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-dev-shm-usage", "--no-first-run", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--window-size=1280,900", format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        // Keep the console so a test can assert that no script or CSP error happened.
        caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver on {url} could not start {chrome}: {e}"));
        browser.session = client.session_id().await.expect("session id");
        browser.client = Some(client);
        Some(browser)
    }

    fn driver_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls chromedriver's /status for up to `WAIT`.
    async fn wait_until_ready(&self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .expect("http client");
        let status = format!("{}/status", self.driver_url());
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Ok(response) = http.get(&status).send().await
                && let Ok(body) = response.json::<serde_json::Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready on {status} within {WAIT:?}");
    }

    fn c(&self) -> &Client {
        self.client.as_ref().expect("browser session")
    }

    async fn goto(&self, app: &TestApp, path: &str) {
        self.c().goto(&app.url(path)).await.expect("navigate");
    }

    /// The path of the page the browser is on.
    async fn path(&self) -> String {
        self.c()
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_owned()
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self
            .c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(css);
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    }

    async fn text(&self, css: &str) -> String {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(css)
            .text()
            .await
            .expect("text")
    }

    /// The visible texts of every element matching `css`.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for el in self.c().find_all(Locator::Css(css)).await.expect(css) {
            texts.push(el.text().await.expect("text"));
        }
        texts
    }

    /// Waits up to `WAIT` until the element's text contains `needle`.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Ok(el) = self.c().find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
                && text.contains(needle)
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{css} never showed {needle:?}; page: {}",
            self.c().source().await.unwrap_or_default()
        );
    }

    async fn login(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(app, "/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for("nav.mainnav", "signed in").await;
    }

    async fn logout(&self) {
        self.click("form[action='/logout'] button").await;
        self.wait_for("#email", "back on the login page").await;
    }

    /// Waits up to `WAIT` for an element; `what` says what its absence means.
    async fn wait_for(&self, css: &str, what: &str) {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(what);
    }

    async fn set_marker(&self) {
        self.c()
            .execute("window.__recoupMarker = 42; return null;", vec![])
            .await
            .expect("script");
    }

    async fn marker_survived(&self) -> bool {
        self.c()
            .execute("return window.__recoupMarker === 42;", vec![])
            .await
            .expect("script")
            == json!(true)
    }

    /// Console entries at level SEVERE (script errors, CSP violations, failed loads) since the
    /// last call, less the favicon Chromium asks for on its own (the portal has none).
    async fn console_errors(&self) -> Vec<String> {
        let session = self.session.as_deref().expect("session id");
        let url = format!("{}/session/{session}/se/log", self.driver_url());
        let body: serde_json::Value = reqwest::Client::new()
            .post(&url)
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("browser log")
            .json()
            .await
            .expect("browser log json");
        body["value"]
            .as_array()
            .expect("log entries")
            .iter()
            .filter(|e| e["level"] == json!("SEVERE"))
            .filter(|e| {
                !e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("/favicon.ico")
            })
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn screenshot(&self, name: &str) {
        if std::env::var("RECOUP_SCREENSHOTS").is_ok() {
            let png = self.c().screenshot().await.expect("screenshot");
            std::fs::write(std::env::temp_dir().join(format!("recoup-{name}.png")), png)
                .expect("write screenshot");
        }
    }
}

/// Ends a WebDriver session without an async runtime: Drop cannot await, and fantoccini's own
/// close-on-drop is sent from a task that never runs once the driver is killed.
fn delete_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(WAIT));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    // chromedriver answers once Chromium has quit, and keeps the connection open: the first
    // bytes are enough.
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read(&mut [0u8; 512]);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            delete_session(self.port, session);
        }
        // Whatever is left of the group (Chromium when chromedriver hung), then chromedriver.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A browser, a fresh app with one user, and that user signed in; `None` without a browser
/// outside CI.
async fn signed_in(email: &str, name: &str, role: &str) -> Option<(Browser, TestApp)> {
    let browser = Browser::start().await?;
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    app.create_user(email, name, role).await;
    browser.login(&app, email, PASSWORD).await;
    Some((browser, app))
}

#[tokio::test]
async fn admin_creates_a_cs_agent_who_cannot_see_admin() {
    const AGENT_PASSWORD: &str = "amber-quartz-ferry-77";
    let Some((browser, app)) = signed_in("admin@example.com", "Ada Admin", "admin").await else {
        return;
    };
    assert_eq!(browser.path().await, "/");
    assert!(browser.text("h1").await.contains("Dashboard"));
    let nav = browser.texts("nav.mainnav a").await;
    assert!(nav.iter().any(|l| l == "Admin"), "{nav:?}");

    // The new-user form lands on the user's page with a success message.
    browser.goto(&app, "/admin/users/new").await;
    browser.fill("#email", "agent@example.com").await;
    browser.fill("#name", "Cas Agent").await;
    browser
        .c()
        .find(Locator::Css("#role"))
        .await
        .expect("role")
        .select_by_value("cs_agent")
        .await
        .expect("select");
    browser.fill("#password", AGENT_PASSWORD).await;
    browser.fill("#password_confirm", AGENT_PASSWORD).await;
    browser
        .click("form[action='/admin/users'] button[type=submit]")
        .await;
    let flash = browser
        .wait_for_text(".flash-success", "agent@example.com")
        .await;
    assert!(
        flash.contains("cs_agent"),
        "the notice names the role: {flash}"
    );
    let agent = app
        .services
        .users
        .list(
            Some("agent@"),
            recoup::domain::page::PageRequest::new(None, 5),
        )
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(browser.path().await, format!("/admin/users/{}", agent.id));
    assert_eq!(browser.text("h1").await, "Cas Agent");
    let facts = browser.text("dl.facts").await;
    assert!(
        facts.contains("agent@example.com") && facts.contains("cs_agent"),
        "{facts}"
    );

    // The list shows the agent; Disable and Enable swap the row in place, without a page load.
    browser.goto(&app, "/admin/users").await;
    let row = format!("#user-{}", agent.id);
    let listed = browser.text(&row).await;
    assert!(
        listed.contains("Cas Agent")
            && listed.contains("agent@example.com")
            && listed.contains("cs_agent"),
        "{listed}"
    );
    browser
        .wait_for(
            &format!("{row} .status.ok"),
            "the agent is listed as active",
        )
        .await;
    browser.screenshot("admin-users").await;
    browser.set_marker().await;
    assert_eq!(browser.text(&format!("{row} button")).await, "Disable");
    browser.click(&format!("{row} button")).await;
    let question = browser.c().get_alert_text().await.expect("confirm dialog");
    assert!(
        question.contains("agent@example.com"),
        "the question names the user: {question}"
    );
    browser.c().accept_alert().await.expect("accept");
    browser
        .wait_for(
            &format!("{row} .status.off"),
            "the row shows the agent disabled",
        )
        .await;
    assert!(!app.services.users.find(agent.id).await.unwrap().active);
    assert!(
        browser.marker_survived().await,
        "disabling reloaded the page"
    );
    assert_eq!(browser.text(&format!("{row} button")).await, "Enable");
    browser.click(&format!("{row} button")).await;
    browser
        .wait_for(
            &format!("{row} .status.ok"),
            "the row shows the agent active again",
        )
        .await;
    assert!(app.services.users.find(agent.id).await.unwrap().active);
    assert!(
        browser.marker_survived().await,
        "enabling reloaded the page"
    );
    assert_eq!(browser.path().await, "/admin/users");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console: {errors:#?}");

    browser.logout().await;
    assert_eq!(browser.path().await, "/login");

    // The agent sees neither Admin nor MIDs, and the admin pages answer 403.
    browser
        .login(&app, "agent@example.com", AGENT_PASSWORD)
        .await;
    let nav = browser.texts("nav.mainnav a").await;
    assert!(
        !nav.iter().any(|l| l == "Admin" || l == "MIDs") && nav.iter().any(|l| l == "Customers"),
        "{nav:?}"
    );
    browser.goto(&app, "/admin/users").await;
    assert_eq!(browser.text(".status-code").await, "403");
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("403")),
        "browser console: {errors:#?}"
    );

    let agent_client = crate::helpers::new_client();
    app.login_with(&agent_client, "agent@example.com", AGENT_PASSWORD)
        .await;
    let response = agent_client
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("GET /admin/users");
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn merchant_activates_flexfactor_and_toggles_it_inline() {
    let Some((browser, app)) = signed_in("mo@example.com", "Mo Merchant", "merchant").await else {
        return;
    };

    // The gateway switch swaps the credential fields in place (htmx under the strict CSP).
    browser.goto(&app, "/mids/new").await;
    browser
        .c()
        .find(Locator::Css("#provider"))
        .await
        .expect("provider")
        .select_by_value("flexecom")
        .await
        .expect("select");
    browser
        .c()
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#cred_signing_secret"))
        .await
        .expect("FlexEcom fields swapped in");

    browser.goto(&app, "/gateways").await;
    browser.screenshot("gateways").await;
    browser.click("#gateway-flexfactor a.activate").await;
    assert!(
        browser
            .text("h1")
            .await
            .contains(recoup::domain::provider::Provider::FlexFactor.label())
    );
    assert_eq!(browser.path().await, "/mids/new");
    browser.fill("#title", "FlexFactor Rescue").await;
    for (id, value) in [
        ("#cred_app_key", "ff-app-key-001"),
        ("#cred_app_secret", "ff-app-secret-002"),
        ("#cred_mid_number", "ff-mid-003"),
        ("#cred_site_id", "ff-site-004"),
        ("#cred_environment_key", "ff-env-key-005"),
        ("#cred_hmac_signing_key", "ff-hmac-key-006"),
    ] {
        browser.fill(id, value).await;
    }
    browser.screenshot("flexfactor-form").await;
    let expiry = browser
        .c()
        .find(Locator::Css("#expiry_days"))
        .await
        .expect("expiry")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(expiry.as_deref(), Some("21"));
    browser.click("form[action='/mids'] button.create").await;
    browser
        .wait_for_text(".flash-success", "FlexFactor Rescue")
        .await;

    let mid = app.services.mids.all().await.unwrap().remove(0);
    let row = format!("#mid-{}", mid.id);
    assert!(browser.text(&row).await.contains("FlexFactor"));
    browser.screenshot("mids").await;
    browser.set_marker().await;
    browser.click(&format!("{row} button")).await;
    browser
        .wait_for(
            &format!("{row} .status.off"),
            "the row shows the MID disabled",
        )
        .await;
    assert!(
        browser.marker_survived().await,
        "the row changed without a page reload"
    );
    assert!(!app.services.mids.find(mid.id).await.unwrap().enabled);
    for page in [
        "/gateways/decline-mapping",
        "/gateways/profiles/new?kind=cascade",
    ] {
        browser.goto(&app, page).await;
        browser
            .screenshot(&page.replace(['/', '?', '='], "_"))
            .await;
    }
}

#[tokio::test]
async fn merchant_follows_seed_000_to_build_a_flexpay_salvage_profile() {
    use recoup::domain::provider::Provider;
    let Some((browser, app)) = signed_in("mo@example.com", "Mo Merchant", "merchant").await else {
        return;
    };
    let store_a = crate::gateways::new_mid(&app, "Store A", Provider::Test, &[]).await;
    let store_b = crate::gateways::new_mid(&app, "Store B", Provider::Test, &[]).await;
    let flexpay = crate::gateways::new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;

    // Steps 8-9: Recycle Billing, then the green "+".
    browser
        .click("nav.mainnav a[href='/recycle-billing']")
        .await;
    browser
        .click("a.activate[href='/recycle-billing/new']")
        .await;
    browser.fill("#name", "FlexPay recovery").await;
    // Step 10: Bill on Fridays stays deselected.
    let fridays = browser
        .c()
        .find(Locator::Css("#bill_on_fridays"))
        .await
        .expect("checkbox");
    assert_eq!(
        fridays.prop("checked").await.expect("prop").as_deref(),
        Some("false")
    );
    // Step 11: pick the MIDs, no ctrl-click needed.
    browser.click(&format!("#mid-{store_a}")).await;
    browser.click(&format!("#mid-{store_b}")).await;
    // Step 12: skip 1-3 and 5-9 (and the final attempt); checking Skip greys the row out at once.
    let opacity =
        "return getComputedStyle(document.querySelector('#attempt-1 .attempt-field')).opacity;";
    assert_eq!(
        browser.c().execute(opacity, vec![]).await.expect("style"),
        json!("1")
    );
    for n in [1, 2, 3, 5, 6, 7, 8, 9, 10] {
        browser.click(&format!("#skip_{n}")).await;
    }
    assert_eq!(
        browser.c().execute(opacity, vec![]).await.expect("style"),
        json!("0.35")
    );
    browser.click("#skip_1").await;
    assert_eq!(
        browser.c().execute(opacity, vec![]).await.expect("style"),
        json!("1"),
        "unchecking brings the row back"
    );
    browser.click("#skip_1").await;
    // Step 13: re-attempts 4-6 go to the FlexPay MID.
    browser
        .c()
        .find(Locator::Css("#merchant_2"))
        .await
        .expect("merchant")
        .select_by_value(&flexpay.to_string())
        .await
        .expect("select");
    // Step 14: attempt 4 at 0 price reduction and a 1 day wait.
    browser.fill("#reduction_4", "0").await;
    browser.fill("#wait_4", "1").await;
    browser
        .wait_for("#preview tbody tr", "the preview shows the attempt")
        .await;
    // Step 15: Create Profile.
    browser.click("#profile-form button.create").await;
    browser
        .wait_for_text(".flash-success", "FlexPay recovery")
        .await;
    let saved = app.services.recycle.list().await.unwrap().remove(0).profile;
    assert_eq!(saved.active_attempts(), [4]);
    assert_eq!(saved.apply_to, [store_a, store_b]);

    // Bill on Fridays is refused live, next to the box, before any save.
    browser.click(".table a[href$='/edit']").await;
    browser.click("#bill_on_fridays").await;
    browser
        .wait_for_text("#err-bill_on_fridays", "FlexPay")
        .await;
    browser.screenshot("recycle-editor").await;
    assert!(
        !app.services.recycle.list().await.unwrap()[0]
            .profile
            .bill_on_fridays,
        "nothing saved"
    );
}
