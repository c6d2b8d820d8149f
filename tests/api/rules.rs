//! Service-level tests named after the rules of SPEC.md section 4.5, run on both databases.

use crate::both_backends;
use recoup::domain::event::{Actor, EventFilter, EventKind};
use recoup::domain::page::KeysetRequest;
use recoup::domain::permission::{BuiltinRole, Permission};
use recoup::services::auth::{LoginAttempt, LoginError};

fn attempt<'a>(email: &'a str, password: &'a str) -> LoginAttempt<'a> {
    LoginAttempt {
        email,
        password,
        ip: "203.0.113.9",
    }
}

both_backends! {
    /// R-AU-1: argon2id hashes; a session ends at logout and after idle time; a disabled user's
    /// session stops at once.
    async fn r_au_1_passwords_are_argon2id_and_sessions_end(app) {
        let user = app.create_user("ann@example.com", "Ann", "admin").await;
        let hash: String = match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(pool).await.unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(pool).await.unwrap(),
        };
        assert!(hash.starts_with("$argon2id$"), "{hash}");

        let (token, viewer) = app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.unwrap();
        assert!(app.services.auth.resume_session(token.as_str()).await.unwrap().is_some());
        app.services.auth.logout(token.as_str(), &viewer, None).await.unwrap();
        assert!(app.services.auth.resume_session(token.as_str()).await.unwrap().is_none());

        let (token, _) = app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.unwrap();
        app.clock.advance(chrono::Duration::minutes(31));
        assert!(app.services.auth.resume_session(token.as_str()).await.unwrap().is_none(), "idle timeout");

        let (token, _) = app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.unwrap();
        let other = app.create_user("bo@example.com", "Bo", "admin").await;
        let actor = Actor { user_id: Some(other.id), label: other.email, ip: None, api_key_id: None };
        app.services.users.set_active(&actor, user.id, false).await.unwrap();
        assert!(app.services.auth.resume_session(token.as_str()).await.unwrap().is_none(), "disabled");
    }
}

both_backends! {
    /// R-AU-2: the built-in matrix, and permissions read fresh for every session check.
    async fn r_au_2_built_in_roles_grant_the_spec_matrix(app) {
        let merchant = BuiltinRole::Merchant.permissions();
        for p in [Permission::MidsManage, Permission::GatewaysManage, Permission::RecycleManage, Permission::DeclineMappingManage, Permission::ReportsView] {
            assert!(merchant.contains(p));
        }
        assert!(!merchant.contains(Permission::CustomersView) && !merchant.contains(Permission::UsersManage));
        assert!(BuiltinRole::CsAdmin.permissions().contains(Permission::CustomersBlacklist));
        assert!(!BuiltinRole::CsAgent.permissions().contains(Permission::CustomersBlacklist));
        assert!(BuiltinRole::CsAgent.permissions().contains(Permission::CustomersAct));
        assert_eq!(BuiltinRole::Admin.permissions().len(), Permission::all().count());

        let user = app.create_user("mo@example.com", "Mo", "merchant").await;
        let (token, viewer) = app.services.auth.login(&attempt("mo@example.com", PASSWORD)).await.unwrap();
        assert!(viewer.can(Permission::MidsManage));
        let actor = Actor::system("test");
        app.services.users.change_role(&actor, user.id, &recoup::domain::user::RoleName::parse("cs_agent").unwrap()).await.unwrap();
        let viewer = app.services.auth.resume_session(token.as_str()).await.unwrap().unwrap();
        assert!(!viewer.can(Permission::MidsManage) && viewer.can(Permission::CustomersView));
    }
}

