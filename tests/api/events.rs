//! `/admin/events`: the event log page (SPEC R-AU-5).

use crate::both_backends;
use crate::gateways::{new_mid, profile_draft};
use crate::helpers::{Page, TestApp};
use chrono::Duration;
use recoup::domain::decline::{DeclineClass, MappingDraft};
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;
use recoup::domain::recycle::RecycleDraft;
use recoup::domain::user::RoleDraft;

/// The stored kind of each event row (the badge shows its phrase).
fn kinds(page: &Page) -> Vec<String> {
    page.all("table.events td .badge[data-kind]")
        .iter()
        .filter_map(|b| b.attr("data-kind"))
        .map(str::to_owned)
        .collect()
}

/// Each event row of the log as (who, what, subject, subject link).
fn rows(page: &Page) -> Vec<(String, String, String, Option<String>)> {
    page.all("table.events > tbody > tr")
        .iter()
        .filter(|tr| {
            tr.select(&scraper::Selector::parse("td.subject").unwrap())
                .next()
                .is_some()
        })
        .map(|tr| {
            let one = |sel: &str| tr.select(&scraper::Selector::parse(sel).unwrap()).next();
            let text = |sel: &str| {
                one(sel)
                    .map(|e| {
                        e.text()
                            .collect::<String>()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default()
            };
            (
                text("td.who"),
                text("td .badge"),
                text("td.subject"),
                one("td.subject a")
                    .and_then(|a| a.attr("href"))
                    .map(str::to_owned),
            )
        })
        .collect()
}

fn actor() -> Actor {
    Actor::system("test")
}

async fn new_role(app: &TestApp, name: &str) -> recoup::domain::ids::RoleId {
    let draft = RoleDraft::parse(name, "", &["events.view".to_owned()]).unwrap();
    app.services.roles.create(&actor(), &draft).await.unwrap()
}

async fn new_mapping(app: &TestApp, code: &str, text: &str) -> recoup::domain::ids::MappingId {
    let draft = MappingDraft {
        provider: None,
        code: code.into(),
        text: text.into(),
        class: DeclineClass::Soft,
    };
    app.services
        .declines
        .create(&actor(), &draft)
        .await
        .unwrap()
}

both_backends! {
    async fn logins_and_admin_changes_appear_in_the_log_with_filters(app) {
        app.create_user("ann@example.com", "Ann", "admin").await;
        app.login("ann@example.com", "wrong-password-123").await;
        app.clock.advance(Duration::days(1));
        app.login("ann@example.com", PASSWORD).await;
        app.post_form("/admin/roles", &[("name", "auditor"), ("permissions", "events.view")]).await;

        let all = kinds(&app.get_page("/admin/events").await);
        for kind in ["login.failed", "login.succeeded", "role.created", "user.created"] {
            assert!(all.iter().any(|k| k == kind), "{kind} is in the log: {all:?}");
        }
        let failed = app.get_page("/admin/events?kind=login.failed").await;
        assert!(kinds(&failed).iter().all(|k| k == "login.failed") && !kinds(&failed).is_empty());
        assert!(failed.has("details.filter-panel[open]"), "a set filter opens the filter panel");
        assert_eq!(failed.selected("kind").as_deref(), Some("login.failed"));
        assert!(failed.texts("table.events tbody tr").iter().any(|row| row.contains("wrong password")), "the reason is logged");

        let ann = app.services.users.list(Some("ann@"), recoup::domain::page::PageRequest::new(None, 5)).await.unwrap().items.remove(0);
        let by_ann = kinds(&app.get_page(&format!("/admin/events?user={}", ann.email)).await);
        assert!(by_ann.iter().any(|k| k == "role.created"), "{by_ann:?}");
        assert!(!by_ann.iter().any(|k| k == "login.failed"), "failed logins have no signed-in actor");

        let nobody = app.get_page("/admin/events?user=nobody%40example.com").await;
        assert!(kinds(&nobody).is_empty(), "an unknown user acted on nothing");
        assert_eq!(nobody.field_error("user").as_deref(), Some("No user has this email address."));

        let first_day = kinds(&app.get_page("/admin/events?from=2026-11-02&until=2026-11-02").await);
        assert!(first_day.iter().any(|k| k == "login.failed") && !first_day.iter().any(|k| k == "login.succeeded"), "{first_day:?}");
        let next_day = kinds(&app.get_page("/admin/events?from=2026-11-03").await);
        assert!(next_day.iter().any(|k| k == "login.succeeded") && !next_day.iter().any(|k| k == "login.failed"), "{next_day:?}");
    }
}

both_backends! {
    async fn bad_filters_are_explained_not_fatal(app) {
        app.login_as_new("admin").await;
        let response = app.get("/admin/events?from=yesterday&kind=nonsense&user=abc&before=-3").await;
        assert_eq!(response.status().as_u16(), 200);
        let page = page_of(response).await;
        assert_eq!(page.fields_with_errors(), ["user", "kind", "from"]);
        for field in ["user", "kind", "from"] {
            let input = format!("#{field}");
            assert_eq!(page.attr_of(&input, "aria-invalid").as_deref(), Some("true"), "{field}");
            assert_eq!(page.attr_of(&input, "aria-describedby"), Some(format!("{field}-error")), "{field}");
        }
        assert!(page.has("details.filter-panel[open]"));
    }
}

both_backends! {
    async fn the_log_is_paginated_newest_first(app) {
        app.login_as_new("admin").await;
        for i in 0..60 {
            app.clock.advance(Duration::seconds(1));
            app.login_with(&new_client(), &format!("nobody{i}@example.com"), "wrong-password-123").await;
        }
        let subjects = |page: &Page| page.texts("table.events td.subject");
        let first = app.get_page("/admin/events?kind=login.failed").await;
        assert!(first.has("nav.pager a[rel=next]") && !first.has("nav.pager a[rel=prev]"), "page 1");
        let on_first = subjects(&first);
        let at = |email: &str| on_first.iter().position(|s| s == email);
        assert!(at("nobody59@example.com").unwrap() < at("nobody58@example.com").unwrap(), "newest first");
        // Keyset paging: "Older" carries the last event of this page; no page numbers, no OFFSET.
        let older = first.attr_of("nav.pager a[rel=next]", "href").unwrap();
        assert!(older.contains("kind=login.failed") && older.contains("before="), "{older}");
        let second = app.get_page(&older).await;
        assert!(second.has("nav.pager a[rel=first]") && !second.has("nav.pager a[rel=next]"), "two pages in all");
        let on_second = subjects(&second);
        assert!(on_second.contains(&"nobody0@example.com".to_owned()), "the oldest is last");
        assert_eq!(on_first.len() + on_second.len(), 60, "every event once, none twice");
        assert!(on_second.iter().all(|s| !on_first.contains(s)));
        assert!(second.text("nav.pager").contains("60 in all"));
        // A cursor that names no event starts at the newest, as a page number once did.
        let nonsense = app.get_page("/admin/events?kind=login.failed&before=abc").await;
        assert_eq!(subjects(&nonsense), on_first);
    }
}

both_backends! {
    /// Issue #9: a row names its record and links to it, says when the record is gone, and
    /// reads its kind and a system actor as phrases.
    async fn event_rows_name_their_records_in_words(app) {
        app.services.seed_demo().await.unwrap();
        app.login_as_new("admin").await;
        let kept = new_mid(&app, "Kept Store", Provider::Test, &[]).await;
        let gone = new_mid(&app, "Gone Store", Provider::Test, &[]).await;
        app.services.mids.delete(&actor(), gone).await.unwrap();
        let role = new_role(&app, "auditor").await;
        let mapping = new_mapping(&app, "05", "Do not honor").await;
        let routing = app.services.routing.create(&actor(), &profile_draft("Weekend cascade", "cascade", &[kept])).await.unwrap();
        let recycle = app.services.recycle.create(&actor(), &RecycleDraft { name: "Main salvage".into(), apply_to: vec![kept], ..RecycleDraft::blank() }).await.unwrap();
        let ann = app.create_user("ann@example.com", "Ann Example", "merchant").await;

        let page = app.get_page("/admin/events").await;
        assert_eq!(page.text("h1"), "Event log");
        assert!(page.has(".page-head h1") && page.has("details.filter-panel:not([open]) form.filters"), "the filters fold away when none is set");
        assert!(page.has(".table-wrap[role=region] table.events"));
        let rows = rows(&page);
        let row_of = |what: &str, subject: &str| rows.iter().find(|r| r.1 == what && r.2 == subject).unwrap_or_else(|| panic!("no {what} / {subject} row in {rows:#?}"));

        assert_eq!(row_of("MID created", "Kept Store").3, Some(format!("/mids/{kept}/edit")));
        let deleted = format!("MID #{gone} (deleted)");
        assert_eq!(row_of("MID created", &deleted).3, None, "a deleted record is not linked");
        assert_eq!(row_of("MID deleted", &deleted).3, None);
        assert_eq!(row_of("Role created", "auditor").3, Some(format!("/admin/roles/{role}")));
        assert_eq!(row_of("Decline mapping created", "05 Do not honor").3, Some(format!("/gateways/decline-mapping/{mapping}/edit")));
        assert_eq!(row_of("Routing profile created", "Weekend cascade").3, Some(format!("/gateways/profiles/{routing}")));
        assert_eq!(row_of("Recycle profile created", "Main salvage").3, Some(format!("/recycle-billing/{recycle}/edit")));
        assert_eq!(row_of("User created", "Ann Example").3, Some(format!("/admin/users/{}", ann.id)));
        assert_eq!(row_of("User created", "Ann Example").0, "test", "an unknown system actor shows as stored");

        let demo = rows.iter().filter(|r| r.0 == "demo data").count();
        assert!(demo >= 4, "the seeding reads as demo data: {rows:#?}");
        assert!(!page.text("table.events").contains("mid:") && !page.text("table.events").contains("recycle_profile."), "no stored keys shown");
        assert!(!rows.iter().any(|r| r.0 == "demo"), "the raw actor key is not shown");

        let options = page.texts("select#kind option");
        assert!(options.contains(&"Recycle profile created".to_owned()) && options.contains(&"Sign-in failed".to_owned()), "{options:?}");
        assert!(page.has("select#kind option[value='recycle_profile.created']"), "option values stay the keys");

        // The record's current name, whatever it was called when the event was written.
        let mid = app.services.mids.find(kept).await.unwrap();
        let mut form = recoup::web::mids::MidForm { title: "Renamed Store".into(), provider: "test".into(), ..Default::default() };
        form.enabled = mid.enabled.then(|| "on".to_owned());
        app.services.mids.update(&actor(), kept, &form.draft(true).unwrap()).await.unwrap();
        let rows = crate::events::rows(&app.get_page("/admin/events?kind=mid.created").await);
        assert!(rows.iter().any(|r| r.2 == "Renamed Store"), "{rows:#?}");

        // Before and after read field by field; the stored JSON stays beside them.
        let updated = app.get_page("/admin/events?kind=mid.updated").await;
        let changes = updated.texts("table.changes tbody tr");
        assert!(changes.iter().any(|c| c.contains("title") && c.contains("Kept Store") && c.contains("Renamed Store")), "{changes:?}");
        assert!(!changes.iter().any(|c| c.starts_with("provider")), "an unchanged field is not listed: {changes:?}");
        assert!(updated.texts("table.events pre").iter().any(|j| j.contains(r#""title":"Renamed Store""#)));
    }
}

both_backends! {
    /// The links follow the viewer's permissions: an auditor reads the log but cannot open MIDs.
    async fn subjects_link_only_to_pages_the_viewer_may_open(app) {
        let mid = new_mid(&app, "Private Store", Provider::Test, &[]).await;
        new_role(&app, "auditor").await;
        app.create_user("aud@example.com", "Aud", "auditor").await;
        app.login("aud@example.com", PASSWORD).await;
        let rows = rows(&app.get_page("/admin/events?kind=mid.created").await);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].2, "Private Store", "named");
        assert_eq!(rows[0].3, None, "not linked to /mids/{mid}/edit, which the auditor may not open");
    }
}

both_backends! {
    /// A full page of 50 events about every kind of record, some deleted, names every row right.
    /// The page is two queries whatever its size (`db::events::list`: the page with a LEFT JOIN
    /// per record kind on the primary key, and its total), so this checks the joins, not a loop.
    async fn a_full_page_of_mixed_subjects_names_every_row(app) {
        let admin = app.login_as_new("admin").await;
        let base = new_mid(&app, "Base", Provider::Test, &[]).await;
        let mut expected: Vec<(String, Option<String>)> = vec![
            ("Test admin".into(), Some(format!("/admin/users/{}", admin.id))),
            ("Base".into(), Some(format!("/mids/{base}/edit"))),
        ];
        for i in 0..8 {
            let title = format!("Store {i}");
            let id = new_mid(&app, &title, Provider::Test, &[]).await;
            if i % 3 == 0 {
                app.services.mids.delete(&actor(), id).await.unwrap();
                expected.push((format!("MID #{id} (deleted)"), None));
            } else {
                expected.push((title, Some(format!("/mids/{id}/edit"))));
            }
        }
        for i in 0..6 {
            let name = format!("role{i}");
            let id = new_role(&app, &name).await;
            if i % 2 == 0 {
                app.services.roles.delete(&actor(), id).await.unwrap();
                expected.push((format!("Role #{id} (deleted)"), None));
            } else {
                expected.push((name, Some(format!("/admin/roles/{id}"))));
            }
        }
        for i in 0..6 {
            let id = new_mapping(&app, &format!("{i}{i}"), &format!("Reason {i}")).await;
            if i == 5 {
                app.services.declines.delete(&actor(), id).await.unwrap();
                expected.push((format!("Decline mapping #{id} (deleted)"), None));
            } else {
                expected.push((format!("{i}{i} Reason {i}"), Some(format!("/gateways/decline-mapping/{id}/edit"))));
            }
        }
        for i in 0..6 {
            let name = format!("Salvage {i}");
            let store = format!("Salvaged store {i}");
            let mid = new_mid(&app, &store, Provider::Test, &[]).await;
            expected.push((store, Some(format!("/mids/{mid}/edit"))));
            let id = app.services.recycle.create(&actor(), &RecycleDraft { name: name.clone(), apply_to: vec![mid], ..RecycleDraft::blank() }).await.unwrap();
            if i == 0 {
                app.services.recycle.delete(&actor(), id).await.unwrap();
                expected.push((format!("Recycle profile #{id} (deleted)"), None));
            } else {
                expected.push((name, Some(format!("/recycle-billing/{id}/edit"))));
            }
        }
        for i in 0..6 {
            let name = format!("Cascade {i}");
            let id = app.services.routing.create(&actor(), &profile_draft(&name, "cascade", &[base])).await.unwrap();
            expected.push((name, Some(format!("/gateways/profiles/{id}"))));
        }
        for i in 0..8 {
            let user = app.create_user(&format!("u{i}@example.com"), &format!("User {i}"), "merchant").await;
            expected.push((format!("User {i}"), Some(format!("/admin/users/{}", user.id))));
        }

        let total = app.services.events.list(&Default::default(), recoup::domain::page::KeysetRequest { after: None, size: 1 }).await.unwrap().total;
        assert!(total > 50, "more than a page: {total}");
        let page = app.get_page("/admin/events").await;
        let rows = rows(&page);
        assert_eq!(rows.len(), 50, "a full page");
        for (who, what, subject, href) in &rows {
            assert!(!who.is_empty() && !what.contains('.'), "{who} / {what}");
            let known = expected.iter().any(|(name, link)| name == subject && link == href);
            assert!(known, "row {what} / {subject} / {href:?} does not match its record");
        }
        for noun in ["MID #", "Role #", "Decline mapping #", "Recycle profile #"] {
            assert!(rows.iter().any(|r| r.2.starts_with(noun) && r.2.ends_with("(deleted)")), "a deleted {noun} row on the page");
        }
        for link in ["/mids/", "/admin/roles/", "/gateways/decline-mapping/", "/recycle-billing/", "/admin/users/"] {
            assert!(rows.iter().any(|r| r.3.as_deref().is_some_and(|h| h.starts_with(link))), "a linked {link} row on the page");
        }
    }
}
