//! Gateways page, routing profiles and decline mapping (R-GW-3, R-GW-6 configuration).

use crate::both_backends;
use crate::helpers::TestApp;
use recoup::domain::decline::MappingDraft;
use recoup::domain::decline::{DeclineClass, GatewayResponse};
use recoup::domain::event::Actor;
use recoup::domain::ids::{MappingId, MidId, ProfileId};
use recoup::domain::provider::Provider;
use recoup::domain::routing::ProfileDraft;
use recoup::services::routing::ProfileError;
use recoup::web::gateways::ProfileForm;
use recoup::web::mids::MidForm;

/// A MID, a cascade profile holding it and a decline mapping, for tests that need ids.
pub struct Fixtures {
    pub mid: MidId,
    pub profile: ProfileId,
    pub mapping: MappingId,
    pub recycle: recoup::domain::ids::RecycleProfileId,
}

impl Fixtures {
    pub async fn new(app: &TestApp) -> Self {
        let actor = Actor::system("test");
        let mid = new_mid(app, "Fixture MID", Provider::Test, &[]).await;
        let profile = app
            .services
            .routing
            .create(&actor, &profile_draft("Fixture cascade", "cascade", &[mid]))
            .await
            .unwrap();
        let draft = MappingDraft {
            provider: None,
            code: "05".into(),
            text: String::new(),
            class: DeclineClass::Hard,
        };
        let mapping = app.services.declines.create(&actor, &draft).await.unwrap();
        let store = new_mid(app, "Fixture store", Provider::Test, &[]).await;
        let recycle = recoup::domain::recycle::RecycleDraft {
            name: "Fixture salvage".into(),
            apply_to: vec![store],
            ..recoup::domain::recycle::RecycleDraft::blank()
        };
        let recycle = app.services.recycle.create(&actor, &recycle).await.unwrap();
        Self {
            mid,
            profile,
            mapping,
            recycle,
        }
    }
}

/// Creates a MID through the service with every required credential filled.
pub async fn new_mid(
    app: &TestApp,
    title: &str,
    provider: Provider,
    extra: &[(&str, &str)],
) -> MidId {
    let mut form = MidForm {
        title: title.into(),
        provider: provider.key().into(),
        enabled: Some("on".into()),
        ..MidForm::default()
    };
    for f in provider.credential_fields() {
        form.extra.insert(
            format!("cred_{}", f.key),
            format!("{}-secret-value-{}", f.key, title.len()),
        );
    }
    for (k, v) in extra {
        match *k {
            "cascade_all" => form.cascade_all = Some((*v).into()),
            "expiry_days" => form.expiry_days = (*v).into(),
            other => panic!("unknown extra {other}"),
        }
    }
    let draft = form.draft(false).unwrap();
    app.services
        .mids
        .create(&Actor::system("test"), &draft)
        .await
        .unwrap()
}

pub fn profile_draft(name: &str, kind: &str, mids: &[MidId]) -> ProfileDraft {
    let mut form = ProfileForm {
        name: name.into(),
        kind: kind.into(),
        ..ProfileForm::default()
    };
    for (i, m) in mids.iter().enumerate() {
        form.rows.insert(format!("include_{m}"), "on".into());
        form.rows.insert(format!("weight_{m}"), "1".into());
        form.rows
            .insert(format!("position_{m}"), (i + 1).to_string());
    }
    form.draft(mids).unwrap()
}

both_backends! {
    async fn the_gateways_page_offers_each_provider_with_its_hints(app) {
        app.login_as_new("merchant").await;
        let page = app.get_page("/gateways").await;
        for provider in [Provider::Test, Provider::FlexPay, Provider::FlexFactor, Provider::FlexEcom] {
            let card = format!("#gateway-{}", provider.key());
            assert_eq!(page.text(&format!("{card} h2")), provider.label());
            assert!(page.has(&format!("{card} a[href='/mids/new?provider={}']", provider.key())), "{card} links to its activation form");
            assert_eq!(page.has(&format!("{card} p.muted")), provider.is_salvage_only(), "{card}: salvage-only is marked");
        }
        let notes = page.texts(".notes p");
        assert!(notes.iter().any(|n| n.contains("salvage only")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("FlexFactor") && n.contains("IP address")), "{notes:?}");
    }
}

both_backends! {
    /// R-GW-3: salvage-only MIDs never sit in an ATRI gateway profile; cascade profiles may hold them.
    async fn r_gw_3_salvage_only_mids_cannot_be_in_an_atri_profile(app) {
        let actor = Actor::system("test");
        let test = new_mid(&app, "Main", Provider::Test, &[]).await;
        let flex = new_mid(&app, "Rescue desk", Provider::FlexPay, &[]).await;
        let err = app.services.routing.create(&actor, &profile_draft("Split", "atri", &[test, flex])).await.unwrap_err();
        let ProfileError::Invalid(errors) = err else { panic!("expected a field error") };
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["members"]);
        assert!(errors.get("members").unwrap().contains("Rescue desk"), "the MID is named");
        assert!(app.services.routing.list().await.unwrap().is_empty(), "nothing saved");
        app.services.routing.create(&actor, &profile_draft("Split", "atri", &[test])).await.unwrap();
        app.services.routing.create(&actor, &profile_draft("Rescue", "cascade", &[test, flex])).await.unwrap();
    }
}

