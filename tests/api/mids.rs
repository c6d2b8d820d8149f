//! MIDs: the list, the add/edit form, credentials (R-MID-1, R-GW-1, R-GW-2, R-GW-4).

use std::sync::Arc;

use crate::both_backends;
use crate::gateways::new_mid;
use recoup::crypto::SecretCipher;
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;
use recoup::services::mids::MidError;
use recoup::web::mids::MidForm;
use secrecy::SecretSlice;

const FLEXFACTOR_SECRETS: [(&str, &str); 6] = [
    ("cred_app_key", "ff-appkey-7d1c90aa"),
    ("cred_app_secret", "ff-appsecret-55be21f0c9"),
    ("cred_mid_number", "ff-mid-00981234"),
    ("cred_site_id", "ff-site-4411aa"),
    ("cred_environment_key", "ff-envkey-9f8e7d6c5b"),
    ("cred_hmac_signing_key", "ff-hmac-0a1b2c3d4e5f6789"),
];

/// Whether a FlexFactor form field holds a secret (the rest are identifiers shown in clear).
fn is_secret(form_key: &str) -> bool {
    let key = form_key.trim_start_matches("cred_");
    Provider::FlexFactor
        .credential_fields()
        .iter()
        .any(|f| f.key == key && f.secret)
}

/// The secrets of [`FLEXFACTOR_SECRETS`], which no page may show once saved.
fn saved_secrets() -> impl Iterator<Item = &'static str> {
    FLEXFACTOR_SECRETS
        .into_iter()
        .filter(|(k, _)| is_secret(k))
        .map(|(_, v)| v)
}

fn flexfactor_form<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", title),
        ("provider", "flexfactor"),
        ("enabled", "on"),
        ("accept_visa", "on"),
    ];
    if !extra.iter().any(|(k, _)| *k == "expiry_days") {
        fields.push(("expiry_days", "21"));
    }
    fields.extend(FLEXFACTOR_SECRETS);
    fields.extend_from_slice(extra);
    fields
}

fn errors_of(result: Result<impl std::fmt::Debug, MidError>) -> recoup::domain::FieldErrors {
    match result {
        Err(MidError::Invalid(errors)) => errors,
        other => panic!("expected field errors, got {other:?}"),
    }
}

both_backends! {
    /// R-MID-1: a title (unique), a provider and its credentials; credentials encrypted, shown
    /// masked, and a blank field on edit keeps the stored value.
    async fn r_mid_1_credentials_are_encrypted_masked_and_kept_when_blank(app) {
        app.login_as_new("merchant").await;
        let created = app.post_form("/mids", &flexfactor_form("FF Main", &[("cs_phone", "+1 555 010 7788"), ("monthly_cap", "15,000.50")])).await;
        assert_redirects_to(&created, "/mids");
        let mid = app.services.mids.all().await.unwrap().remove(0);
        assert_eq!(mid.monthly_cap.map(|c| c.amount().get()), Some(1_500_050));

        let edit = app.get_html(&format!("/mids/{}/edit", mid.id)).await;
        for secret in saved_secrets() {
            assert!(!edit.contains(secret), "the edit page never shows a saved secret");
        }
        let edit = Page::parse(&edit);
        let hmac = "input[name=cred_hmac_signing_key]";
        assert!(edit.attr_of(hmac, "placeholder").unwrap_or_default().contains("••••6789"), "masked to the last 4");
        assert_eq!(edit.attr_of(hmac, "value").as_deref(), Some(""), "the field itself is blank");

        let mut form: Vec<(&str, &str)> = vec![("title", "FF Main"), ("provider", "flexfactor"), ("enabled", "on"), ("expiry_days", "14"), ("cred_app_key", "ff-appkey-NEW-0001")];
        form.push(("cs_phone", "+1 555 010 7788"));
        assert_redirects_to(&app.post_form(&format!("/mids/{}", mid.id), &form).await, "/mids");
        let masks = app.services.mids.credential_masks(mid.id).await.unwrap();
        assert_eq!(masks.len(), 6, "blank fields kept their values");
        assert!(masks.contains(&("app_key", "••••0001".to_owned())));
        assert!(masks.contains(&("hmac_signing_key", "••••6789".to_owned())));
        assert!(masks.contains(&("mid_number", "ff-mid-00981234".to_owned())), "an identifier reads in clear");

        let dup = app.post_form("/mids", &flexfactor_form("ff main", &[])).await;
        assert_eq!(dup.status().as_u16(), 422);
        assert_eq!(page_of(dup).await.fields_with_errors(), ["title"], "titles are unique whatever the case");

        let log = app.services.events.list(&Default::default(), recoup::domain::page::KeysetRequest { after: None, size: 50 }).await.unwrap();
        for event in &log.items {
            for secret in saved_secrets() {
                let all = format!("{:?}{:?}", event.before, event.after);
                assert!(!all.contains(secret), "the event log holds masks of secrets only");
            }
        }
        assert!(log.items.iter().any(|e| e.kind == "mid.updated" && e.after.as_deref().unwrap_or_default().contains("••••0001 (set)")));
    }
}

