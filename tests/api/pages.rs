//! Page-level behaviour: security headers, error pages, health, escaping, static files.

use crate::both_backends;

both_backends! {
    async fn every_response_carries_the_security_headers(app) {
        app.login_as_new("admin").await;
        for path in ["/", "/login", "/admin/users", "/does-not-exist", "/healthz"] {
            let response = app.get(path).await;
            let h = response.headers();
            let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: no inline scripts allowed");
            assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
            assert!(h.get("referrer-policy").is_some(), "{path}");
            assert_eq!(h.get("cache-control").unwrap(), "no-store", "{path}");
            assert!(h.get("x-request-id").is_some(), "{path}");
        }
    }
}

both_backends! {
    async fn the_session_cookie_is_http_only_and_same_site_lax(app) {
        let response = app.get("/login").await;
        let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    }
}

both_backends! {
    async fn an_unknown_page_shows_the_404_page(app) {
        let response = app.get("/no/such/page").await;
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(page_of(response).await.text(".status-code"), "404", "the 404 page");
        app.login_as_new("admin").await;
        assert_eq!(app.get("/admin/users/999999").await.status().as_u16(), 404, "an unknown id is a 404");
        assert_eq!(app.get("/admin/users/not-a-number").await.status().as_u16(), 404);
    }
}

both_backends! {
    async fn a_forbidden_page_shows_the_403_page_with_navigation(app) {
        app.login_as_new("cs_agent").await;
        let response = app.get("/admin/users").await;
        assert_eq!(response.status().as_u16(), 403);
        let page = page_of(response).await;
        assert_eq!(page.text(".status-code"), "403", "the 403 page");
        assert!(page.has("nav.mainnav a[href='/customers']") && !page.has("nav.mainnav a[href='/admin']"), "nav follows the role");
        assert!(page.has("form[action='/logout']"), "sign out is on every page");
    }
}

both_backends! {
    async fn health_answers_200_with_a_database_and_503_without(app) {
        assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
        app.db.close().await;
        assert_eq!(app.get("/healthz").await.status().as_u16(), 503);
    }
}

both_backends! {
    async fn an_internal_failure_shows_the_error_page_with_a_request_id(app) {
        app.login_as_new("admin").await;
        app.db.close().await;
        let response = app.get("/admin/users").await;
        assert_eq!(response.status().as_u16(), 500);
        let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.text().await.unwrap();
        let page = Page::parse(&body);
        assert_eq!(page.text(".status-code"), "500", "the error page");
        assert!(!id.is_empty() && page.texts("code").contains(&id), "the page shows the request id {id}");
        assert!(!body.to_lowercase().contains("sqlx") && !body.contains("pool"), "no internal detail leaks");
    }
}

both_backends! {
    async fn user_entered_text_is_escaped_everywhere_it_is_shown(app) {
        app.login_as_new("admin").await;
        let evil = "<script>alert(1)</script>";
        app.create_user("evil@example.com", evil, "cs_agent").await;
        for path in ["/admin/users", "/admin/events"] {
            let body = app.get_html(path).await;
            assert!(!body.contains(evil), "{path} shows raw markup");
        }
        let list = app.get_page("/admin/users").await;
        assert!(list.texts("tr[id^='user-'] td:first-child").contains(&evil.to_owned()), "the name is shown as text");
        assert!(!list.has("main script"), "and never as markup");
        let search = app.get_html("/admin/users?q=%22%3E%3Cb%3Ex").await;
        assert!(!search.contains("\"><b>x"), "the search box echoes escaped text");
        let search = Page::parse(&search);
        assert_eq!(search.value_of("q").as_deref(), Some("\"><b>x"));
        assert!(!search.has("main b"));
    }
}

both_backends! {
    async fn vendored_htmx_and_css_are_served_and_referenced(app) {
        let page = app.get_page("/login").await;
        assert!(page.has("script[src='/static/htmx-2.0.11.min.js']") && page.has("link[rel=stylesheet][href='/static/recoup.css']"));
        let js = app.get("/static/htmx-2.0.11.min.js").await;
        assert_eq!(js.status().as_u16(), 200);
        assert!(js.text().await.unwrap().contains("htmx"));
        assert_eq!(app.get("/static/recoup.css").await.status().as_u16(), 200);
        let headers: serde_json::Value = serde_json::from_str(&page.attr_of("body", "hx-headers").unwrap_or_default()).unwrap();
        assert_eq!(headers["X-CSRF-Token"].as_str(), page.value_of("csrf_token").as_deref(), "htmx sends the token");
    }
}