both_backends! {
    async fn profiles_are_built_through_the_form_with_weights_checked(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Alpha", Provider::Test, &[]).await;
        let b = new_mid(&app, "Beta", Provider::Test, &[]).await;
        let flex = new_mid(&app, "Flexy", Provider::FlexFactor, &[]).await;
        let form = app.get_page("/gateways/profiles/new?kind=atri").await;
        assert_eq!(form.value_of("kind").as_deref(), Some("atri"));
        assert!(form.has(&format!("input[name=weight_{a}]")) && !form.has(&format!("input[name=position_{a}]")), "weights, not positions");

        let (ia, ib, iflex) = (format!("include_{a}"), format!("include_{b}"), format!("include_{flex}"));
        let (wa, wb, wflex) = (format!("weight_{a}"), format!("weight_{b}"), format!("weight_{flex}"));
        let bad = app.post_form("/gateways/profiles", &[("name", ""), ("kind", "atri"), (&ia, "on"), (&wa, "1.5"), (&ib, "on"), (&wb, "-2")]).await;
        assert_eq!(bad.status().as_u16(), 422);
        assert_eq!(page_of(bad).await.fields_with_errors(), ["name", "weights"]);

        let salvage = app.post_form("/gateways/profiles", &[("name", "Split"), ("kind", "atri"), (&ia, "on"), (&wa, "2"), (&iflex, "on"), (&wflex, "1")]).await;
        assert_eq!(salvage.status().as_u16(), 422);
        let salvage = page_of(salvage).await;
        assert_eq!(salvage.fields_with_errors(), ["members"]);
        assert!(salvage.field_error("members").unwrap().contains("Flexy"), "the MID is named");

        let ok = app.post_form("/gateways/profiles", &[("name", "Split"), ("kind", "atri"), (&ia, "on"), (&wa, "2"), (&ib, "on"), (&wb, "1")]).await;
        assert_redirects_to(&ok, "/gateways/profiles");
        let profile = app.services.routing.list().await.unwrap().remove(0);
        assert_eq!(profile.members.iter().map(|m| (m.mid_title.as_str(), m.weight)).collect::<Vec<_>>(), [("Alpha", 2), ("Beta", 1)]);
        let list = app.get_page("/gateways/profiles").await;
        assert_eq!(list.text(&format!("#profile-{} td:first-child", profile.id)), "Split");
        assert_eq!(list.texts(&format!("#profile-{} li", profile.id)).len(), 2);
        let row = app.get_page("/mids").await.text(&format!("#mid-{a}"));
        assert!(row.contains("Split"), "the MID list says which profile uses a MID: {row}");

        let dup = app.post_form("/gateways/profiles", &[("name", "split"), ("kind", "atri"), (&ia, "on"), (&wa, "1")]).await;
        assert_eq!(page_of(dup).await.fields_with_errors(), ["name"], "names are unique whatever the case");
        let none = app.post_form("/gateways/profiles", &[("name", "Empty"), ("kind", "cascade")]).await;
        assert_eq!(page_of(none).await.fields_with_errors(), ["members"]);
    }
}

both_backends! {
    async fn a_mid_used_by_a_profile_cannot_be_deleted_and_the_page_says_by_what(app) {
        app.login_as_new("merchant").await;
        let fixtures = Fixtures::new(&app).await;
        let ask = app.post_form(&format!("/mids/{}/delete", fixtures.mid), &[("confirm", "yes")]).await;
        let blocked = page_of(ask).await;
        let blockers = blocked.texts("section ul li");
        assert!(blockers.iter().any(|b| b.contains("Fixture cascade")), "{blockers:?}");
        assert!(blocked.value_of("confirm").is_none(), "no way to confirm the delete");
        assert!(app.services.mids.find(fixtures.mid).await.is_ok());

        app.post_form(&format!("/gateways/profiles/{}/delete", fixtures.profile), &[("confirm", "yes")]).await;
        let ask = page_of(app.post_form(&format!("/mids/{}/delete", fixtures.mid), &[]).await).await;
        assert!(ask.text("h1").contains("Fixture MID"), "the question names the MID");
        assert_eq!(ask.value_of("confirm").as_deref(), Some("yes"));
        let done = app.post_form(&format!("/mids/{}/delete", fixtures.mid), &[("confirm", "yes")]).await;
        assert_redirects_to(&done, "/mids");
        assert!(app.services.mids.find(fixtures.mid).await.is_err());
    }
}