both_backends! {
    async fn a_tampered_credential_is_an_error_not_a_fallback(app) {
        let id = new_mid(&app, "Tamper", Provider::FlexPay, &[]).await;
        match &app.db {
            recoup::db::Db::Sqlite(pool) => sqlx::query("UPDATE mid_credentials SET ciphertext = '00' || substr(ciphertext, 3)").execute(pool).await.map(drop).unwrap(),
            recoup::db::Db::Postgres(pool) => sqlx::query("UPDATE mid_credentials SET ciphertext = '00' || substr(ciphertext, 3)").execute(pool).await.map(drop).unwrap(),
        }
        assert!(app.services.mids.credential_masks(id).await.is_err());
        app.login_as_new("merchant").await;
        assert_eq!(app.get(&format!("/mids/{id}/edit")).await.status().as_u16(), 500);
    }
}

both_backends! {
    /// R-GW-1: every credential of the provider is required.
    async fn r_gw_1_each_provider_requires_all_its_credentials(app) {
        let actor = Actor::system("test");
        for provider in [Provider::FlexPay, Provider::FlexFactor, Provider::FlexEcom] {
            let form = MidForm { title: format!("{provider} MID"), provider: provider.key().into(), ..MidForm::default() };
            let errors = errors_of(form.draft(false).map(|_| ()).map_err(MidError::Invalid));
            for f in provider.credential_fields() {
                let message = errors.get(f.key).unwrap_or_else(|| panic!("{provider}: no error on {}", f.key));
                assert!(message.contains(f.label), "{provider}: the message names {}: {message}", f.label);
            }
        }
        let test = MidForm { title: "Sandbox".into(), provider: "test".into(), ..MidForm::default() };
        let draft = test.draft(false).unwrap();
        app.services.mids.create(&actor, &draft).await.unwrap();
        assert_eq!(Provider::FlexEcom.credential_fields().iter().map(|f| f.label).collect::<Vec<_>>(), ["publicKey", "secretKey", "signingSecret"]);
    }
}

both_backends! {
    /// R-GW-2: FlexFactor expiryDays defaults to 21 and is a whole number 1..=21.
    async fn r_gw_2_expiry_days_is_a_whole_number_from_1_to_21(app) {
        app.login_as_new("merchant").await;
        let form = app.get_page("/mids/new?provider=flexfactor").await;
        assert_eq!(form.value_of("expiry_days").as_deref(), Some("21"), "pre-filled 21");
        for bad in ["0", "22", "-1", "1.5", "ten"] {
            let response = app.post_form("/mids", &flexfactor_form("FF", &[("expiry_days", bad)])).await;
            assert_eq!(response.status().as_u16(), 422, "{bad}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), ["expiry_days"], "{bad}");
            assert_eq!(page.value_of("expiry_days").as_deref(), Some(bad), "the typed value is kept");
        }
        assert!(app.services.mids.all().await.unwrap().is_empty(), "nothing saved");
        let id = new_mid(&app, "FF", Provider::FlexFactor, &[("expiry_days", "7")]).await;
        assert_eq!(app.services.mids.find(id).await.unwrap().expiry_days.map(|d| d.get()), Some(7));
    }
}

both_backends! {
    /// R-GW-4: at most one MID has cascadeAll.
    async fn r_gw_4_only_one_mid_may_have_cascade_all(app) {
        let first = new_mid(&app, "FF One", Provider::FlexFactor, &[("cascade_all", "on")]).await;
        let form = MidForm { title: "FE Two".into(), provider: "flexecom".into(), cascade_all: Some("on".into()), ..MidForm::default() };
        let mut form = form;
        for f in Provider::FlexEcom.credential_fields() {
            form.extra.insert(format!("cred_{}", f.key), "some-long-secret-value".into());
        }
        let draft = form.draft(false).unwrap();
        let errors = errors_of(app.services.mids.create(&Actor::system("test"), &draft).await);
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["cascade_all"]);
        assert!(errors.get("cascade_all").unwrap().contains("FF One"), "the holder is named");
        assert_eq!(app.services.mids.all().await.unwrap().len(), 1);

        let test = MidForm { title: "Sandbox".into(), provider: "test".into(), cascade_all: Some("on".into()), ..MidForm::default() };
        assert!(!test.draft(false).unwrap().cascade_all, "only FlexFactor and FlexEcom offer it");
        assert!(app.services.mids.find(first).await.unwrap().cascade_all);
    }
}

