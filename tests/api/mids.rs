//! MIDs: the list, the add/edit form, credentials (R-MID-1, R-GW-1, R-GW-2, R-GW-4), and a test
//! MID's settlement settings and "Settle now" (R-TG-3).

use std::sync::Arc;

use crate::both_backends;
use crate::gateways::new_mid;
use crate::helpers::TestApp;
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
                fingerprint_key: Arc::new(SecretSlice::from(vec![7u8; 32])),
                mailer: None,
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

/// Runs one statement with its binds on whichever backend the app uses.
macro_rules! on_db {
    ($app:expr, |$q:ident| $body:expr) => {
        match &$app.db {
            recoup::db::Db::Sqlite(pool) => {
                let $q = pool;
                $body
            }
            recoup::db::Db::Postgres(pool) => {
                let $q = pool;
                $body
            }
        }
    };
}

/// A transaction row written straight into the database, with the customer, campaign and order
/// its foreign keys need (the order code that writes them for real is not this test's subject).
struct Txn<'a> {
    mid: recoup::domain::ids::MidId,
    kind: &'a str,
    result: &'a str,
    settled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Inserts `txn` and answers its id.
async fn insert_transaction(app: &TestApp, txn: Txn<'_>) -> i64 {
    let now = app.clock_now();
    let key = format!(
        "test-{}-{}-{}",
        txn.mid,
        txn.kind,
        txn.settled_at.map_or(0, |t| t.timestamp_micros())
    );
    let suffix: i64 = on_db!(app, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM transactions"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let key = format!("{key}-{suffix}");
    let customer: i64 = on_db!(app, |pool| {
        sqlx::query_scalar("INSERT INTO customers (first_name, last_name, email, created_at, updated_at) VALUES ('Ann', 'Lee', 'ann@example.com', $1, $1) RETURNING id").bind(now).fetch_one(pool).await.unwrap()
    });
    let campaign: i64 = on_db!(app, |pool| {
        sqlx::query_scalar("INSERT INTO campaigns (name, currency, mid_id, created_at, updated_at) VALUES ($1, 'USD', $2, $3, $3) RETURNING id").bind(format!("Campaign {key}")).bind(txn.mid.0).bind(now).fetch_one(pool).await.unwrap()
    });
    let product: i64 = on_db!(app, |pool| {
        sqlx::query_scalar("INSERT INTO products (name, sku, currency, price_minor, created_at, updated_at) VALUES ('Widget', $1, 'USD', 1000, $2, $2) RETURNING id").bind(format!("SKU-{key}")).bind(now).fetch_one(pool).await.unwrap()
    });
    let order: i64 = on_db!(app, |pool| {
        sqlx::query_scalar("INSERT INTO orders (customer_id, campaign_id, mid_id, kind, status, currency, total_minor, created_at, updated_at) VALUES ($1, $2, $3, 'new_sale', 'complete', 'USD', 1000, $4, $4) RETURNING id").bind(customer).bind(campaign).bind(txn.mid.0).bind(now).fetch_one(pool).await.unwrap()
    });
    on_db!(app, |pool| {
        sqlx::query("INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_minor, price_minor, charged_minor) VALUES ($1, $2, 'Widget', 1, 1000, 1000, 1000)").bind(order).bind(product).execute(pool).await.map(drop).unwrap()
    });
    let class = (txn.result != "approved").then_some("soft");
    on_db!(app, |pool| {
        sqlx::query_scalar("INSERT INTO transactions (order_id, mid_id, kind, amount_minor, currency, result, decline_class, idempotency_key, settled_at, created_at) VALUES ($1, $2, $3, 1000, 'USD', $4, $5, $6, $7, $8) RETURNING id")
        .bind(order).bind(txn.mid.0).bind(txn.kind).bind(txn.result).bind(class).bind(&key).bind(txn.settled_at).bind(now)
        .fetch_one(pool).await.unwrap()
    })
}

async fn settled_at(app: &TestApp, id: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    on_db!(app, |pool| sqlx::query_scalar(
        "SELECT settled_at FROM transactions WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap())
}

async fn settled_events(app: &TestApp) -> Vec<recoup::domain::event::Event> {
    let filter = recoup::domain::event::EventFilter {
        kind: Some(recoup::domain::event::EventKind::MidSettled),
        ..Default::default()
    };
    app.services
        .events
        .list(
            &filter,
            recoup::domain::page::KeysetRequest {
                after: None,
                size: 50,
            },
        )
        .await
        .unwrap()
        .items
}

fn test_form<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", title),
        ("provider", "test"),
        ("enabled", "on"),
        ("accept_visa", "on"),
    ];
    fields.extend_from_slice(extra);
    fields
}

both_backends! {
    /// R-TG-3: "Settle now" settles that test MID's open approved sales and captures at once,
    /// and nothing else: not another MID's, not a decline, a refund or what already settled.
    async fn r_tg_3_settle_now_settles_only_that_mids_open_approved_sales(app) {
        let now = app.clock_now();
        let later = Some(now + chrono::Duration::hours(5));
        let earlier = Some(now - chrono::Duration::hours(5));
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let other = new_mid(&app, "Other sandbox", Provider::Test, &[]).await;
        let open_sale = insert_transaction(&app, Txn { mid, kind: "sale", result: "approved", settled_at: later }).await;
        let open_capture = insert_transaction(&app, Txn { mid, kind: "capture", result: "approved", settled_at: later }).await;
        let untouched = [
            (insert_transaction(&app, Txn { mid, kind: "sale", result: "approved", settled_at: earlier }).await, earlier),
            (insert_transaction(&app, Txn { mid, kind: "sale", result: "declined", settled_at: later }).await, later),
            (insert_transaction(&app, Txn { mid, kind: "refund", result: "approved", settled_at: later }).await, later),
            (insert_transaction(&app, Txn { mid, kind: "sale", result: "approved", settled_at: None }).await, None),
            (insert_transaction(&app, Txn { mid: other, kind: "sale", result: "approved", settled_at: later }).await, later),
        ];
        assert_eq!(app.services.mids.open_transactions(mid).await.unwrap(), 2);
        assert_eq!(app.services.mids.open_transactions(other).await.unwrap(), 1);

        app.clock.advance(chrono::Duration::minutes(1));
        let settled_now = app.clock_now();
        assert_eq!(app.services.mids.settle_now(&Actor::system("test"), mid).await.unwrap(), 2);
        assert_eq!(settled_at(&app, open_sale).await, Some(settled_now));
        assert_eq!(settled_at(&app, open_capture).await, Some(settled_now));
        for (id, before) in untouched {
            assert_eq!(settled_at(&app, id).await, before, "transaction {id} is not this MID's open sale");
        }
        assert_eq!(app.services.mids.open_transactions(mid).await.unwrap(), 0);
        assert_eq!(app.services.mids.open_transactions(other).await.unwrap(), 1, "the other MID's sale stays open");

        let events = settled_events(&app).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].subject, recoup::domain::event::Subject::Mid(mid));
        assert!(events[0].after.clone().unwrap_or_default().contains("\"settled\":2"), "{:?}", events[0].after);
        assert_eq!(app.services.mids.settle_now(&Actor::system("test"), mid).await.unwrap(), 0, "nothing left to settle");
    }
}

