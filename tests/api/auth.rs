//! Signing in and out, sessions, lockout and CSRF (SPEC R-AU-1, R-AU-3, R-AU-4).

use crate::both_backends;
use chrono::Duration;
use recoup::services::auth::LoginError;

both_backends! {
    async fn login_with_right_password_opens_the_dashboard(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        let response = app.login("ANN@example.com ", PASSWORD).await;
        assert_redirects_to(&response, "/");
        assert_eq!(app.get_page("/").await.text(".who-name"), "Ann Lee", "signed in as Ann");
    }
}

both_backends! {
    async fn wrong_password_and_unknown_email_get_the_same_message(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        let wrong = app.login("ann@example.com", "not-the-password-1").await;
        assert_eq!(wrong.status().as_u16(), 401);
        let wrong = page_of(wrong).await.flash_error();
        let unknown = app.login("nobody@example.com", "not-the-password-1").await;
        assert_eq!(unknown.status().as_u16(), 401);
        let unknown = page_of(unknown).await.flash_error();
        assert_eq!(wrong, Some(LoginError::InvalidCredentials.to_string()));
        assert_eq!(unknown, wrong);
        assert_eq!(app.get("/").await.status().as_u16(), 303, "still signed out");
    }
}

both_backends! {
    async fn account_locks_after_five_failures_for_fifteen_minutes(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        for _ in 0..5 {
            assert_eq!(app.login("ann@example.com", "wrong-password-123").await.status().as_u16(), 401);
        }
        let locked = app.login("ann@example.com", PASSWORD).await;
        assert_eq!(locked.status().as_u16(), 429, "the right password is refused while locked");
        assert_eq!(page_of(locked).await.flash_error(), Some(LoginError::AccountLocked.to_string()));

        app.clock.advance(Duration::minutes(14));
        assert_eq!(app.login("ann@example.com", PASSWORD).await.status().as_u16(), 429);
        app.clock.advance(Duration::minutes(2));
        assert_redirects_to(&app.login("ann@example.com", PASSWORD).await, "/");
    }
}

both_backends! {
    async fn an_unknown_email_locks_the_same_way_so_lockout_reveals_nothing(app) {
        for _ in 0..5 {
            app.login("ghost@example.com", "wrong-password-123").await;
        }
        assert_eq!(app.login("ghost@example.com", "wrong-password-123").await.status().as_u16(), 429);
    }
}

both_backends! {
    async fn one_address_is_throttled_across_accounts(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        for i in 0..30 {
            app.login(&format!("user{i}@example.com"), "wrong-password-123").await;
        }
        let response = app.login("ann@example.com", PASSWORD).await;
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(page_of(response).await.flash_error(), Some(LoginError::AddressThrottled.to_string()));
    }
}

both_backends! {
    async fn login_renews_the_session_cookie_and_the_old_one_stays_anonymous(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        let before = app.get("/login").await;
        let anonymous_cookie = cookie_value(&before);
        let response = app.login("ann@example.com", PASSWORD).await;
        let signed_in_cookie = cookie_value(&response);
        assert_ne!(anonymous_cookie, signed_in_cookie, "login must issue a new session cookie");

        let replay = new_client()
            .get(app.url("/"))
            .header("Cookie", format!("recoup={anonymous_cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status().as_u16(), 303, "the pre-login cookie is not signed in");
    }
}

both_backends! {
    async fn logout_ends_the_session_and_a_replayed_cookie_is_refused(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        let login = app.login("ann@example.com", PASSWORD).await;
        let cookie = cookie_value(&login);
        assert_eq!(app.get("/").await.status().as_u16(), 200);

        let logout = app.post_form("/logout", &[]).await;
        assert_redirects_to(&logout, "/login");
        assert_eq!(app.get("/").await.status().as_u16(), 303);

        let replay = new_client().get(app.url("/")).header("Cookie", format!("recoup={cookie}")).send().await.unwrap();
        assert_redirects_to(&replay, "/login?next=%2F");
    }
}

both_backends! {
    async fn a_disabled_user_is_signed_out_on_the_next_request(app) {
        let agent = app.create_user("agent@example.com", "Cas Agent", "cs_agent").await;
        app.login("agent@example.com", PASSWORD).await;
        assert_eq!(app.get("/customers").await.status().as_u16(), 200);

        let admin = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(admin.id), label: admin.email.clone(), ip: None, api_key_id: None };
        app.services.users.set_active(&actor, agent.id, false).await.unwrap();

        assert_redirects_to(&app.get("/customers").await, "/login?next=%2Fcustomers");
        let again = app.login("agent@example.com", PASSWORD).await;
        assert_eq!(again.status().as_u16(), 401, "a disabled account cannot sign in");
    }
}

both_backends! {
    async fn a_role_change_takes_effect_on_the_next_request(app) {
        let user = app.create_user("mo@example.com", "Mo Merchant", "merchant").await;
        app.login("mo@example.com", PASSWORD).await;
        assert_eq!(app.get("/mids").await.status().as_u16(), 200);

        let admin = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(admin.id), label: admin.email.clone(), ip: None, api_key_id: None };
        app.services.users.change_role(&actor, user.id, &recoup::domain::user::RoleName::parse("cs_agent").unwrap()).await.unwrap();

        assert_eq!(app.get("/mids").await.status().as_u16(), 403);
        assert_eq!(app.get("/customers").await.status().as_u16(), 200);
    }
}

