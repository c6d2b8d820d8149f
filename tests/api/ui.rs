//! The UI conventions of docs/ui.md as HTTP tests (issue #9): every list has an Advanced
//! Filters panel that is collapsed until a filter is set and keeps its filters in the URL,
//! create actions are the one green "+ Add ...", row actions carry their row's name, sortable
//! headers carry `aria-sort`, and a failed form opens with a summary whose links reach fields.

use crate::both_backends;
use crate::gateways::{new_mid, profile_draft};
use recoup::domain::decline::{DeclineClass, MappingDraft};
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;

both_backends! {
    /// Routing profiles, roles and decline mappings: the panel is closed on a plain visit, open
    /// with a filter set, and the filter narrows the rows.
    async fn every_list_has_advanced_filters_kept_in_the_url(app) {
        app.login_as_new("admin").await;
        let actor = Actor::system("test");
        let mid = new_mid(&app, "Store A", Provider::Test, &[]).await;
        app.services.routing.create(&actor, &profile_draft("Main cascade", "cascade", &[mid])).await.unwrap();
        app.services.routing.create(&actor, &profile_draft("Spread", "atri", &[mid])).await.unwrap();
        for (code, class) in [("05", DeclineClass::Hard), ("51", DeclineClass::Soft)] {
            let draft = MappingDraft { provider: None, code: code.into(), text: String::new(), class };
            app.services.declines.create(&actor, &draft).await.unwrap();
        }

        for (plain, filtered, kept, dropped) in [
            ("/gateways/profiles", "/gateways/profiles?kind=atri", "Spread", "Main cascade"),
            ("/gateways/profiles", "/gateways/profiles?q=main", "Main cascade", "Spread"),
            ("/admin/roles", "/admin/roles?permission=customers.blacklist", "cs_admin", "cs_agent"),
            ("/gateways/decline-mapping", "/gateways/decline-mapping?class=soft", "51", "05"),
        ] {
            let page = app.get_page(plain).await;
            assert!(page.has("details.filter-panel:not([open]) > summary"), "{plain}: collapsed without a filter");
            let page = app.get_page(filtered).await;
            assert!(page.has("details.filter-panel[open] form.filters[method=get]"), "{filtered}: open with a filter set");
            let rows = page.text(".table-wrap table tbody");
            assert!(rows.contains(kept) && !rows.contains(dropped), "{filtered}: {rows}");
        }
        for list in ["/mids", "/admin/users", "/admin/events", "/recycle-billing"] {
            assert!(app.get_page(list).await.has("details.filter-panel > summary"), "{list} has the panel");
        }
    }
}

both_backends! {
    /// One green "+ Add ..." per list, a pencil named for its row, hidden names on row buttons,
    /// `aria-sort` on the sorted column.
    async fn lists_share_one_add_button_named_row_actions_and_aria_sort(app) {
        app.login_as_new("admin").await;
        let mid = new_mid(&app, "Store A", Provider::Test, &[]).await;
        for (list, add) in [
            ("/mids", "/mids/new"),
            ("/admin/users", "/admin/users/new"),
            ("/admin/roles", "/admin/roles/new"),
            ("/recycle-billing", "/recycle-billing/new"),
            ("/gateways/profiles", "/gateways/profiles/new?kind=cascade"),
        ] {
            let page = app.get_page(list).await;
            assert!(page.has(&format!(".page-head a.button.add[href='{add}']")), "{list}: green + Add");
            assert!(!page.has(".page-head .primary"), "{list}: no blue create button");
        }

        let page = app.get_page("/mids?sort=cap&dir=desc").await;
        assert_eq!(page.attr_of("th[aria-sort]", "aria-sort").as_deref(), Some("descending"));
        assert!(page.text("th[aria-sort]").contains("Monthly cap"));
        assert_eq!(page.all("th[aria-sort]").len(), 1, "only the sorted column says so");
        let pencil = page.text(&format!("#mid-{mid} a.icon-button .sr-only"));
        assert_eq!(pencil, "Edit Store A");
        assert_eq!(page.text(&format!("#toggle-{mid} .sr-only")), "Store A", "Disable Store A");
        assert!(page.has(&format!("#mid-{mid} form[hx-confirm*='Store A']")), "disabling a MID asks first");

        let users = app.get_page("/admin/users").await;
        for name in users.texts("table tbody td .small .sr-only") {
            assert!(!name.is_empty(), "every row button names its user");
        }
    }
}

both_backends! {
    /// The MID form after a failed save: a summary whose links are fields, described fields, and
    /// "Accepted payments" as a fieldset with a legend.
    async fn a_failed_mid_form_opens_with_a_summary_that_links_to_its_fields(app) {
        app.login_as_new("merchant").await;
        let response = app.post_form("/mids", &[("title", ""), ("provider", "")]).await;
        assert_eq!(response.status().as_u16(), 422);
        let page = crate::helpers::page_of(response).await;
        assert!(page.has("#error-summary[tabindex='-1'][autofocus]"), "the summary takes focus");
        let links: Vec<String> = page
            .all("#error-summary a")
            .iter()
            .filter_map(|a| a.attr("href").map(str::to_owned))
            .collect();
        assert_eq!(links, ["#title", "#provider"]);
        for link in &links {
            assert!(page.has(link), "{link} is an element of the page");
        }
        assert_eq!(page.attr_of("#title", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(page.attr_of("#title", "aria-describedby").as_deref(), Some("title-error"));
        assert!(page.has("#title-error"));
        assert!(page.text("fieldset#accepts > legend").contains("Accepted payments"));
    }
}

both_backends! {
    /// The browser's `/favicon.ico` is answered, not a 404, signed in or not.
    async fn the_favicon_is_served(app) {
        let response = app.get("/favicon.ico").await;
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..4], [0, 0, 1, 0], "an ICO file");
    }
}
