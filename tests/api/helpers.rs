//! Test harness: one fresh database per test (SQLite file or PostgreSQL database), the app on a
//! free port, and a cookie-keeping client that does not follow redirects.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use recoup::clock::ManualClock;
use recoup::config::{Environment, Settings};
use recoup::domain::auth::SessionPolicy;
use recoup::domain::event::Actor;
use recoup::domain::user::NewUser;
use recoup::services::Services;
use recoup::startup::{Application, open_database, services};
use secrecy::SecretSlice;

pub const PASSWORD: &str = "violet-harbour-tram-42";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub services: Services,
    /// The app's own pool, for tests that read or break the database behind its back.
    pub db: recoup::db::Db,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    PgDatabase(String),
}

fn random_suffix() -> String {
    let mut buf = [0u8; 6];
    getrandom::fill(&mut buf).expect("randomness");
    hex::encode(buf)
}

fn pg_admin_url() -> String {
    std::env::var("RECOUP_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A fresh database URL for one test, or `None` when PostgreSQL is unreachable outside CI.
async fn fresh_database(backend: Backend) -> Option<(String, Cleanup)> {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("recoup-test-{}.db", random_suffix()));
            Some((format!("sqlite://{}", path.display()), Cleanup::File(path)))
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = pg_admin_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(conn) => conn,
                Err(e) if in_ci() => {
                    panic!("PostgreSQL is required in CI but unreachable at {admin}: {e}")
                }
                Err(e) => {
                    eprintln!(
                        "NOTICE: PostgreSQL unreachable at {admin} ({e}); this test ran on SQLite only. CI requires PostgreSQL."
                    );
                    return None;
                }
            };
            let name = format!("recoup_test_{}", random_suffix());
            clone_template(&mut conn, &name).await;
            let _ = conn.close().await;
            Some((pg_database_url(&name), Cleanup::PgDatabase(name)))
        }
    }
}