both_backends! {
    async fn sessions_expire_after_idle_time_and_absolute_lifetime(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        app.login("ann@example.com", PASSWORD).await;
        app.clock.advance(Duration::minutes(29));
        assert_eq!(app.get("/").await.status().as_u16(), 200, "activity within 30 minutes keeps the session");
        app.clock.advance(Duration::minutes(31));
        assert_eq!(app.get("/").await.status().as_u16(), 303, "31 idle minutes end it");

        app.login("ann@example.com", PASSWORD).await;
        for _ in 0..36 {
            app.clock.advance(Duration::minutes(20));
            assert_eq!(app.get("/").await.status().as_u16(), 200);
        }
        app.clock.advance(Duration::minutes(20));
        assert_eq!(app.get("/").await.status().as_u16(), 303, "12 hours is the most a session lives");
    }
}

both_backends! {
    async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        app.login("ann@example.com", PASSWORD).await;
        let fields = [
            ("email", "new@example.com"),
            ("name", "New Person"),
            ("role", "cs_agent"),
            ("password", "amber-quartz-ferry-77"),
            ("password_confirm", "amber-quartz-ferry-77"),
        ];
        let missing = app.client.post(app.url("/admin/users")).form(&fields).send().await.unwrap();
        assert_eq!(missing.status().as_u16(), 403);

        let mut wrong = fields.to_vec();
        wrong.push(("csrf_token", "0000"));
        let wrong = app.client.post(app.url("/admin/users")).form(&wrong).send().await.unwrap();
        assert_eq!(wrong.status().as_u16(), 403);

        let htmx_wrong = app
            .client
            .post(app.url("/admin/users"))
            .header("X-CSRF-Token", "0000")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(htmx_wrong.status().as_u16(), 403);

        let users = app.services.users.list(Some("new@example.com"), recoup::domain::page::PageRequest::new(None, 10)).await.unwrap();
        assert_eq!(users.total, 0, "nothing was created");

        let ok = app.post_form("/admin/users", &fields).await;
        assert_eq!(ok.status().as_u16(), 303, "the same form with the token works");
    }
}

both_backends! {
    async fn a_cross_site_post_is_refused_even_with_a_token(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        app.login("ann@example.com", PASSWORD).await;
        let token = csrf_in(&app.get_html("/").await);
        let response = app
            .client
            .post(app.url("/logout"))
            .header("Origin", "https://evil.example")
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        assert_eq!(app.get("/").await.status().as_u16(), 200, "still signed in");
    }
}

both_backends! {
    async fn login_returns_to_the_page_asked_for_but_never_off_site(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        assert_redirects_to(&app.get("/admin/roles").await, "/login?next=%2Fadmin%2Froles");
        let page = app.get_html("/login?next=/admin/roles").await;
        let token = csrf_in(&page);
        let response = app
            .client
            .post(app.url("/login"))
            .form(&[("email", "ann@example.com"), ("password", PASSWORD), ("csrf_token", &token), ("next", "//evil.example")])
            .send()
            .await
            .unwrap();
        assert_redirects_to(&response, "/");
    }
}

fn cookie_value(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("recoup="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
        .expect("response sets the session cookie")
}
