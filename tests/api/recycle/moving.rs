//! Apply to Merchants when a MID is in another profile (R-RB-1): it is shown disabled with a
//! link to that profile, and "Move here" moves it (after a confirmation naming both profiles)
//! in one logged change, under the rules both profiles are saved under.

use crate::both_backends;
use crate::gateways::new_mid;
use crate::helpers::TestApp;
use recoup::domain::event::{Actor, Subject};
use recoup::domain::ids::{MidId, RecycleProfileId};
use recoup::domain::page::KeysetRequest;
use recoup::domain::provider::Provider;

use super::{create, plain, refs};

struct Setup {
    a: MidId,
    b: MidId,
    c: MidId,
    flexpay: MidId,
    /// Holds A and B.
    main: RecycleProfileId,
    /// Holds C.
    other: RecycleProfileId,
}

async fn setup(app: &TestApp) -> Setup {
    let a = new_mid(app, "Store A", Provider::Test, &[]).await;
    let b = new_mid(app, "Store B", Provider::Test, &[]).await;
    let c = new_mid(app, "Store C", Provider::Test, &[]).await;
    let flexpay = new_mid(app, "FlexPay MID", Provider::FlexPay, &[]).await;
    let main = create(app, &plain("Main", &[a, b])).await.unwrap();
    let other = create(app, &plain("Other", &[c])).await.unwrap();
    Setup {
        a,
        b,
        c,
        flexpay,
        main,
        other,
    }
}

async fn apply_to(app: &TestApp, id: RecycleProfileId) -> Vec<MidId> {
    app.services
        .recycle
        .find(id)
        .await
        .unwrap()
        .profile
        .apply_to
}

both_backends! {
    async fn a_mid_in_another_profile_is_disabled_and_links_to_it(app) {
        app.login_as_new("merchant").await;
        let s = setup(&app).await;
        let edit = app.get_page(&format!("/recycle-billing/{}/edit", s.other)).await;
        let held = format!("#mid-{}", s.a);
        assert!(edit.attr_of(&held, "disabled").is_some(), "it cannot be ticked");
        assert_eq!(edit.attr_of(&held, "aria-describedby"), Some(format!("mid-{}-why", s.a)), "the reason describes it");
        let why = edit.text(&format!("#mid-{}-why", s.a));
        assert!(why.contains("in profile “Main”") && why.contains("edit that profile"), "{why}");
        assert_eq!(edit.attr_of(&format!("#mid-{}-why a", s.a), "href"), Some(format!("/recycle-billing/{}/edit", s.main)));
        let mover = format!("#mid-list button[name=move_mid][value='{}']", s.a);
        assert_eq!(edit.attr_of(&mover, "formaction"), Some(format!("/recycle-billing/{}/move", s.other)));
        assert!(edit.text(&mover).starts_with("Move here"));
        assert!(edit.attr_of(&format!("#mid-{}", s.c), "disabled").is_none() && edit.is_checked(&format!("#mid-{}", s.c)), "its own MID is free to untick");

        // A new profile when every MID is taken: the editor still works and says why.
        app.services.recycle.create(&Actor::system("test"), &plain("Third", &[new_mid(&app, "Store D", Provider::Test, &[]).await])).await.unwrap();
        let response = app.get("/recycle-billing/new").await;
        assert_eq!(response.status().as_u16(), 200);
        let fresh = page_of(response).await;
        assert!(fresh.all("#mid-list input[name=mids]").iter().all(|i| i.attr("disabled").is_some()));
        assert!(fresh.has("#mid-list [id$='-why'] a[href$='/edit']"), "each links to its profile");
        assert!(!fresh.has("#mid-list button[name=move_mid]"), "an unsaved profile has no here to move to");
        assert!(fresh.has("#mids a[href='/mids/new']"), "and a way on: add a MID");
        assert!(fresh.text("#mids").contains("No MID is free"));
    }
}