both_backends! {
    /// The button on a test MID's page shows how many are open, asks first, then settles.
    async fn settle_now_on_the_page_asks_first_and_reports_the_count(app) {
        app.login_as_new("merchant").await;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let later = Some(app.clock_now() + chrono::Duration::hours(24));
        for _ in 0..3 {
            insert_transaction(&app, Txn { mid, kind: "sale", result: "approved", settled_at: later }).await;
        }
        let edit = app.get_page(&format!("/mids/{mid}/edit")).await;
        assert_eq!(edit.text("#open-transactions"), "3 approved transactions are waiting to settle.");
        assert!(edit.has(&format!("form[action='/mids/{mid}/settle'] button")));

        let ask = app.post_form(&format!("/mids/{mid}/settle"), &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = page_of(ask).await;
        assert_eq!(ask.text("h1"), "Settle the open transactions of Sandbox?");
        assert!(ask.text("section.card p").starts_with("3 approved transactions settle now"), "{}", ask.text("section.card p"));
        assert_eq!(app.services.mids.open_transactions(mid).await.unwrap(), 3, "asking settles nothing");
        assert!(settled_events(&app).await.is_empty());

        let done = app.post_form(&format!("/mids/{mid}/settle"), &[("confirm", "yes")]).await;
        assert_redirects_to(&done, &format!("/mids/{mid}/edit"));
        let edit = app.get_page(&format!("/mids/{mid}/edit")).await;
        assert_eq!(edit.flash_success().as_deref(), Some("3 approved transactions of Sandbox settled."));
        assert_eq!(edit.text("#open-transactions"), "No approved transaction is waiting to settle.");
        assert_eq!(settled_events(&app).await.len(), 1);
    }
}

both_backends! {
    /// Only the test gateway settles by hand: the service refuses another MID, the page offers
    /// no button, and a hand-made post answers 409; a cs_agent may not settle at all.
    async fn settle_now_is_refused_for_a_mid_that_is_not_a_test_mid(app) {
        let flex = new_mid(&app, "Rescue", Provider::FlexPay, &[]).await;
        let later = Some(app.clock_now() + chrono::Duration::hours(24));
        let sale = insert_transaction(&app, Txn { mid: flex, kind: "sale", result: "approved", settled_at: later }).await;
        assert!(matches!(app.services.mids.settle_now(&Actor::system("test"), flex).await, Err(MidError::NotTestMid)));
        assert!(matches!(app.services.mids.open_transactions(flex).await, Err(MidError::NotTestMid)));

        app.login_as_new("merchant").await;
        let edit = app.get_page(&format!("/mids/{flex}/edit")).await;
        assert!(!edit.has(&format!("form[action='/mids/{flex}/settle']")) && !edit.has("#open-transactions"));
        for confirm in [&[][..], &[("confirm", "yes")][..]] {
            let response = app.post_form(&format!("/mids/{flex}/settle"), confirm).await;
            assert_eq!(response.status().as_u16(), 409, "{confirm:?}");
            assert!(response.text().await.unwrap().contains("Only a test MID can be settled by hand"));
        }
        assert_eq!(app.post_form("/mids/999/settle", &[("confirm", "yes")]).await.status().as_u16(), 404);
        assert_eq!(settled_at(&app, sale).await, later, "nothing settled");
        assert!(settled_events(&app).await.is_empty());

        let test = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let open = insert_transaction(&app, Txn { mid: test, kind: "sale", result: "approved", settled_at: later }).await;
        let agent = new_client();
        app.create_user("agent@example.com", "Agent", "cs_agent").await;
        app.login_with(&agent, "agent@example.com", PASSWORD).await;
        let token = csrf_in(&agent.get(app.url("/")).send().await.unwrap().text().await.unwrap());
        let denied = agent.post(app.url(&format!("/mids/{test}/settle"))).form(&[("csrf_token", token.as_str()), ("confirm", "yes")]).send().await.unwrap();
        assert_eq!(denied.status().as_u16(), 403);
        assert_eq!(settled_at(&app, open).await, later);
    }
}

both_backends! {
    /// R-TG-3: a test MID's settlement delay (hours, 0..=720, default 24) and simulated latency
    /// (ms, 0..=10000, default 0) are on its form only, checked by the field, saved and logged.
    async fn r_tg_3_a_test_mids_settlement_delay_and_latency_are_checked_saved_and_logged(app) {
        app.login_as_new("merchant").await;
        let new = app.get_page("/mids/new?provider=test").await;
        assert_eq!(new.value_of("settlement_delay_hours").as_deref(), Some("24"), "pre-filled 24");
        assert_eq!(new.value_of("latency_ms").as_deref(), Some("0"));
        let fragment = |provider: &'static str| {
            let app = &app;
            async move {
                let html = app.client.get(app.url(&format!("/mids/credential-fields?provider={provider}"))).header("HX-Request", "true").send().await.unwrap().text().await.unwrap();
                Page::parse(&html)
            }
        };
        assert!(fragment("test").await.has("input[name=settlement_delay_hours]"), "the swap brings them in");
        let flexpay = fragment("flexpay").await;
        assert!(!flexpay.has("input[name=settlement_delay_hours]") && !flexpay.has("input[name=latency_ms]"), "test MIDs only");

        for (field, bad) in [("settlement_delay_hours", "-1"), ("settlement_delay_hours", "721"), ("settlement_delay_hours", "1.5"), ("settlement_delay_hours", "a day"), ("latency_ms", "-1"), ("latency_ms", "10001"), ("latency_ms", "1.5"), ("latency_ms", "slow")] {
            let response = app.post_form("/mids", &test_form("Sandbox", &[(field, bad)])).await;
            assert_eq!(response.status().as_u16(), 422, "{field}={bad}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), [field], "{field}={bad}");
            assert_eq!(page.value_of(field).as_deref(), Some(bad), "the typed value is kept");
            assert_eq!(page.attr_of(&format!("#{field}"), "aria-invalid").as_deref(), Some("true"));
        }
        assert!(app.services.mids.all().await.unwrap().is_empty(), "nothing saved");

        assert_redirects_to(&app.post_form("/mids", &test_form("Sandbox", &[])).await, "/mids");
        let mid = app.services.mids.all().await.unwrap().remove(0);
        assert_eq!((mid.settlement_delay, mid.latency), (chrono::Duration::hours(24), std::time::Duration::ZERO), "the defaults");
        let saved = app.post_form(&format!("/mids/{}", mid.id), &test_form("Sandbox", &[("settlement_delay_hours", "0"), ("latency_ms", "250")])).await;
        assert_redirects_to(&saved, "/mids");
        let mid = app.services.mids.find(mid.id).await.unwrap();
        assert_eq!(mid.settlement_delay, chrono::Duration::zero(), "0 = settles at once");
        assert_eq!(mid.latency, std::time::Duration::from_millis(250));
        let edit = app.get_page(&format!("/mids/{}/edit", mid.id)).await;
        assert_eq!(edit.value_of("settlement_delay_hours").as_deref(), Some("0"));
        assert_eq!(edit.value_of("latency_ms").as_deref(), Some("250"));

        let filter = recoup::domain::event::EventFilter { kind: Some(recoup::domain::event::EventKind::MidUpdated), ..Default::default() };
        let update = app.services.events.list(&filter, recoup::domain::page::KeysetRequest { after: None, size: 5 }).await.unwrap().items.remove(0);
        let (before, after) = (update.before.unwrap_or_default(), update.after.unwrap_or_default());
        assert!(before.contains("\"settlement_delay_hours\":24") && before.contains("\"latency_ms\":0"), "{before}");
        assert!(after.contains("\"settlement_delay_hours\":0") && after.contains("\"latency_ms\":250"), "{after}");

        // Another gateway has no such settings: typed values are ignored, the defaults kept.
        let flex = app.post_form("/mids", &[("title", "Rescue"), ("provider", "flexpay"), ("cred_apikey", "fp-key-1234567890"), ("settlement_delay_hours", "zzz"), ("latency_ms", "-5")]).await;
        assert_redirects_to(&flex, "/mids");
        let flex = app.services.mids.all().await.unwrap().into_iter().find(|m| m.title == "Rescue").unwrap();
        assert_eq!((flex.settlement_delay, flex.latency), (chrono::Duration::hours(24), std::time::Duration::ZERO));
        let created = app.services.events.list(&recoup::domain::event::EventFilter { kind: Some(recoup::domain::event::EventKind::MidCreated), ..Default::default() }, recoup::domain::page::KeysetRequest { after: None, size: 1 }).await.unwrap().items.remove(0);
        assert!(!created.after.unwrap_or_default().contains("settlement_delay_hours"), "not shown for other gateways");
    }
}

both_backends! {
    /// A settlement delay outside 0..=720 written around the check fails loudly, never read as
    /// the default.
    async fn a_stored_settlement_delay_out_of_range_is_an_error(app) {
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        match &app.db {
            recoup::db::Db::Sqlite(pool) => {
                let mut conn = pool.acquire().await.unwrap();
                for sql in ["PRAGMA ignore_check_constraints = ON", "UPDATE mids SET settlement_delay_hours = 721", "PRAGMA ignore_check_constraints = OFF"] {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();
                }
            }
            recoup::db::Db::Postgres(pool) => {
                for sql in ["ALTER TABLE mids DROP CONSTRAINT mids_settlement_delay_hours_check", "UPDATE mids SET settlement_delay_hours = 721"] {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
                }
            }
        }
        assert!(app.services.mids.find(mid).await.is_err());
    }
}