/// The URL of database `name` on the server of [`pg_admin_url`].
fn pg_database_url(name: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// The template this process copies, built on first use. Copying a migrated database takes a
/// fraction of the time that creating and migrating one does.
static PG_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// Serialises template building between test processes sharing one server.
const TEMPLATE_LOCK: i64 = 0x7265_636f_7570_746c;

/// Creates database `name` as a copy of the migrated template.
async fn clone_template(conn: &mut sqlx::PgConnection, name: &str) {
    let mut template = PG_TEMPLATE.get_or_init(build_template).await.clone();
    for _ in 0..3 {
        let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
        match run_while_in_use(conn, &sql).await {
            Ok(()) => return,
            // Another process, built from other migrations, dropped our template as stale.
            Err(e) if sql_state(&e).as_deref() == Some("3D000") => {
                template = build_template().await
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
    panic!("the template database {template} keeps disappearing");
}

/// Runs `sql`, retrying while PostgreSQL says the database involved is being accessed by
/// other users: a connection that was just closed can take a moment to end on the server.
async fn run_while_in_use(conn: &mut sqlx::PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    let mut tries = 0;
    loop {
        match sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut *conn)
            .await
        {
            Err(e) if sql_state(&e).as_deref() == Some("55006") && tries < 50 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            result => return result.map(drop),
        }
    }
}

/// The SQLSTATE of a database error: 55006 object in use, 3D000 no such database.
fn sql_state(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// Makes sure `recoup_tmpl_<hash of migrations/postgres>` exists, fully migrated, and returns
/// its name. It is migrated under a temporary name and renamed when done, so a run that dies
/// half-way never leaves a half-migrated template behind.
async fn build_template() -> String {
    use sqlx::Connection;
    let name = format!("recoup_tmpl_{}", migrations_hash());
    let mut conn = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("connect to PostgreSQL to build the template");
    // Held until `conn` closes, so a panic below cannot leave it taken.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut conn)
        .await
        .expect("template lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("look for the template");
    if !exists {
        let building = format!("{name}_building_{}", random_suffix());
        run_while_in_use(&mut conn, &format!("CREATE DATABASE {building}"))
            .await
            .expect("create the template database");
        let db = open_database(&test_settings(pg_database_url(&building)))
            .await
            .expect("migrate the template database");
        // A template with a live connection cannot be copied.
        db.close().await;
        run_while_in_use(
            &mut conn,
            &format!("ALTER DATABASE {building} RENAME TO {name}"),
        )
        .await
        .expect("name the template database");
        // Nobody may connect to it by mistake and block every copy.
        run_while_in_use(
            &mut conn,
            &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"),
        )
        .await
        .expect("close the template to connections");
    }
    // Templates of older migrations, and any left half-built by a run that died (no other
    // build can be under way: this process holds the lock). Best effort: one still being
    // copied by another process is left for a later run.
    let stale: Vec<String> = sqlx::query_scalar(
        r"SELECT datname FROM pg_database WHERE datname LIKE 'recoup\_tmpl\_%' AND datname <> $1",
    )
    .bind(&name)
    .fetch_all(&mut conn)
    .await
    .expect("list stale templates");
    for old in stale {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {old}"
        )))
        .execute(&mut conn)
        .await;
    }
    let _ = conn.close().await;
    name
}

/// A short hash of the migrations in migrations/postgres/ (version and checksum of each file's
/// contents), so a changed migration gets a template of its own. Taken from the copy compiled
/// into the app, the one that migrates the template, so the name always matches its schema.
fn migrations_hash() -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for migration in sqlx::migrate!("./migrations/postgres").iter() {
        hash.update(migration.version.to_le_bytes());
        hash.update(&migration.checksum);
    }
    hex::encode(&hash.finalize()[..6])
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".to_owned(),
        environment: Environment::Dev,
        session_key: SecretSlice::from(vec![7u8; 64]),
        secret_key: SecretSlice::from(vec![9u8; 32]),
        previous_secret_keys: Vec::new(),
        session_policy: SessionPolicy::default(),
        secure_cookies: false,
        public_origin: None,
        smtp: None,
        worker: false,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// Starts the app on `backend`; `None` only for PostgreSQL outside CI when it is not running.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app with settings changed by `edit` (production mode, a public URL...).
pub async fn spawn_app_with(backend: Backend, edit: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let (url, cleanup) = fresh_database(backend).await?;
    let mut settings = test_settings(url);
    edit(&mut settings);
    let db = open_database(&settings)
        .await
        .expect("open and migrate the test database");
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .single()
            .expect("valid time"),
    );
    let services = services(db.clone(), &settings, Arc::new(clock.clone())).expect("services");
    let app = Application::build(&settings, services.clone(), 1).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        services,
        db,
        clock,
        client: new_client(),
        cleanup,
    })
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($(#[doc = $doc:literal])* async fn $name:ident($app:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;

            async fn run($app: TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                run(spawn_app(Backend::Sqlite).await.expect("sqlite app")).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = spawn_app(Backend::Postgres).await {
                    run(app).await;
                }
            }
        }
    };
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PgDatabase(name) => {
                let name = name.clone();
                // Dropped from a plain thread: Drop cannot await, and the test's runtime is ending.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        use sqlx::Connection;
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                                .execute(&mut conn)
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The value of `name="csrf_token"` in a page.
pub fn csrf_in(html: &str) -> String {
    Page::parse(html)
        .value_of("csrf_token")
        .expect("page has a csrf_token field")
}

/// A page or an htmx fragment parsed as HTML, so tests read it by structure (ids, names,
/// attributes) rather than by substrings that depend on attribute order or wording.
pub struct Page(scraper::Html);

impl Page {
    pub fn parse(html: &str) -> Self {
        // Outside a table the parser drops a lone `<tr>`, which is what row fragments are.
        if html.trim_start().starts_with("<tr") {
            Self(scraper::Html::parse_fragment(&format!(
                "<table>{html}</table>"
            )))
        } else {
            Self(scraper::Html::parse_document(html))
        }
    }

    /// Every element matching the CSS `selector`, in document order.
    pub fn all(&self, selector: &str) -> Vec<scraper::ElementRef<'_>> {
        let parsed = scraper::Selector::parse(selector)
            .unwrap_or_else(|e| panic!("bad selector {selector}: {e:?}"));
        self.0.select(&parsed).collect()
    }

    pub fn has(&self, selector: &str) -> bool {
        !self.all(selector).is_empty()
    }

    /// The text of the first element matching `selector`, whitespace collapsed.
    pub fn text(&self, selector: &str) -> String {
        let all = self.all(selector);
        let first = all
            .first()
            .unwrap_or_else(|| panic!("nothing matches {selector}"));
        text_of(first)
    }

    /// The text of every element matching `selector`, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        self.all(selector).iter().map(text_of).collect()
    }

    /// The message shown by the form field `name` (`#name-error` or the slot `#err-name`), when
    /// there is one.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let message = self
            .all(&format!(r#"[id="{name}-error"], [id="err-{name}"]"#))
            .iter()
            .map(text_of)
            .collect::<Vec<_>>()
            .join(" ");
        (!message.is_empty()).then_some(message)
    }

    /// The names of the fields that show a message, in page order.
    pub fn fields_with_errors(&self) -> Vec<String> {
        self.all(".field-error[id]")
            .iter()
            .filter(|e| !text_of(e).is_empty())
            .filter_map(|e| {
                let id = e.attr("id")?;
                id.strip_prefix("err-")
                    .or_else(|| id.strip_suffix("-error"))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// The value of the first input named `name`.
    pub fn value_of(&self, name: &str) -> Option<String> {
        self.all(&format!(r#"input[name="{name}"]"#))
            .first()
            .and_then(|e| e.attr("value"))
            .map(str::to_owned)
    }

    /// The value of each checked input named `name` (checkboxes sharing a name).
    pub fn checked_values(&self, name: &str) -> Vec<String> {
        self.all(&format!(r#"input[name="{name}"][checked]"#))
            .iter()
            .filter_map(|e| e.attr("value"))
            .map(str::to_owned)
            .collect()
    }

    /// Whether the first input matching `selector` is checked; fails when there is none.
    pub fn is_checked(&self, selector: &str) -> bool {
        self.attr_of(selector, "checked").is_some()
    }

    /// Attribute `attr` of the first element matching `selector`; fails when there is none.
    pub fn attr_of(&self, selector: &str, attr: &str) -> Option<String> {
        let all = self.all(selector);
        let first = all
            .first()
            .unwrap_or_else(|| panic!("nothing matches {selector}"));
        first.attr(attr).map(str::to_owned)
    }

    /// The value of the selected option of the select named `name`.
    pub fn selected(&self, name: &str) -> Option<String> {
        self.all(&format!(r#"select[name="{name}"] option[selected]"#))
            .first()
            .and_then(|e| e.attr("value"))
            .map(str::to_owned)
    }

    /// The error notice at the top of the page (a flash or a form status), when there is one.
    pub fn flash_error(&self) -> Option<String> {
        self.texts(".flash-error").into_iter().next()
    }

    /// The success notice at the top of the page, when there is one.
    pub fn flash_success(&self) -> Option<String> {
        self.texts(".flash-success").into_iter().next()
    }

    /// The kinds shown as badges in an event log table.
    /// The kinds of the event log's rows, as stored (each badge shows the phrase and keeps the
    /// key in `data-kind`).
    pub fn event_kinds(&self) -> Vec<String> {
        self.all("table.events td .badge[data-kind]")
            .iter()
            .filter_map(|e| e.attr("data-kind"))
            .map(str::to_owned)
            .collect()
    }
}

/// Reads a response body as a page.
pub async fn page_of(response: reqwest::Response) -> Page {
    Page::parse(&response.text().await.expect("body"))
}

fn text_of(element: &scraper::ElementRef<'_>) -> String {
    let text: String = element.text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn assert_redirects_to(response: &reqwest::Response, expected: &str) {
    assert_eq!(
        response.status().as_u16(),
        303,
        "expected a redirect to {expected}"
    );
    assert_eq!(location(response), expected);
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        recoup::clock::Clock::now(&self.clock)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// GETs `path` and parses the page.
    pub async fn get_page(&self, path: &str) -> Page {
        Page::parse(&self.get_html(path).await)
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_for_signed_in().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token from a page the session can see (the login page redirects once signed in).
    async fn csrf_for_signed_in(&self) -> String {
        let login = self.get("/login").await;
        if login.status().as_u16() == 200 {
            return csrf_in(&login.text().await.expect("body"));
        }
        // Signed in: any page's sign-out form carries the token.
        csrf_in(&self.get_html("/").await)
    }

    /// Creates a user directly through the service layer.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: &str,
    ) -> recoup::domain::user::User {
        let new = NewUser::parse(email, name, role, PASSWORD).expect("valid new user");
        self.services
            .users
            .create(&Actor::system("test"), new)
            .await
            .expect("create user")
    }

    /// Signs this app's client in.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.login_with(&self.client, email, password).await
    }

    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("body");
        let token = csrf_in(&page);
        client
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// Creates a user with `role` and signs the client in as them.
    pub async fn login_as_new(&self, role: &str) -> recoup::domain::user::User {
        let email = format!("{}@example.com", role.replace('_', "."));
        let user = self
            .create_user(&email, &format!("Test {role}"), role)
            .await;
        let response = self.login(&email, PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "login as {role} should succeed"
        );
        user
    }
}
