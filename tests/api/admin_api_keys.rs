//! `/admin/api-keys` and `recoup api-key create` (SPEC 4.7): keys shown once, stored hashed,
//! revocable after a confirmation, with their last use shown.

use recoup::db::Db;
use recoup::domain::event::Actor;
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::helpers::*;

/// Every text the database keeps about keys: their rows and the events about them.
async fn stored_text(db: &Db) -> String {
    const KEYS: &str = "SELECT name || ' ' || prefix || ' ' || secret_hash FROM api_keys";
    const EVENTS: &str = "SELECT COALESCE(before_json, '') || ' ' || COALESCE(after_json, '') \
                          FROM events WHERE kind LIKE 'api_key.%'";
    let mut rows: Vec<String> = Vec::new();
    for sql in [KEYS, EVENTS] {
        rows.extend(match db {
            Db::Sqlite(pool) => sqlx::query_scalar::<_, String>(sql)
                .fetch_all(pool)
                .await
                .unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar::<_, String>(sql)
                .fetch_all(pool)
                .await
                .unwrap(),
        });
    }
    rows.join("\n")
}

async fn secret_hash(db: &Db) -> String {
    const SQL: &str = "SELECT secret_hash FROM api_keys";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await.unwrap(),
    }
}

async fn call_api(app: &TestApp, key: &str) -> u16 {
    new_client()
        .get(app.url("/api/v1/campaigns"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

both_backends! {
    /// SPEC 4.7: an admin makes a key on the page; it is shown once, on the answer to the form,
    /// and the database holds only its SHA-256.
    async fn an_admin_creates_a_key_that_is_shown_once_and_stored_hashed(app) {
        app.login_as_new("admin").await;
        let index = app.get_page("/admin").await;
        assert!(index.has(r#"a.tile[href="/admin/api-keys"]"#), "the Admin section links the page");
        let list = app.get_page("/admin/api-keys").await;
        assert!(list.has(r#"a[href="/admin/api-keys/new"]"#));
        assert_eq!(app.get("/admin/api-keys/new").await.status(), 200);

        let created = app.post_form("/admin/api-keys", &[("name", "  Checkout page ")]).await;
        assert_eq!(created.status(), 200);
        let key = page_of(created).await.text("#api-key");
        assert!(key.starts_with("rcp_") && key.len() == 77, "{key}");

        let list = app.get_html("/admin/api-keys").await;
        assert!(!list.contains(&key[13..]), "the list never shows the key again");
        let page = Page::parse(&list);
        let row = page.texts("#api-keys tbody tr").join(" ");
        assert!(row.contains("Checkout page") && row.contains(&key[..12]), "{row}");
        assert!(row.contains("Test admin"), "the creator is named: {row}");
        assert!(row.contains("never"), "not used yet: {row}");

        let stored = stored_text(&app.db).await;
        assert!(!stored.contains(&key[13..]), "the secret is nowhere in the database");
        assert_eq!(secret_hash(&app.db).await, hex::encode(Sha256::digest(key.as_bytes())));
        assert_eq!(call_api(&app, &key).await, 200, "the key shown works");

        let log = app.get_page("/admin/events?kind=api_key.created").await;
        assert_eq!(log.event_kinds(), ["api_key.created"]);
    }
}

both_backends! {
    async fn a_key_needs_a_name(app) {
        app.login_as_new("admin").await;
        let response = app.post_form("/admin/api-keys", &[("name", "   ")]).await;
        assert_eq!(response.status(), 422);
        let page = page_of(response).await;
        assert_eq!(page.fields_with_errors(), ["name"]);
        assert!(!page.has("#api-key"));
        let long = "k".repeat(81);
        let response = app.post_form("/admin/api-keys", &[("name", &long)]).await;
        assert_eq!(response.status(), 422);
        assert!(app.services.api_keys.list().await.unwrap().is_empty(), "nothing was saved");
    }
}

both_backends! {
    /// SPEC 4.7: revoking asks first; once revoked the key is refused and the list says so.
    async fn revoking_a_key_asks_first_then_refuses_it(app) {
        app.login_as_new("admin").await;
        let created = app.services.api_keys.create(&Actor::system("cli"), "Warehouse sync").await.unwrap();
        let list = app.get_page("/admin/api-keys").await;
        let row = list.texts("#api-keys tbody tr").join(" ");
        assert!(row.contains("command line"), "made from the command line: {row}");

        let path = format!("/admin/api-keys/{}/revoke", created.id);
        let ask = app.post_form(&path, &[]).await;
        assert_eq!(ask.status(), 200);
        let ask = page_of(ask).await;
        assert!(ask.text("h1").contains("Warehouse sync"));
        assert_eq!(ask.value_of("confirm").as_deref(), Some("yes"));
        assert_eq!(call_api(&app, &created.key).await, 200, "asking revokes nothing");

        let done = app.post_form(&path, &[("confirm", "yes")]).await;
        assert_redirects_to(&done, "/admin/api-keys");
        assert_eq!(call_api(&app, &created.key).await, 401);
        let list = app.get_page("/admin/api-keys").await;
        assert!(list.flash_success().unwrap().contains("revoked"));
        assert!(list.texts("#api-keys tbody tr").join(" ").contains("Revoked"));
        assert!(!list.has(&format!(r#"form[action="{path}"]"#)), "a revoked key has no Revoke button");

        let again = app.post_form(&path, &[("confirm", "yes")]).await;
        assert_redirects_to(&again, "/admin/api-keys");
        assert!(app.get_page("/admin/api-keys").await.flash_error().unwrap().contains("already revoked"));
        let log = app.get_page("/admin/events?kind=api_key.revoked").await;
        assert_eq!(log.event_kinds(), ["api_key.revoked"]);
    }
}

both_backends! {
    /// The last use is shown, and written at most once a minute per key.
    async fn the_last_use_is_shown_and_written_at_most_once_a_minute(app) {
        let created = app.services.api_keys.create(&Actor::system("test"), "Checkout").await.unwrap();
        let last_used = || async { app.services.api_keys.find(created.id).await.unwrap().last_used_at };
        assert_eq!(last_used().await, None);
        let start = app.clock_now();
        assert_eq!(call_api(&app, &created.key).await, 200);
        assert_eq!(last_used().await, Some(start));

        app.clock.advance(chrono::Duration::seconds(59));
        assert_eq!(call_api(&app, &created.key).await, 200);
        assert_eq!(last_used().await, Some(start), "a use within the minute writes nothing");

        app.clock.advance(chrono::Duration::seconds(1));
        assert_eq!(call_api(&app, &created.key).await, 200);
        assert_eq!(last_used().await, Some(app.clock_now()));

        app.login_as_new("admin").await;
        let list = app.get_page("/admin/api-keys").await;
        assert_eq!(list.text("#api-keys td.last-used"), app.clock_now().format("%Y-%m-%d %H:%M").to_string());
    }
}

both_backends! {
    /// Only a role holding the API keys permission (admins by default) sees or changes keys.
    async fn only_admins_manage_keys(app) {
        let created = app.services.api_keys.create(&Actor::system("test"), "Checkout").await.unwrap();
        app.login_as_new("merchant").await;
        assert_eq!(app.get("/admin/api-keys").await.status(), 403);
        let revoke = app.post_form(&format!("/admin/api-keys/{}/revoke", created.id), &[("confirm", "yes")]).await;
        assert_eq!(revoke.status(), 403);
        assert_eq!(call_api(&app, &created.key).await, 200, "the refusal changed nothing");
    }
}

#[test]
fn the_command_line_prints_a_new_key_once() {
    use std::process::Command;
    let mut buf = [0u8; 6];
    getrandom::fill(&mut buf).unwrap();
    let db = std::env::temp_dir().join(format!("recoup-cli-key-{}.db", hex::encode(buf)));
    let recoup = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_recoup"))
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("RECOUP_SESSION_KEY", "ab".repeat(64))
            .env("RECOUP_SECRET_KEY", "cd".repeat(32))
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap()
    };
    let made = recoup(&["api-key", "create", "--name", "Checkout page"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = String::from_utf8_lossy(&made.stdout);
    assert!(out.contains("Checkout page"), "{out}");
    let key = out.lines().last().unwrap().trim().to_owned();
    assert!(key.starts_with("rcp_") && key.len() == 77, "{out}");
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert!(
        !stderr.contains(&key),
        "the key is printed once, on stdout only"
    );

    let refused = recoup(&["api-key", "create", "--name", " "]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--name:"));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = rt.block_on(async {
        let db = Db::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let text = stored_text(&db).await;
        db.close().await;
        text
    });
    assert!(!stored.contains(&key[13..]), "only the hash is stored");
    assert!(stored.contains("Checkout page"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
