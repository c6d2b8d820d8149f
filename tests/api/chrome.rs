//! The headless Chromium the browser tests drive: chromedriver on a free port, one WebDriver
//! session, and the few steps the tests share (sign in, fill, click, wait, resize). In CI a
//! missing browser fails the run; elsewhere it prints a NOTICE and the test returns.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

pub(crate) const WAIT: Duration = Duration::from_secs(10);
/// WebDriver's Tab and Enter keys.
pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";

pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// chromedriver on a free port plus one browser session. Dropping it (on success or on a
/// panic) ends the session, which quits Chromium, then kills whatever chromedriver started.
pub(crate) struct Browser {
    driver: Child,
    port: u16,
    client: Option<Client>,
    session: Option<String>,
    profile: std::path::PathBuf,
}

impl Browser {
    pub(crate) async fn start() -> Option<Browser> {
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
                    // Overlay scrollbars, as on phones: the page's CSS width is then the
                    // window's, whether or not the page scrolls (see `set_viewport`).
                    "--hide-scrollbars",
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

    pub(crate) fn c(&self) -> &Client {
        self.client.as_ref().expect("browser session")
    }

    pub(crate) async fn goto(&self, app: &TestApp, path: &str) {
        self.c().goto(&app.url(path)).await.expect("navigate");
    }

    /// The path of the page the browser is on.
    pub(crate) async fn path(&self) -> String {
        self.c()
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_owned()
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) {
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

    pub(crate) async fn click(&self, css: &str) {
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

    pub(crate) async fn text(&self, css: &str) -> String {
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
    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for el in self.c().find_all(Locator::Css(css)).await.expect(css) {
            texts.push(el.text().await.expect("text"));
        }
        texts
    }

    /// Waits up to `WAIT` until the element's text contains `needle`.
    pub(crate) async fn wait_for_text(&self, css: &str, needle: &str) -> String {
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

    pub(crate) async fn login(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(app, "/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for("nav.mainnav", "signed in").await;
    }

    pub(crate) async fn logout(&self) {
        self.click("form[action='/logout'] button").await;
        self.wait_for("#email", "back on the login page").await;
    }

    /// Waits up to `WAIT` for an element; `what` says what its absence means.
    pub(crate) async fn wait_for(&self, css: &str, what: &str) {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(what);
    }

    /// Resizes the window so the page is laid out `width` CSS pixels wide (media queries,
    /// `clientWidth`), as on a screen that size. Headless Chromium keeps its window at least
    /// 500 px wide, yet lays the page out in the size asked for, so the width is checked on the
    /// page rather than read back from the window.
    pub(crate) async fn set_viewport(&self, width: u32, height: u32) {
        self.c()
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        let seen = self
            .c()
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .expect("script");
        assert_eq!(
            seen,
            json!(width),
            "the page is laid out {seen} px wide in a window sized {width} px"
        );
    }

    /// Runs `script` in the page and returns its value.
    pub(crate) async fn js(&self, script: &str) -> Value {
        self.c().execute(script, vec![]).await.expect("script")
    }

    /// The id of the element that has keyboard focus ("" for none or no id).
    pub(crate) async fn focused_id(&self) -> String {
        self.js("return document.activeElement ? document.activeElement.id : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Sends `keys` to whatever has focus (`TAB`, `ENTER`, text).
    pub(crate) async fn press(&self, keys: &str) {
        self.c()
            .active_element()
            .await
            .expect("focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    /// An attribute of the first element matching `css`: null when absent, "missing" when no
    /// element matches.
    pub(crate) async fn attr(&self, css: &str, name: &str) -> Value {
        self.js(&format!(
            "const e = document.querySelector({css:?}); return e ? e.getAttribute({name:?}) : 'missing';"
        ))
        .await
    }

    /// Waits until the element with id `id` has keyboard focus.
    pub(crate) async fn wait_for_focus(&self, id: &str, what: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let now = self.focused_id().await;
            if now == id {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: focus is on {now:?}, not {id:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn set_marker(&self) {
        self.c()
            .execute("window.__recoupMarker = 42; return null;", vec![])
            .await
            .expect("script");
    }

    pub(crate) async fn marker_survived(&self) -> bool {
        self.c()
            .execute("return window.__recoupMarker === 42;", vec![])
            .await
            .expect("script")
            == json!(true)
    }

    /// Console entries at level SEVERE (script errors, CSP violations, failed loads) since the
    /// last call, less the favicon Chromium asks for on its own (the portal has none).
    pub(crate) async fn console_errors(&self) -> Vec<String> {
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

    pub(crate) async fn screenshot(&self, name: &str) {
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
pub(crate) async fn signed_in(email: &str, name: &str, role: &str) -> Option<(Browser, TestApp)> {
    let browser = Browser::start().await?;
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    app.create_user(email, name, role).await;
    browser.login(&app, email, PASSWORD).await;
    Some((browser, app))
}