both_backends! {
    async fn bad_mid_input_shows_every_message_at_once_and_saves_nothing(app) {
        app.login_as_new("merchant").await;
        let long = "x".repeat(101);
        let response = app
            .post_form("/mids", &[("title", &long), ("provider", "flexfactor"), ("cs_phone", "call me"), ("cs_email", "not-an-email"), ("monthly_cap", "12.345"), ("expiry_days", "0"), ("descriptor", "ÅÅÅ")])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let mut shown = page_of(response).await.fields_with_errors();
        shown.sort();
        let mut expected: Vec<String> = ["title", "cs_phone", "cs_email", "monthly_cap", "expiry_days", "descriptor"].map(str::to_owned).into();
        expected.extend(Provider::FlexFactor.credential_fields().iter().map(|f| f.key.to_owned()));
        expected.sort();
        assert_eq!(shown, expected, "every bad field at once");
        let empty = app.post_form("/mids", &[("title", ""), ("provider", "bogus")]).await;
        assert_eq!(page_of(empty).await.fields_with_errors(), ["title", "provider"]);
        let unknown_profile = app.post_form("/mids", &[("title", "T"), ("provider", "test"), ("cascade_profile_id", "999")]).await;
        assert_eq!(page_of(unknown_profile).await.fields_with_errors(), ["cascade_profile_id"]);
        assert!(app.services.mids.all().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_mid_list_filters_searches_sorts_and_paginates(app) {
        app.login_as_new("merchant").await;
        for i in 0..27 {
            new_mid(&app, &format!("Store {i:02}"), Provider::Test, &[]).await;
        }
        let flex = new_mid(&app, "Rescue FlexPay", Provider::FlexPay, &[]).await;
        app.services.mids.set_enabled(&Actor::system("test"), flex, false).await.unwrap();

        let titles = |page: &Page| page.texts("tr[id^='mid-'] td:first-child");
        let first = app.get_page("/mids").await;
        assert_eq!(titles(&first).len(), 25, "25 a page");
        assert!(first.has("nav.pager a[rel=next]"));
        assert_eq!(titles(&app.get_page("/mids?page=2").await).len(), 3, "28 in all");
        assert_eq!(titles(&app.get_page("/mids?provider=flexpay").await), ["Rescue FlexPay"]);
        assert_eq!(titles(&app.get_page("/mids?enabled=no").await), ["Rescue FlexPay"]);
        let search = titles(&app.get_page("/mids?q=store+1").await);
        assert_eq!(search.len(), 10, "Store 10 to 19: {search:?}");
        assert!(search.iter().all(|t| t.starts_with("Store 1")), "{search:?}");
        let desc = app.get_page("/mids?sort=title&dir=desc").await;
        assert_eq!(titles(&desc)[..3], ["Store 26", "Store 25", "Store 24"], "MIDs sort by title, descending");
        let flip = desc.attr_of("thead th:first-child a", "href").unwrap_or_default();
        assert!(flip.contains("sort=title") && flip.contains("dir=asc"), "the header flips the order: {flip}");
        assert_eq!(app.get("/mids?sort=%27;drop&dir=x&page=zz&enabled=maybe").await.status().as_u16(), 200);
    }
}

both_backends! {
    async fn the_inline_toggle_answers_one_row(app) {
        app.login_as_new("merchant").await;
        let id = new_mid(&app, "Toggle", Provider::Test, &[]).await;
        let token = csrf_in(&app.get_html("/mids").await);
        let row = app
            .client
            .post(app.url(&format!("/mids/{id}/enabled")))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("enabled", "false")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!row.contains("<html"), "a fragment, not a page: {row}");
        let row = Page::parse(&row);
        assert_eq!(row.all("tr").len(), 1, "one row");
        assert_eq!(row.attr_of("tr", "id"), Some(format!("mid-{id}")));
        assert!(row.has(".status.off"), "shown as disabled");
        assert_eq!(row.value_of("enabled").as_deref(), Some("true"), "its button now enables");
        assert!(!app.services.mids.find(id).await.unwrap().enabled);
        let plain = app.post_form(&format!("/mids/{id}/enabled"), &[("enabled", "true")]).await;
        assert_redirects_to(&plain, "/mids");
        assert!(app.services.mids.find(id).await.unwrap().enabled);
    }
}

both_backends! {
    async fn changing_the_gateway_swaps_the_credential_fields(app) {
        app.login_as_new("merchant").await;
        let fragment = app
            .client
            .get(app.url("/mids/credential-fields?provider=flexecom"))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!fragment.contains("<html"), "a fragment, not a page: {fragment}");
        let fragment = Page::parse(&fragment);
        assert_eq!(fragment.all("body > *").len(), 1, "one element");
        assert!(fragment.has("body > #provider-fields"));
        for f in Provider::FlexEcom.credential_fields() {
            assert!(fragment.has(&format!("input[name=cred_{}]", f.key)), "{}", f.key);
        }
        assert!(fragment.has("input[name=cascade_all]") && !fragment.has("input[name=expiry_days]"), "FlexEcom offers cascadeAll, not expiryDays");
        assert_redirects_to(&app.get("/mids/credential-fields?provider=flexpay").await, "/mids/new?provider=flexpay");
        let no_js = app.get_page("/mids/new?title=Kept&provider=flexpay&cs_phone=555-010-7788").await;
        assert_eq!(no_js.value_of("title").as_deref(), Some("Kept"), "the form without JavaScript keeps typed values");
        assert_eq!(no_js.value_of("cs_phone").as_deref(), Some("555-010-7788"));
        assert_eq!(no_js.selected("provider").as_deref(), Some("flexpay"));
        assert!(no_js.has("input[name=cred_apikey]"), "with the provider's credential fields");
    }
}

