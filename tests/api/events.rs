//! `/admin/events`: the event log page (SPEC R-AU-5).

use crate::both_backends;
use chrono::Duration;

both_backends! {
    async fn logins_and_admin_changes_appear_in_the_log_with_filters(app) {
        app.create_user("ann@example.com", "Ann", "admin").await;
        app.login("ann@example.com", "wrong-password-123").await;
        app.clock.advance(Duration::days(1));
        app.login("ann@example.com", PASSWORD).await;
        app.post_form("/admin/roles", &[("name", "auditor"), ("permissions", "events.view")]).await;

        let all = app.get_html("/admin/events").await;
        for kind in ["login.failed", "login.succeeded", "role.created", "user.created"] {
            assert!(all.contains(kind), "{kind} is in the log");
        }
        let failed = app.get_html("/admin/events?kind=login.failed").await;
        assert!(failed.contains("wrong password") && !failed.contains("<span class=\"badge\">role.created</span>"));

        let ann = app.services.list_users(Some("ann@"), recoup::domain::page::PageRequest::new(None, 5)).await.unwrap().items.remove(0);
        let by_ann = app.get_html(&format!("/admin/events?user={}", ann.id)).await;
        assert!(by_ann.contains("role.created") && !by_ann.contains("<span class=\"badge\">login.failed</span>"), "failed logins have no signed-in actor");

        let first_day = app.get_html("/admin/events?from=2026-11-02&until=2026-11-02").await;
        assert!(first_day.contains("<span class=\"badge\">login.failed</span>") && !first_day.contains("<span class=\"badge\">login.succeeded</span>"));
        let next_day = app.get_html("/admin/events?from=2026-11-03").await;
        assert!(next_day.contains("<span class=\"badge\">login.succeeded</span>") && !next_day.contains("<span class=\"badge\">login.failed</span>"));
    }
}

both_backends! {
    async fn bad_filters_are_explained_not_fatal(app) {
        app.login_as_new("admin").await;
        let response = app.get("/admin/events?from=yesterday&kind=nonsense&user=abc&page=-3").await;
        assert_eq!(response.status().as_u16(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains("Enter a date as YYYY-MM-DD.") && body.contains("Pick a kind from the list.") && body.contains("Pick a user from the list."));
    }
}

both_backends! {
    async fn the_log_is_paginated_newest_first(app) {
        app.login_as_new("admin").await;
        for i in 0..60 {
            app.clock.advance(Duration::seconds(1));
            app.login_with(&new_client(), &format!("nobody{i}@example.com"), "wrong-password-123").await;
        }
        let first = app.get_html("/admin/events?kind=login.failed").await;
        assert!(first.contains("Page 1 of 2"));
        let newest = first.find("email:nobody59@example.com").unwrap();
        let older = first.find("email:nobody58@example.com").unwrap();
        assert!(newest < older, "newest first");
        let second = app.get_html("/admin/events?kind=login.failed&page=2").await;
        assert!(second.contains("email:nobody0@example.com"));
    }
}