both_backends! {
    /// R-AU-4: per-account lockout (5 in 15 minutes, for 15 minutes) and per-address limit.
    async fn r_au_4_failed_logins_lock_out_per_account_and_per_address(app) {
        app.create_user("ann@example.com", "Ann", "admin").await;
        for _ in 0..5 {
            assert!(matches!(app.services.auth.login(&attempt("ann@example.com", "nope-nope-nope")).await, Err(LoginError::InvalidCredentials)));
        }
        assert!(matches!(app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await, Err(LoginError::AccountLocked)));
        app.clock.advance(chrono::Duration::minutes(16));
        assert!(app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.is_ok());

        // Failures spread over time only count inside the window.
        for _ in 0..4 {
            app.services.auth.login(&attempt("ann@example.com", "nope-nope-nope")).await.ok();
        }
        app.clock.advance(chrono::Duration::minutes(16));
        app.services.auth.login(&attempt("ann@example.com", "nope-nope-nope")).await.ok();
        assert!(app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.is_ok());

        for i in 0..30 {
            app.services.auth.login(&LoginAttempt { email: &format!("x{i}@example.com"), password: "nope-nope-nope", ip: "198.51.100.7" }).await.ok();
        }
        let blocked = app.services.auth.login(&LoginAttempt { email: "ann@example.com", password: PASSWORD, ip: "198.51.100.7" }).await;
        assert!(matches!(blocked, Err(LoginError::AddressThrottled)));
        assert!(app.services.auth.login(&attempt("ann@example.com", PASSWORD)).await.is_ok(), "another address is not affected");
    }
}

both_backends! {
    /// R-AU-5: every admin change is logged with who, when, what, before and after, and a
    /// failed change logs nothing.
    async fn r_au_5_changes_are_logged_with_before_and_after(app) {
        let boss = app.create_user("boss@example.com", "Bo", "admin").await;
        let user = app.create_user("mo@example.com", "Mo", "merchant").await;
        let actor = Actor { user_id: Some(boss.id), label: boss.email.clone(), ip: Some("192.0.2.1".into()), api_key_id: None };
        app.services.users.change_role(&actor, user.id, &recoup::domain::user::RoleName::parse("cs_admin").unwrap()).await.unwrap();
        app.services.users.change_role(&actor, user.id, &recoup::domain::user::RoleName::parse("wizard").unwrap()).await.unwrap_err();

        let filter = EventFilter { kind: Some(EventKind::UserRoleChanged), ..EventFilter::default() };
        let events = app.services.events.list(&filter, KeysetRequest { after: None, size: 10 }).await.unwrap();
        assert_eq!(events.total, 1, "the refused change left no event");
        let event = &events.items[0];
        assert_eq!(event.actor_id, Some(boss.id));
        assert_eq!(event.actor_label, "boss@example.com");
        assert_eq!(event.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(event.at, app.clock_now());
        assert!(event.before.as_deref().unwrap().contains("\"role\":\"merchant\""));
        assert!(event.after.as_deref().unwrap().contains("\"role\":\"cs_admin\""));

        let all = app.services.events.list(&EventFilter::default(), KeysetRequest { after: None, size: 100 }).await.unwrap();
        assert!(all.items.iter().all(|e| !e.after.as_deref().unwrap_or_default().contains("argon2")), "no hash in the log");
    }
}

both_backends! {
    async fn demo_data_is_added_once_to_an_empty_database(app) {
        let logins = app.services.seed_demo().await.unwrap();
        assert_eq!(logins.iter().map(|l| l.role).collect::<Vec<_>>(), ["admin", "merchant", "cs_admin", "cs_agent"]);
        for login in &logins {
            assert!(app.services.auth.login(&attempt(&login.email, &login.password)).await.is_ok(), "{} can sign in", login.role);
        }
        assert!(app.services.seed_demo().await.unwrap().is_empty(), "a second run changes nothing");
        assert_eq!(app.services.mids.all().await.unwrap().len(), 4);
        assert_eq!(app.services.routing.list().await.unwrap().len(), 1);
        let salvage = app.services.recycle.list().await.unwrap();
        assert_eq!(salvage.len(), 1);
        assert_eq!(salvage[0].profile.active_attempts(), [4]);
    }
}