both_backends! {
    /// Secrets never leave the database in clear. MID # and SiteId are identifiers, not
    /// secrets: the edit page shows them (see the next test).
    async fn no_saved_secret_appears_in_any_page_or_in_the_database_in_clear(app) {
        app.login_as_new("admin").await;
        assert_redirects_to(&app.post_form("/mids", &flexfactor_form("Secret FF", &[])).await, "/mids");
        let id = app.services.mids.all().await.unwrap()[0].id;
        for path in ["/mids".to_owned(), format!("/mids/{id}/edit"), "/gateways".into(), "/gateways/profiles/new?kind=cascade".into(), "/admin/events".into(), "/".into()] {
            let page = app.get_html(&path).await;
            for secret in saved_secrets() {
                assert!(!page.contains(secret), "{path} shows a secret");
            }
        }
        assert_eq!(saved_secrets().count(), 4, "AppKey, AppSecret, EnvironmentKey and HMACSigningKey are secrets");
        let dump: Vec<String> = match &app.db {
            recoup::db::Db::Sqlite(pool) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.unwrap();
                let path: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_one(pool).await.unwrap();
                let bytes = std::fs::read(&path).unwrap();
                vec![String::from_utf8_lossy(&bytes).into_owned()]
            }
            recoup::db::Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT row_to_json(t)::text FROM (SELECT * FROM mid_credentials) t UNION ALL SELECT row_to_json(e)::text FROM events e UNION ALL SELECT row_to_json(m)::text FROM mids m").fetch_all(pool).await.unwrap()
            }
        };
        for secret in saved_secrets() {
            assert!(dump.iter().all(|d| !d.contains(secret)), "the database holds {secret} in clear");
        }
    }
}

