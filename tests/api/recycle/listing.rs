//! The profiles list (issue #9): the page head's green add button, the filters in the URL, a
//! table in its own region, row actions that name their row, and data that reads as words.

use crate::both_backends;
use crate::gateways::new_mid;
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;
use recoup::domain::recycle::ATTEMPTS;

use super::plain;

both_backends! {
    async fn the_list_names_each_row_action_and_filters_by_name_and_mid(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let b = new_mid(&app, "Store B", Provider::Test, &[]).await;
        let main = app.services.recycle.create(&Actor::system("test"), &plain("Main", &[a])).await.unwrap();
        let mut draft = plain("Backup plan", &[b]);
        for n in 3..=ATTEMPTS {
            draft.attempt_mut(n).skip = true;
        }
        let backup = app.services.recycle.create(&Actor::system("test"), &draft).await.unwrap();

        let list = app.get_page("/recycle-billing").await;
        assert_eq!(list.text(".page-head a.button.add[href='/recycle-billing/new']"), "+ Add profile");
        assert!(list.has("details.filter-panel:not([open]) form.filters[method=get][action='/recycle-billing']"), "collapsed while no filter is set");
        assert!(list.has(".table-wrap[role=region] table"));
        let main_row = format!("#recycle-{main}");
        assert_eq!(list.text(&format!("{main_row} a.icon-button[href='/recycle-billing/{main}/edit'] .sr-only")), "Edit Main", "the pencil names its row");
        assert_eq!(list.text(&format!("{main_row} a[href='/recycle-billing/new?from={main}']")), "Duplicate Main");
        assert_eq!(list.text(&format!("{main_row} button.danger")), "Delete Main…");
        assert_eq!(list.text(&format!("{main_row} td:nth-child(4)")), "all 10");
        let backup_row = format!("#recycle-{backup}");
        assert_eq!(list.text(&format!("{backup_row} td:nth-child(4)")), "attempts 1, 2");
        assert_eq!(list.texts(&format!("{backup_row} li")).len(), 1, "only the block that runs attempts: {:?}", list.texts(&format!("{backup_row} li")));
        assert_eq!(list.text("#recycle-table [role=status]"), "2 profiles match.");

        let by_name = app.get_page("/recycle-billing?q=BACK").await;
        assert!(by_name.has("details.filter-panel[open]"), "a set filter opens the panel");
        assert_eq!(by_name.value_of("q").as_deref(), Some("BACK"));
        assert!(by_name.has(&backup_row) && !by_name.has(&main_row));

        let by_mid = app.get_page(&format!("/recycle-billing?mid={a}")).await;
        assert_eq!(by_mid.selected("mid"), Some(a.to_string()));
        assert!(by_mid.has(&main_row) && !by_mid.has(&backup_row));

        let none = app.get_page(&format!("/recycle-billing?q=zzz&mid={b}")).await;
        assert!(none.text("#recycle-table tbody").contains("No profile matches"));
        assert_eq!(none.text("#recycle-table [role=status]"), "0 profiles match.");
    }
}