both_backends! {
    async fn the_customer_service_section_is_behind_its_guard(app) {
        app.login_as_new("cs_agent").await;
        let body = app.get_page("/customers").await;
        assert_eq!(body.text("h1"), "Customer Service");
        assert_eq!(app.get("/recycle-billing").await.status().as_u16(), 403);
    }
}

both_backends! {
    async fn every_form_control_has_a_label(app) {
        app.login_as_new("admin").await;
        crate::gateways::Fixtures::new(&app).await;
        let paths = [
            "/login", "/admin/users", "/admin/users/new", "/admin/roles/new", "/admin/events", "/mids", "/mids/new?provider=flexfactor",
            "/gateways/profiles/new?kind=atri", "/gateways/decline-mapping", "/recycle-billing/new",
        ];
        for path in paths {
            // Signed in, /login redirects: read it as a visitor does.
            let client = if path == "/login" { new_client() } else { app.client.clone() };
            let page = page_of(client.get(app.url(path)).send().await.unwrap()).await;
            let controls = page.all("input:not([type=hidden]), select, textarea");
            assert!(!controls.is_empty(), "{path} has controls");
            for control in controls {
                let id = control.attr("id").unwrap_or_else(|| panic!("{path}: a control without an id cannot be labelled: {}", control.html()));
                assert!(page.has(&format!(r#"label[for="{id}"]"#)), "{path}: control #{id} has no label");
            }
        }
    }
}

both_backends! {
    async fn a_malformed_form_gets_a_readable_400_page(app) {
        app.login_as_new("merchant").await;
        let response = app.post_form("/mids", &[("title", "a"), ("title", "b"), ("provider", "test")]).await;
        assert_eq!(response.status().as_u16(), 400);
        let page = page_of(response).await;
        assert_eq!(page.text(".status-code"), "400", "the 400 page");
        assert!(page.has("form[action='/logout']"), "inside the layout");
        assert!(app.services.mids.all().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_dashboard_shows_each_role_what_it_may_see(app) {
        app.login_as_new("merchant").await;
        let a = crate::gateways::new_mid(&app, "Uncovered store", recoup::domain::provider::Provider::Test, &[]).await;
        crate::gateways::new_mid(&app, "Rescue", recoup::domain::provider::Provider::FlexPay, &[]).await;
        let page = app.get_page("/").await;
        let mids = page.text(".tiles a[href='/mids']");
        assert!(mids.starts_with("2 MIDs") && mids.contains("1 salvage-only"), "{mids}");
        let uncovered = page.text("#uncovered");
        assert!(uncovered.contains("Uncovered store") && !uncovered.contains("Rescue"), "only the MID that needs a profile: {uncovered}");
        assert!(!page.has("a[href='/admin/events']") && page.texts("main table td .badge").is_empty(), "merchants do not read the event log");
        let draft = recoup::domain::recycle::RecycleDraft { name: "Main".into(), apply_to: vec![a], ..recoup::domain::recycle::RecycleDraft::blank() };
        app.services.recycle.create(&recoup::domain::event::Actor::system("test"), &draft).await.unwrap();
        assert!(!app.get_page("/").await.has("#uncovered"));

        let admin = new_client();
        app.create_user("boss@example.com", "Bo", "admin").await;
        app.login_with(&admin, "boss@example.com", PASSWORD).await;
        let page = page_of(admin.get(app.url("/")).send().await.unwrap()).await;
        let kinds = page.texts("main table td .badge");
        assert!(kinds.iter().any(|k| k == "Recycle profile created"), "admins see the latest events, in words: {kinds:?}");
        assert!(page.has("a[href='/admin/events']"));
    }
}

both_backends! {
    /// Issue #9: the latest events name their records, linked, and read the seeding as demo data.
    async fn the_dashboards_latest_events_read_as_words(app) {
        app.services.seed_demo().await.unwrap();
        app.login_as_new("admin").await;
        let profile = app.services.recycle.list().await.unwrap().remove(0);
        let page = app.get_page("/").await;
        let rows = page.all("table.events tbody tr");
        assert_eq!(rows.len(), 8, "the latest 8");
        let who = page.texts("table.events td.who");
        assert!(who.iter().any(|w| w == "demo data"), "{who:?}");
        assert!(!who.iter().any(|w| w == "demo"));
        let link = format!("table.events td.subject a[href='/recycle-billing/{}/edit']", profile.id);
        assert_eq!(page.text(&link), profile.profile.name, "the profile is named and linked");
        let kinds = page.texts("table.events td .badge");
        assert!(kinds.iter().any(|k| k == "Recycle profile created"), "{kinds:?}");
        assert!(!page.text("table.events").contains("recycle_profile:"), "no stored subject keys");
        assert!(page.has(".table-wrap[role=region] table.events"));
    }
}
