//! Strict decoding (issue 8): the database accepts only the enum keys the code knows, and a value
//! the code does not know, written around that check, makes the page fail loudly with a request
//! id instead of showing a plausible wrong value.

use crate::both_backends;
use crate::helpers::*;
use recoup::db::Db;
use recoup::domain::permission::Permission;
use recoup::domain::provider::Provider;

/// Runs raw SQL on one connection of the app's pool (so a per-connection pragma holds).
async fn raw(app: &TestApp, sqlite: &[&str], postgres: &[&str]) -> Result<(), sqlx::Error> {
    match &app.db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            for sql in sqlite {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            for sql in postgres {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

const MID_ROW: &str = "INSERT INTO mids (title, provider, cs_phone, cs_email, descriptor, enabled, block_prepaid, block_debit, \
     accept_echeck, accept_visa, accept_mastercard, accept_amex, accept_discover, cascade_all, created_at, updated_at) \
     VALUES ('T-{key}', '{key}', '', '', '', TRUE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE, '2026-11-02T09:00:00Z', '2026-11-02T09:00:00Z')";

both_backends! {
    async fn the_database_accepts_every_known_key_and_refuses_others(app) {
        for provider in Provider::all() {
            let sql = MID_ROW.replace("{key}", provider.key());
            raw(&app, &[&sql], &[&sql]).await.unwrap_or_else(|e| panic!("{}: {e}", provider.key()));
        }
        let unknown = MID_ROW.replace("{key}", "paypal");
        assert!(raw(&app, &[&unknown], &[&unknown]).await.is_err(), "an unknown provider is refused");

        raw(&app, &["INSERT INTO roles (name, description, builtin, created_at) VALUES ('r', '', FALSE, '2026-11-02T09:00:00Z')"],
                  &["INSERT INTO roles (name, description, builtin, created_at) VALUES ('r', '', FALSE, '2026-11-02T09:00:00Z')"]).await.unwrap();
        for permission in Permission::all() {
            let sql = format!("INSERT INTO role_permissions (role_id, permission) SELECT id, '{}' FROM roles WHERE name = 'r'", permission.key());
            raw(&app, &[&sql], &[&sql]).await.unwrap_or_else(|e| panic!("{}: {e}", permission.key()));
        }
        let bad = "INSERT INTO role_permissions (role_id, permission) SELECT id, 'everything.do' FROM roles WHERE name = 'r'";
        assert!(raw(&app, &[bad], &[bad]).await.is_err(), "an unknown permission is refused");
    }
}

both_backends! {
    async fn a_mid_with_an_unknown_provider_fails_the_page_with_a_request_id(app) {
        let sql = MID_ROW.replace("{key}", "paypal");
        raw(
            &app,
            &["DROP TRIGGER mids_provider_check_insert", &sql],
            &["ALTER TABLE mids DROP CONSTRAINT mids_provider_check", &sql],
        )
        .await
        .unwrap();
        app.login_as_new("merchant").await;
        let response = app.get("/mids").await;
        assert_eq!(response.status().as_u16(), 500);
        let id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        assert!(body.contains(&id), "the page shows the request id");
        assert!(!body.contains("T-paypal"), "no plausible row is shown");
    }
}

both_backends! {
    async fn a_decline_mapping_with_an_unknown_class_is_never_read_as_soft(app) {
        let sql = "INSERT INTO decline_mappings (provider, response_code, response_text, class, created_at) \
                   VALUES (NULL, '05', '', 'maybe', '2026-11-02T09:00:00Z')";
        raw(
            &app,
            &["PRAGMA ignore_check_constraints = ON", sql, "PRAGMA ignore_check_constraints = OFF"],
            &["ALTER TABLE decline_mappings DROP CONSTRAINT decline_mappings_class_check", sql],
        )
        .await
        .unwrap();
        assert!(app.services.declines.list().await.is_err(), "the service refuses to guess");
        app.login_as_new("merchant").await;
        assert_eq!(app.get("/gateways/decline-mapping").await.status().as_u16(), 500);
    }
}