both_backends! {
    async fn rotating_the_key_re_encrypts_every_credential(app) {
        let id = new_mid(&app, "Rotate", Provider::FlexEcom, &[]).await;
        let before = app.services.mids.credential_masks(id).await.unwrap();
        let old = SecretSlice::from(vec![9u8; 32]);
        let new = SecretSlice::from(vec![3u8; 32]);
        let with_cipher = |cipher: SecretCipher| {
            recoup::services::Services::new(recoup::services::Deps {
                db: app.db.clone(),
                clock: Arc::new(app.clock.clone()),
                hasher: recoup::services::passwords::PasswordHasher::new(1).unwrap(),
                cipher: Arc::new(cipher),
                session_policy: Default::default(),
            })
        };
        let rotated = with_cipher(SecretCipher::new(&new, &[old]).unwrap());
        assert_eq!(rotated.mids.rotate_secrets(&Actor::system("test")).await.unwrap(), 3);
        assert_eq!(rotated.mids.rotate_secrets(&Actor::system("test")).await.unwrap(), 0, "nothing left under the old key");

        let new_only = with_cipher(SecretCipher::new(&new, &[]).unwrap());
        assert_eq!(new_only.mids.credential_masks(id).await.unwrap(), before, "readable with the new key alone");
        assert!(app.services.mids.credential_masks(id).await.is_err(), "the old key alone no longer reads them");
    }
}

both_backends! {
    async fn a_second_cascade_all_is_refused_by_the_form_and_a_cascade_profile_can_be_chosen(app) {
        app.login_as_new("merchant").await;
        new_mid(&app, "FF One", Provider::FlexFactor, &[("cascade_all", "on")]).await;
        let second = app.post_form("/mids", &flexfactor_form("FF Two", &[("cascade_all", "on")])).await;
        assert_eq!(second.status().as_u16(), 422);
        let second = page_of(second).await;
        assert_eq!(second.fields_with_errors(), ["cascade_all"]);
        assert!(second.field_error("cascade_all").unwrap().contains("FF One"), "the holder is named");

        let fixtures = crate::gateways::Fixtures::new(&app).await;
        let profile = fixtures.profile.to_string();
        let ok = app.post_form("/mids", &[("title", "Main store"), ("provider", "test"), ("enabled", "on"), ("cascade_profile_id", &profile)]).await;
        assert_redirects_to(&ok, "/mids");
        let mid = app.services.mids.all().await.unwrap().into_iter().find(|m| m.title == "Main store").unwrap();
        assert_eq!(mid.cascade_profile_id, Some(fixtures.profile));
        let edit = app.get_page(&format!("/mids/{}/edit", mid.id)).await;
        assert_eq!(edit.selected("cascade_profile_id"), Some(profile));
    }
}