both_backends! {
    async fn r_rb_1_moving_a_mid_asks_naming_both_profiles_then_moves_it_in_one_logged_change(app) {
        app.login_as_new("merchant").await;
        let s = setup(&app).await;
        let path = format!("/recycle-billing/{}/move", s.other);
        let a = s.a.to_string();

        // The editor's button posts the whole form: the question comes first, and names both.
        let edit = app.get_page(&format!("/recycle-billing/{}/edit", s.other)).await;
        let mut editor_fields: Vec<(String, String)> = vec![("name".into(), "Other (renamed)".into()), ("move_mid".into(), a.clone())];
        editor_fields.push(("editing".into(), edit.value_of("editing").unwrap()));
        // The rest of the editor's values come along too, repeated keys and all.
        editor_fields.extend([("mids".into(), s.c.to_string()), ("mids".into(), s.c.to_string()), ("skip_3".into(), "on".into()), ("touched".into(), "name".into())]);
        let ask = app.post_form(&path, &refs(&editor_fields)).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = page_of(ask).await;
        let heading = ask.text("h1");
        assert!(heading.contains("Store A") && heading.contains("“Main”") && heading.contains("“Other”"), "{heading}");
        assert!(ask.has("#unsaved-note"), "changes the move does not save are pointed out");
        assert!(ask.has(&format!("form[action='{path}'] input[name=confirm][value=yes]")));
        assert_eq!(ask.value_of("move_mid"), Some(a.clone()));
        assert_eq!(apply_to(&app, s.main).await, [s.a, s.b], "asking moves nothing");

        let done = app.post_form(&path, &[("move_mid", &a), ("confirm", "yes")]).await;
        assert_redirects_to(&done, &format!("/recycle-billing/{}/edit", s.other));
        assert_eq!(apply_to(&app, s.main).await, [s.b]);
        assert_eq!(apply_to(&app, s.other).await, [s.a, s.c]);
        assert_eq!(app.services.recycle.find(s.other).await.unwrap().profile.name, "Other", "only the MIDs change");
        let after = app.get_page(&format!("/recycle-billing/{}/edit", s.other)).await;
        assert!(after.flash_success().unwrap_or_default().contains("Store A"));
        assert!(after.is_checked(&format!("#mid-{}", s.a)));

        let log = app.services.events.list(&Default::default(), KeysetRequest { after: None, size: 100 }).await.unwrap();
        for profile in [s.main, s.other] {
            let event = log.items.iter().find(|e| e.kind == "recycle_profile.updated" && e.subject == Subject::RecycleProfile(profile));
            assert!(event.is_some(), "profile {profile}'s update is logged");
        }
    }
}

both_backends! {
    async fn a_move_is_refused_to_whom_the_save_is_and_where_a_rule_breaks(app) {
        let s = setup(&app).await;
        let path = format!("/recycle-billing/{}/move", s.other);

        // Without the permission: the guard answers before anything moves.
        app.create_user("agent@example.com", "Agent", "cs_agent").await;
        let agent = new_client();
        app.login_with(&agent, "agent@example.com", PASSWORD).await;
        let home = agent.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        let token = csrf_in(&home);
        let denied = agent
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str()), ("move_mid", &s.a.to_string()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status().as_u16(), 403);
        assert_eq!(apply_to(&app, s.main).await, [s.a, s.b]);

        app.login_as_new("merchant").await;
        // R-RB-2: a salvage-only MID joins no Apply to Merchants, moved or not.
        let salvage = app.post_form(&path, &[("move_mid", &s.flexpay.to_string()), ("confirm", "yes")]).await;
        assert_eq!(salvage.status().as_u16(), 422);
        let refused = page_of(salvage).await;
        assert!(refused.text("ul").contains("salvage-only"), "{}", refused.text("ul"));
        assert!(!refused.has("input[name=confirm]"), "nothing to confirm");
        assert_eq!(apply_to(&app, s.other).await, [s.c]);

        // R-RB-5: the profile it leaves keeps at least one MID.
        let back = format!("/recycle-billing/{}/move", s.main);
        let only = app.post_form(&back, &[("move_mid", &s.c.to_string())]).await;
        assert_eq!(only.status().as_u16(), 422);
        assert!(page_of(only).await.text("ul").contains("“Other” would have no MID left"));
        let forced = app.post_form(&back, &[("move_mid", &s.c.to_string()), ("confirm", "yes")]).await;
        assert_eq!(forced.status().as_u16(), 422, "confirming does not skip the check");
        assert_eq!(apply_to(&app, s.other).await, [s.c]);

        // Already here, no such MID, no such profile, no MID at all.
        assert_eq!(app.post_form(&path, &[("move_mid", &s.c.to_string()), ("confirm", "yes")]).await.status().as_u16(), 422);
        assert_eq!(app.post_form(&path, &[("move_mid", "424242"), ("confirm", "yes")]).await.status().as_u16(), 422);
        assert_eq!(app.post_form("/recycle-billing/999999/move", &[("move_mid", &s.a.to_string()), ("confirm", "yes")]).await.status().as_u16(), 404);
        assert_eq!(app.post_form(&path, &[("move_mid", "one"), ("confirm", "yes")]).await.status().as_u16(), 400);
        assert_eq!(apply_to(&app, s.main).await, [s.a, s.b], "nothing moved");
    }
}