both_backends! {
    /// R-GW-6 (configuration): a mapping overrides the built-in class, and `classify` is the one
    /// place that answers.
    async fn r_gw_6_decline_mapping_overrides_the_default_classification(app) {
        let stolen = GatewayResponse { provider: Some(Provider::Test), code: "43", text: "Stolen card", advice_code: None };
        assert_eq!(app.services.declines.classify(&stolen).await.unwrap(), DeclineClass::Hard);
        let insufficient = GatewayResponse { provider: None, code: "", text: "Insufficient Funds", advice_code: None };
        assert_eq!(app.services.declines.classify(&insufficient).await.unwrap(), DeclineClass::Soft);

        let draft = MappingDraft { provider: Some(Provider::Test), code: "43".into(), text: String::new(), class: DeclineClass::Soft };
        app.services.declines.create(&Actor::system("test"), &draft).await.unwrap();
        assert_eq!(app.services.declines.classify(&stolen).await.unwrap(), DeclineClass::Soft);
        let elsewhere = GatewayResponse { provider: Some(Provider::FlexPay), ..stolen };
        assert_eq!(app.services.declines.classify(&elsewhere).await.unwrap(), DeclineClass::Hard, "the mapping names one gateway");
    }
}

both_backends! {
    async fn decline_mappings_are_added_edited_inline_and_deleted(app) {
        app.login_as_new("merchant").await;
        let page = app.get_page("/gateways/decline-mapping").await;
        let shown = page.texts("table:not(#mappings) tbody tr td:nth-child(2)");
        let built_in: Vec<&str> = recoup::domain::decline::DEFAULT_RULES.iter().map(|r| r.text).collect();
        assert_eq!(shown, built_in, "the built-in table is shown");

        let bad = app.post_form("/gateways/decline-mapping", &[("provider", "any"), ("code", ""), ("text", ""), ("class", "maybe")]).await;
        assert_eq!(bad.status().as_u16(), 422);
        assert_eq!(page_of(bad).await.fields_with_errors(), ["code", "class"]);

        let added = app.post_form("/gateways/decline-mapping", &[("provider", "flexpay"), ("code", "05"), ("text", ""), ("class", "hard")]).await;
        assert_redirects_to(&added, "/gateways/decline-mapping");
        let id = app.services.declines.list().await.unwrap()[0].id;

        let token = csrf_in(&app.get_html("/gateways/decline-mapping").await);
        let editor = app.client.get(app.url(&format!("/gateways/decline-mapping/{id}/edit"))).header("HX-Request", "true").send().await.unwrap();
        let editor = page_of(editor).await;
        assert_eq!(editor.all("tr").len(), 1, "one row");
        assert_eq!(editor.attr_of("tr", "id"), Some(format!("mapping-{id}")));
        assert_eq!(editor.attr_of("tr", "class").as_deref(), Some("editing"));
        assert_eq!(editor.value_of("code").as_deref(), Some("05"), "the editor holds the saved values");

        let saved = app
            .client
            .post(app.url(&format!("/gateways/decline-mapping/{id}")))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("provider", "any"), ("code", "05"), ("text", "honor"), ("class", "soft")])
            .send()
            .await
            .unwrap();
        let row = saved.text().await.unwrap();
        assert!(!row.contains("<html"), "a fragment, not a page: {row}");
        let row = Page::parse(&row);
        assert_eq!(row.attr_of("tr", "id"), Some(format!("mapping-{id}")));
        assert_eq!(row.attr_of("tr", "class"), None, "back to a plain row");
        assert_eq!(row.texts("td")[1..3], ["05", "honor"]);
        assert!(row.has("td .status.ok"), "soft");
        let mapping = app.services.declines.list().await.unwrap().remove(0);
        assert_eq!((mapping.provider, mapping.class), (None, DeclineClass::Soft), "any gateway, soft");

        let invalid = app
            .client
            .post(app.url(&format!("/gateways/decline-mapping/{id}")))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("provider", "any"), ("code", ""), ("text", ""), ("class", "soft")])
            .send()
            .await
            .unwrap();
        let invalid = page_of(invalid).await;
        assert!(invalid.has(&format!("#code-{id}-error")), "the message sits in the row by the code");
        assert_eq!(invalid.attr_of("tr", "class").as_deref(), Some("editing"), "the row stays open");
        assert_eq!(app.services.declines.list().await.unwrap()[0].text, "honor", "the bad edit saved nothing");

        let ask = page_of(app.post_form(&format!("/gateways/decline-mapping/{id}/delete"), &[]).await).await;
        assert!(ask.has(&format!("form[action='/gateways/decline-mapping/{id}/delete'] input[name=confirm][value=yes]")), "a confirming form is offered");
        let gone = app.post_form(&format!("/gateways/decline-mapping/{id}/delete"), &[("confirm", "yes")]).await;
        assert_redirects_to(&gone, "/gateways/decline-mapping");
        assert!(app.services.declines.list().await.unwrap().is_empty());
        let filter = recoup::domain::event::EventFilter { kind: Some(recoup::domain::event::EventKind::MappingUpdated), ..Default::default() };
        let updates = app.services.events.list(&filter, recoup::domain::page::KeysetRequest { after: None, size: 10 }).await.unwrap();
        assert_eq!(updates.total, 1, "one successful edit, logged with before and after");
        assert!(updates.items[0].before.as_deref().unwrap().contains("flexpay"));
    }
}
