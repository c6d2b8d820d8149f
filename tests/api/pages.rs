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
        let body = response.text().await.unwrap();
        assert!(body.contains("Page not found"), "{body}");
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
        let body = response.text().await.unwrap();
        assert!(body.contains("You do not have access to this page"));
        assert!(body.contains("href=\"/customers\"") && !body.contains("href=\"/admin\""), "nav follows the role");
        assert!(body.contains("action=\"/logout\""), "sign out is on every page");
    }
}

both_backends! {
    async fn health_answers_200_with_a_database_and_503_without(app) {
        assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
        app.services.db.close().await;
        assert_eq!(app.get("/healthz").await.status().as_u16(), 503);
    }
}

both_backends! {
    async fn an_internal_failure_shows_the_error_page_with_a_request_id(app) {
        app.login_as_new("admin").await;
        app.services.db.close().await;
        let response = app.get("/admin/users").await;
        assert_eq!(response.status().as_u16(), 500);
        let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.text().await.unwrap();
        assert!(body.contains("Something went wrong on our side"), "{body}");
        assert!(!id.is_empty() && body.contains(&id), "the page shows the request id {id}");
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
        let list = app.get_html("/admin/users").await;
        assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || list.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{list}");
        let search = app.get_html("/admin/users?q=%22%3E%3Cb%3Ex").await;
        assert!(!search.contains("\"><b>x"), "the search box echoes escaped text");
    }
}

both_backends! {
    async fn vendored_htmx_and_css_are_served_and_referenced(app) {
        let page = app.get_html("/login").await;
        assert!(page.contains("/static/htmx-2.0.11.min.js") && page.contains("/static/recoup.css"));
        let js = app.get("/static/htmx-2.0.11.min.js").await;
        assert_eq!(js.status().as_u16(), 200);
        assert!(js.text().await.unwrap().contains("htmx"));
        assert_eq!(app.get("/static/recoup.css").await.status().as_u16(), 200);
        assert!(page.contains("hx-headers") && page.contains("X-CSRF-Token"), "htmx sends the token");
    }
}

both_backends! {
    async fn sections_not_built_yet_say_so_behind_the_same_guard(app) {
        app.login_as_new("cs_agent").await;
        let body = app.get_html("/customers").await;
        assert!(body.contains("This section is not built yet"));
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
            let body = app.get_html(path).await;
            for id in ids_of_controls(&body) {
                assert!(body.contains(&format!("for=\"{id}\"")), "{path}: control #{id} has no label");
            }
        }
    }
}

/// Ids of visible inputs, selects and textareas in a page.
fn ids_of_controls(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for tag in ["<input", "<select", "<textarea"] {
        for part in html.split(tag).skip(1) {
            let element = part.split('>').next().unwrap_or_default();
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            assert!(
                id.is_some(),
                "a form control without an id cannot be labelled: {tag}{element}>"
            );
            ids.extend(id.map(str::to_owned));
        }
    }
    ids
}

both_backends! {
    async fn a_malformed_form_gets_a_readable_400_page(app) {
        app.login_as_new("merchant").await;
        let response = app.post_form("/mids", &[("title", "a"), ("title", "b"), ("provider", "test")]).await;
        assert_eq!(response.status().as_u16(), 400);
        let body = response.text().await.unwrap();
        assert!(body.contains("That request could not be understood") && body.contains("action=\"/logout\""));
        assert!(app.services.all_mids().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_dashboard_shows_each_role_what_it_may_see(app) {
        app.login_as_new("merchant").await;
        let a = crate::gateways::new_mid(&app, "Uncovered store", recoup::domain::mid::Provider::Test, &[]).await;
        crate::gateways::new_mid(&app, "Rescue", recoup::domain::mid::Provider::FlexPay, &[]).await;
        let page = app.get_html("/").await;
        assert!(page.contains("2 MIDs") && page.contains("1 salvage-only"));
        assert!(page.contains("1 enabled MID is in no decline salvage profile") && page.contains("Uncovered store"));
        assert!(!page.contains("Latest events"), "merchants do not read the event log");
        let mut form = recoup::domain::recycle::RecycleForm::blank();
        form.name = "Main".into();
        form.mids = vec![a.to_string()];
        app.services.create_recycle_profile(&recoup::domain::event::Actor::system("test"), &form).await.unwrap();
        assert!(!app.get_html("/").await.contains("id=\"uncovered\""));

        let admin = new_client();
        app.create_user("boss@example.com", "Bo", "admin").await;
        app.login_with(&admin, "boss@example.com", PASSWORD).await;
        let page = admin.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Latest events") && page.contains("recycle_profile.created"));
    }
}