both_backends! {
    /// Issue #9: MID # and SiteId are identifiers, shown in clear on the edit page; the secrets
    /// stay masked, with a "Show" toggle for what is being typed.
    async fn identifiers_show_in_clear_and_secrets_stay_masked_with_a_show_toggle(app) {
        app.login_as_new("merchant").await;
        assert_redirects_to(&app.post_form("/mids", &flexfactor_form("FF Clear", &[])).await, "/mids");
        let id = app.services.mids.all().await.unwrap()[0].id;
        let edit = app.get_page(&format!("/mids/{id}/edit")).await;
        for (name, value) in FLEXFACTOR_SECRETS {
            let input = format!("input[name={name}]");
            if is_secret(name) {
                assert_eq!(edit.attr_of(&input, "type").as_deref(), Some("password"), "{name}");
                assert_eq!(edit.attr_of(&input, "value").as_deref(), Some(""), "{name}: the stored secret is not sent");
                assert!(edit.attr_of(&input, "placeholder").unwrap_or_default().contains("leave blank to keep"), "{name}");
                let toggle = format!("button[type=button][data-reveal={name}][aria-pressed=false]");
                assert!(edit.has(&toggle), "{name} has a show toggle");
            } else {
                assert_eq!(edit.attr_of(&input, "type").as_deref(), Some("text"), "{name}");
                assert_eq!(edit.attr_of(&input, "value").as_deref(), Some(value), "{name}: the stored identifier is shown");
                assert!(!edit.has(&format!("button[data-reveal={name}]")), "{name} needs no toggle");
            }
        }
        assert_eq!(edit.text("button[data-reveal=cred_app_secret]"), "Show AppSecret", "the toggle names its field");
        assert_eq!(edit.attr_of("#cred_mid_number", "aria-describedby").as_deref(), Some("mid_number-hint"));
        assert!(edit.has("#mid_number-hint"));

        // Saving the form as shown keeps every value; a changed identifier is saved.
        let mut form: Vec<(&str, &str)> = vec![("title", "FF Clear"), ("provider", "flexfactor"), ("enabled", "on"), ("expiry_days", "21")];
        form.push(("cred_mid_number", "ff-mid-NEW-42"));
        form.push(("cred_site_id", "ff-site-4411aa"));
        assert_redirects_to(&app.post_form(&format!("/mids/{id}"), &form).await, "/mids");
        let stored = app.services.mids.credential_masks(id).await.unwrap();
        assert!(stored.contains(&("mid_number", "ff-mid-NEW-42".to_owned())), "{stored:?}");
        assert!(stored.contains(&("app_secret", "••••f0c9".to_owned())), "a blank secret is kept: {stored:?}");

        // A blank identifier keeps the stored one, which the re-shown form fills back in.
        let bad: Vec<(&str, &str)> = vec![("title", ""), ("provider", "flexfactor"), ("expiry_days", "21"), ("cred_site_id", "")];
        let again = page_of(app.post_form(&format!("/mids/{id}"), &bad).await).await;
        assert_eq!(again.fields_with_errors(), ["title"]);
        assert_eq!(again.value_of("cred_site_id").as_deref(), Some("ff-site-4411aa"));
        assert_eq!(again.value_of("cred_app_key").as_deref(), Some(""));
    }
}

both_backends! {
    /// Each credential input is described by its error (and hint), so a screen reader reads both.
    async fn credential_inputs_are_described_by_their_hint_and_error(app) {
        app.login_as_new("merchant").await;
        let page = page_of(app.post_form("/mids", &[("title", "No creds"), ("provider", "flexfactor"), ("expiry_days", "21")]).await).await;
        for f in Provider::FlexFactor.credential_fields() {
            let input = format!("#cred_{}", f.key);
            let described = page.attr_of(&input, "aria-describedby").unwrap_or_default();
            assert!(described.split(' ').any(|id| id == format!("{}-error", f.key)), "{}: {described}", f.key);
            assert_eq!(described.split(' ').any(|id| id == format!("{}-hint", f.key)), !f.hint.is_empty(), "{}: {described}", f.key);
            assert_eq!(page.attr_of(&input, "aria-invalid").as_deref(), Some("true"));
            assert!(page.has(&format!("[id='{}'] {input}", f.key)), "the error summary's #{} link reaches the input", f.key);
        }
    }
}

both_backends! {
    /// The list's "Used by" names each MID's routing and recycle profiles, read for the whole
    /// page in one query (a JSON array of the page's ids, read by each backend's own function).
    async fn the_list_names_the_profiles_that_use_each_mid(app) {
        use recoup::domain::recycle::{BlockMerchant, RecycleDraft};
        app.login_as_new("merchant").await;
        let actor = Actor::system("test");
        let used = new_mid(&app, "Used store", Provider::Test, &[]).await;
        let rescue = new_mid(&app, "Rescue", Provider::FlexFactor, &[]).await;
        let idle = new_mid(&app, "Idle store", Provider::Test, &[]).await;
        app.services.routing.create(&actor, &crate::gateways::profile_draft("Main cascade", "cascade", &[used])).await.unwrap();
        let mut draft = RecycleDraft { name: "Salvage".into(), apply_to: vec![used], ..RecycleDraft::blank() };
        draft.blocks[1] = BlockMerchant::Mid(rescue);
        app.services.recycle.create(&actor, &draft).await.unwrap();

        let page = app.get_page("/mids").await;
        let used_by = |id| page.text(&format!("#mid-{id} td:nth-child(8)"));
        assert_eq!(used_by(used), "Main cascade, Salvage (recycle billing)");
        assert_eq!(used_by(rescue), "Salvage (recycle billing)", "a block's merchant counts too");
        assert_eq!(used_by(idle), "—");
    }
}
