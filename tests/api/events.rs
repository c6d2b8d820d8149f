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

        let all = app.get_page("/admin/events").await.event_kinds();
        for kind in ["login.failed", "login.succeeded", "role.created", "user.created"] {
            assert!(all.iter().any(|k| k == kind), "{kind} is in the log: {all:?}");
        }
        let failed = app.get_page("/admin/events?kind=login.failed").await;
        assert!(failed.event_kinds().iter().all(|k| k == "login.failed") && !failed.event_kinds().is_empty());
        assert!(failed.texts("table.events tbody tr").iter().any(|row| row.contains("wrong password")), "the reason is logged");

        let ann = app.services.users.list(Some("ann@"), recoup::domain::page::PageRequest::new(None, 5)).await.unwrap().items.remove(0);
        let by_ann = app.get_page(&format!("/admin/events?user={}", ann.id)).await.event_kinds();
        assert!(by_ann.iter().any(|k| k == "role.created"), "{by_ann:?}");
        assert!(!by_ann.iter().any(|k| k == "login.failed"), "failed logins have no signed-in actor");

        let first_day = app.get_page("/admin/events?from=2026-11-02&until=2026-11-02").await.event_kinds();
        assert!(first_day.iter().any(|k| k == "login.failed") && !first_day.iter().any(|k| k == "login.succeeded"), "{first_day:?}");
        let next_day = app.get_page("/admin/events?from=2026-11-03").await.event_kinds();
        assert!(next_day.iter().any(|k| k == "login.succeeded") && !next_day.iter().any(|k| k == "login.failed"), "{next_day:?}");
    }
}

both_backends! {
    async fn bad_filters_are_explained_not_fatal(app) {
        app.login_as_new("admin").await;
        let response = app.get("/admin/events?from=yesterday&kind=nonsense&user=abc&page=-3").await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(page_of(response).await.fields_with_errors(), ["user", "kind", "from"]);
    }
}

both_backends! {
    async fn the_log_is_paginated_newest_first(app) {
        app.login_as_new("admin").await;
        for i in 0..60 {
            app.clock.advance(Duration::seconds(1));
            app.login_with(&new_client(), &format!("nobody{i}@example.com"), "wrong-password-123").await;
        }
        let subjects = |page: &Page| page.texts("table.events tbody tr td:nth-child(4)");
        let first = app.get_page("/admin/events?kind=login.failed").await;
        assert!(first.has("nav.pager a[rel=next]") && !first.has("nav.pager a[rel=prev]"), "page 1");
        let on_first = subjects(&first);
        let at = |email: &str| on_first.iter().position(|s| *s == format!("email:{email}"));
        assert!(at("nobody59@example.com").unwrap() < at("nobody58@example.com").unwrap(), "newest first");
        let second = app.get_page("/admin/events?kind=login.failed&page=2").await;
        assert!(second.has("nav.pager a[rel=prev]") && !second.has("nav.pager a[rel=next]"), "two pages in all");
        assert!(subjects(&second).contains(&"email:nobody0@example.com".to_owned()), "the oldest is last");
    }
}
