//! Recycle billing profiles through the service and the database (R-RB-1, a saved profile
//! reading back as validated, R-RB-6 on a stored profile) and the editor over HTTP. The pure
//! rules (R-RB-2 ... R-RB-5, the schedule's properties) are unit tests of `domain::recycle`.

use chrono::{Duration, NaiveDate};

use crate::both_backends;
use crate::gateways::new_mid;
use crate::helpers::TestApp;
use recoup::domain::FieldErrors;
use recoup::domain::event::Actor;
use recoup::domain::ids::{MidId, RecycleProfileId};
use recoup::domain::money::{BasisPoints, Currency, MinorUnits, Money};
use recoup::domain::provider::Provider;
use recoup::domain::recycle::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, RecycleDraft, Reduction, schedule,
};
use recoup::services::recycle::RecycleError;

fn usd(minor: i64) -> Money {
    Money::new(MinorUnits::from_minor(minor), Currency::Usd)
}

/// A valid plain profile on `mids`: all attempts active, 10 % off each, waits 1, 3, 5, ... days.
fn plain(name: &str, mids: &[MidId]) -> RecycleDraft {
    RecycleDraft {
        name: name.to_owned(),
        apply_to: mids.to_vec(),
        ..RecycleDraft::blank()
    }
}

fn errors(result: Result<RecycleProfileId, RecycleError>) -> FieldErrors {
    match result {
        Err(RecycleError::Invalid(errors)) => errors,
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn create(app: &TestApp, draft: &RecycleDraft) -> Result<RecycleProfileId, RecycleError> {
    app.services
        .recycle
        .create(&Actor::system("test"), draft)
        .await
}

both_backends! {
    /// R-RB-1: a MID is in at most one profile; the conflict names the MID and the profile.
    async fn r_rb_1_a_mid_is_in_at_most_one_profile(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let b = new_mid(&app, "Store B", Provider::Test, &[]).await;
        let first = create(&app, &plain("Main", &[a])).await.unwrap();
        let e = errors(create(&app, &plain("Other", &[a, b])).await);
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), ["mids"]);
        let conflict = e.get("mids").unwrap();
        assert!(conflict.contains("Store A") && conflict.contains("Main") && !conflict.contains("Store B"), "names the MID and the profile: {conflict}");
        assert_eq!(app.services.recycle.list().await.unwrap().len(), 1, "nothing saved");
        // Saving the profile that holds it is no conflict.
        app.services.recycle.update(&Actor::system("test"), first, &plain("Main", &[a, b])).await.unwrap();
    }
}

both_backends! {
    /// R-RB-1 under concurrency: two saves claiming one MID at once cannot both succeed.
    async fn r_rb_1_two_concurrent_saves_of_one_mid_cannot_both_succeed(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        for round in 0..3 {
            let (left, right) = (plain(&format!("Left {round}"), &[a]), plain(&format!("Right {round}"), &[a]));
            let (x, y) = tokio::join!(create(&app, &left), create(&app, &right));
            let ok = [x.is_ok(), y.is_ok()].iter().filter(|v| **v).count();
            assert_eq!(ok, 1, "exactly one save wins");
            let loser = if x.is_ok() { y } else { x };
            assert!(errors(loser).get("mids").unwrap().contains("Store A"), "the loser is told which MID");
            for p in app.services.recycle.list().await.unwrap() {
                app.services.recycle.delete(&Actor::system("test"), p.id).await.unwrap();
            }
        }
    }
}

/// The FlexPay recommended setup on `mids` with `flexpay`.
fn flexpay_draft(mids: &[MidId], flexpay: MidId) -> RecycleDraft {
    let mut draft = plain("FlexPay recovery", mids);
    draft.apply_flexpay_setup(flexpay);
    draft
}

both_backends! {
    /// R-RB-2 ... R-RB-4 as stored: a FlexPay profile reads back as the validator built it.
    async fn a_saved_flexpay_profile_reads_back_as_validated(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let id = create(&app, &flexpay_draft(&[a], fp)).await.unwrap();
        let saved = app.services.recycle.find(id).await.unwrap().profile;
        assert_eq!(saved.active_attempts(), [4]);
        assert_eq!(saved.blocks, [BlockMerchant::Original, BlockMerchant::Mid(fp), BlockMerchant::Original, BlockMerchant::Original]);
        assert_eq!((saved.apply_to.as_slice(), saved.bill_on_fridays), ([a].as_slice(), false));
        let only = saved.attempt(4);
        assert_eq!((only.reduction.is_zero(), only.wait_days), (true, 1));
    }
}

both_backends! {
    /// R-RB-6: Bill on Fridays moves each due date to the next Friday; off, dates are the waits apart.
    async fn r_rb_6_schedules_follow_waits_and_fridays(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let mut draft = plain("P", &[a]);
        let ten_percent = Reduction::Percent(BasisPoints::new(1000).unwrap());
        for n in 1..=ATTEMPTS {
            *draft.attempt_mut(n) = AttemptRule { skip: n > 3, reduction: ten_percent, wait_days: 2 };
        }
        draft.minimum_price = usd(4000);
        let id = create(&app, &draft).await.unwrap();
        let profile = app.services.recycle.find(id).await.unwrap().profile;
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let plan = schedule(&profile, monday, usd(5000)).unwrap();
        assert_eq!(plan.iter().map(|p| p.due).collect::<Vec<_>>(), [monday + Duration::days(2), monday + Duration::days(4), monday + Duration::days(6)]);
        assert_eq!(plan.iter().map(|p| p.amount.amount().get()).collect::<Vec<_>>(), [4500, 4050, 4000], "10 % off each, never below 40.00");
        assert!(schedule(&profile, monday, usd(3999)).unwrap().is_empty(), "below the minimum price: not recycled");

        draft.bill_on_fridays = true;
        app.services.recycle.update(&Actor::system("test"), id, &draft).await.unwrap();
        let fridays = app.services.recycle.find(id).await.unwrap().profile;
        let plan = schedule(&fridays, monday, usd(5000)).unwrap();
        let friday = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(plan.iter().map(|p| p.due).collect::<Vec<_>>(), [friday, friday + Duration::days(7), friday + Duration::days(14)]);
    }
}

/// Form fields for the seed-000 profile, as a browser would post them.
fn seed_fields(mids: &[MidId], flexpay: MidId) -> Vec<(String, String)> {
    let mut fields = vec![
        ("name".to_owned(), "FlexPay recovery".to_owned()),
        ("reduction_type".to_owned(), "percent".to_owned()),
        ("minimum_price".to_owned(), "0".to_owned()),
        ("merchant_1".to_owned(), "original".to_owned()),
        ("merchant_2".to_owned(), flexpay.to_string()),
        ("merchant_3".to_owned(), "original".to_owned()),
        ("merchant_4".to_owned(), "original".to_owned()),
    ];
    fields.extend(mids.iter().map(|m| ("mids".to_owned(), m.to_string())));
    for n in 1..=ATTEMPTS {
        if n != 4 {
            fields.push((format!("skip_{n}"), "on".to_owned()));
        }
        fields.push((format!("reduction_{n}"), "0".to_owned()));
        fields.push((format!("wait_{n}"), "1".to_owned()));
    }
    fields
}

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

both_backends! {
    async fn a_merchant_creates_edits_duplicates_and_deletes_a_profile(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let b = new_mid(&app, "Store B", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let editor = app.get_page("/recycle-billing/new").await;
        for block in Block::ALL {
            assert!(editor.has(&format!("select[name={}]", block.field())), "{block:?} picks its merchant");
        }
        for n in 1..=ATTEMPTS {
            for field in ["skip", "reduction", "wait"] {
                assert!(editor.has(&format!("input[name={field}_{n}]")), "{field}_{n}");
            }
        }
        assert!(editor.has("input[type=checkbox][name=bill_on_fridays]") && editor.has("#flexpay-setup"));
        assert_eq!(editor.all("#mid-list input[name=mids]").len(), 3, "every MID is offered");

        let created = app.post_form("/recycle-billing", &refs(&seed_fields(&[a, b], fp))).await;
        assert_redirects_to(&created, "/recycle-billing");
        let id = app.services.recycle.list().await.unwrap()[0].id;
        let list = app.get_page("/recycle-billing").await;
        let row = format!("#recycle-{id}");
        assert_eq!(list.text(&format!("{row} td:first-child")), "FlexPay recovery");
        assert_eq!(list.text(&format!("{row} td:nth-child(2)")), "Store A, Store B");
        assert_eq!(list.texts(&format!("{row} li")), [format!("{}: FlexPay MID", Block::Extended1.label())], "blocks that run no attempt are left out");
        assert_eq!(list.text(&format!("{row} td:nth-child(4)")), "attempt 4 only");
        let mid_row = app.get_page("/mids").await.text(&format!("#mid-{a}"));
        assert!(mid_row.contains("FlexPay recovery"), "the MID list says which profile uses a MID: {mid_row}");

        let edit = app.get_page(&format!("/recycle-billing/{id}/edit")).await;
        assert_eq!(edit.attr_of("#profile-form", "action"), Some(format!("/recycle-billing/{id}")));
        assert_eq!(edit.value_of("name").as_deref(), Some("FlexPay recovery"));
        assert_eq!(edit.checked_values("mids"), [a.to_string(), b.to_string()]);
        let mut fields = seed_fields(&[a], fp);
        fields[0].1 = "FlexPay recovery (A only)".into();
        assert_redirects_to(&app.post_form(&format!("/recycle-billing/{id}"), &refs(&fields)).await, "/recycle-billing");
        assert_eq!(app.services.recycle.find(id).await.unwrap().profile.apply_to, [a]);

        let copy = app.get_page(&format!("/recycle-billing/new?from={id}")).await;
        let name = copy.value_of("name").unwrap_or_default();
        assert!(name != "FlexPay recovery (A only)" && name.contains("FlexPay recovery (A only)"), "a new name from the old: {name}");
        assert_eq!(copy.attr_of("#profile-form", "action").as_deref(), Some("/recycle-billing"), "the copy is a new profile");
        assert!(copy.checked_values("mids").is_empty(), "a MID stays in its one profile");
        assert_eq!(copy.value_of("wait_4").as_deref(), Some("1"), "the rules are copied");

        let ask = page_of(app.post_form(&format!("/recycle-billing/{id}/delete"), &[]).await).await;
        assert!(ask.has(&format!("form[action='/recycle-billing/{id}/delete'] input[name=confirm][value=yes]")), "a confirming form is offered");
        assert!(app.services.recycle.find(id).await.is_ok(), "asking deletes nothing");
        assert_redirects_to(&app.post_form(&format!("/recycle-billing/{id}/delete"), &[("confirm", "yes")]).await, "/recycle-billing");
        assert!(app.services.recycle.list().await.unwrap().is_empty());
        let log = app.services.events.list(&Default::default(), recoup::domain::page::KeysetRequest { after: None, size: 100 }).await.unwrap();
        for kind in ["recycle_profile.created", "recycle_profile.updated", "recycle_profile.deleted"] {
            assert!(log.items.iter().any(|e| e.kind == kind), "{kind}");
        }
        assert_eq!(app.get(&format!("/recycle-billing/{id}/edit")).await.status().as_u16(), 404, "a profile id of no record");
    }
}

both_backends! {
    async fn every_bad_input_is_shown_by_its_field_and_saves_nothing(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let b = new_mid(&app, "Store B", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        app.post_form("/recycle-billing", &refs(&seed_fields(&[b], fp))).await;
        let (b, fp_id) = (b.to_string(), fp.to_string());
        // Each case: a field, a bad value, and what its message must name (the data, not the wording).
        let cases: Vec<(&str, &str, &[&str])> = vec![
            ("mids", &b, &["Store B", "FlexPay recovery"]),
            ("mids", &fp_id, &["FlexPay MID"]),
            ("mids", "424242", &[]),
            ("bill_on_fridays", "on", &[]),
            ("reduction_4", "5", &[]),
            ("wait_4", "3", &[]),
            ("merchant_1", &fp_id, &["FlexPay MID"]),
        ];
        for (field, value, names) in cases {
            let mut fields = seed_fields(&[a], fp);
            fields.retain(|(k, _)| k != field || field == "mids");
            fields.push((field.to_owned(), value.to_owned()));
            let response = app.post_form("/recycle-billing", &refs(&fields)).await;
            assert_eq!(response.status().as_u16(), 422, "{field}={value}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), [field], "{field}={value}: the message sits by its field");
            let message = page.field_error(field).unwrap();
            for name in names {
                assert!(message.contains(name), "{field}={value}: {message} names {name}");
            }
            assert_eq!(page.attr_of(".error-summary a", "href").as_deref(), Some(format!("#{field}").as_str()), "{field}={value}: the summary links to the field");
        }
        let mut second = seed_fields(&[a], fp);
        second.retain(|(k, _)| k != "skip_5");
        assert_eq!(page_of(app.post_form("/recycle-billing", &refs(&second)).await).await.fields_with_errors(), ["skip_5"], "only attempt 4 stays active");
        assert_eq!(app.services.recycle.list().await.unwrap().len(), 1, "only the first profile exists");
        let junk = app.post_form("/recycle-billing/999999", &refs(&seed_fields(&[a], fp))).await;
        assert_eq!(junk.status().as_u16(), 404);
    }
}

both_backends! {
    async fn live_validation_preset_preview_and_the_mid_filter_answer_fragments(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let other = new_mid(&app, "Other shop", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let token = csrf_in(&app.get_html("/recycle-billing/new").await);
        // htmx names the control whose change sent the request; "" for a button without a name.
        let htmx = |path: &str, trigger: &str, fields: &[(String, String)]| {
            let mut request = app
                .client
                .post(app.url(path))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", token.clone());
            if !trigger.is_empty() {
                request = request.header("HX-Trigger-Name", trigger.to_owned());
            }
            request.form(&refs(fields)).send()
        };
        let editor = app.get_page("/recycle-billing/new").await;
        assert!(editor.all("[role=alert]").is_empty(), "no slot shouts");
        assert_eq!(editor.attr_of("#form-status", "role").as_deref(), Some("status"));
        assert_eq!(editor.attr_of("#form-status", "aria-live").as_deref(), Some("polite"));
        assert_eq!(editor.attr_of("#preview-summary", "aria-live").as_deref(), Some("polite"));
        assert_eq!(editor.fields_with_errors(), Vec::<String>::new(), "a fresh editor shows no message");
        for trigger in editor.all("[hx-trigger]").iter().filter_map(|e| e.attr("hx-trigger")) {
            assert!(!trigger.contains("input delay"), "no check while typing: {trigger}");
        }
        assert_eq!(editor.attr_of("#name", "hx-trigger").as_deref(), Some("change"), "a field is checked when it changes");

        let mut fields = seed_fields(&[a], fp);
        fields[0].1 = String::new();
        fields.push(("bill_on_fridays".into(), "on".into()));
        let live = page_of(htmx("/recycle-billing/validate", "bill_on_fridays", &fields).await.unwrap()).await;
        assert_eq!(live.fields_with_errors(), ["bill_on_fridays"], "the blank name is not touched yet");
        for field in ["bill_on_fridays", "name"] {
            assert_eq!(live.attr_of(&format!("#{field}-error"), "hx-swap-oob").as_deref(), Some("true"), "{field} is swapped in place");
        }
        assert!(live.all("[role=alert]").is_empty());
        assert_eq!(live.attr_of("#touched", "hx-swap-oob").as_deref(), Some("true"));
        assert_eq!(live.value_of("touched").as_deref(), Some("bill_on_fridays"));
        assert_eq!(live.attr_of("#form-status", "hx-swap-oob").as_deref(), Some("innerHTML"), "the region stays, its words change");
        let status = live.text("#form-status");
        assert!(status.starts_with("Bill on Fridays") && status.contains("FlexPay"), "the status is about the change: {status}");
        assert!(!live.has("#preview-summary") || live.has("#preview tbody tr"), "a preview swapped in shows rows");

        fields.push(("touched".into(), "bill_on_fridays".into()));
        let named = page_of(htmx("/recycle-billing/validate", "name", &fields).await.unwrap()).await;
        assert_eq!(named.fields_with_errors(), ["name", "bill_on_fridays"], "touched fields keep their messages");
        assert_eq!(named.value_of("touched").as_deref(), Some("name bill_on_fridays"));
        assert!(named.text("#form-status").starts_with("Profile name:"), "only about the name");
        assert_eq!(named.all("input").len(), 1, "no field is swapped under the user's hands, only #touched");
        assert!(!named.has("#preview"), "a name does not move the schedule");

        fields[0].1 = "Fixed".into();
        let fixed = page_of(htmx("/recycle-billing/validate", "name", &fields).await.unwrap()).await;
        assert_eq!(fixed.fields_with_errors(), ["bill_on_fridays"]);
        assert_eq!(fixed.field_error("name"), None, "fixed fields are cleared");
        assert_eq!(fixed.text("#form-status"), "Profile name: looks good.");
        assert!(app.services.recycle.list().await.unwrap().is_empty(), "validation saves nothing");

        let mut preview = seed_fields(&[a], fp);
        preview.push(("preview_amount".into(), "49.99".into()));
        preview.push(("preview_date".into(), "2026-11-16".into()));
        let shown = page_of(htmx("/recycle-billing/preview", "", &preview).await.unwrap()).await;
        let rows = shown.all("#preview tbody tr");
        assert_eq!(rows.len(), 1, "one active attempt");
        let cells = shown.texts("#preview tbody tr td");
        assert!(cells[0].ends_with('4'), "attempt 4: {cells:?}");
        assert!(cells[1].contains("2026-11-17"), "the day after the decline: {cells:?}");
        assert!(cells[2].contains("49.99"), "no reduction: {cells:?}");
        assert_eq!(cells[3], "FlexPay MID");

        let mut blank: Vec<(String, String)> = vec![("name".into(), "Mine".into()), ("preset_mid".into(), fp.to_string()), ("reduction_type".into(), "percent".into())];
        for n in 1..=ATTEMPTS {
            blank.push((format!("reduction_{n}"), "5".into()));
            blank.push((format!("wait_{n}"), "3".into()));
        }
        let filled = page_of(htmx("/recycle-billing/preset", "", &blank).await.unwrap()).await;
        for n in 1..=ATTEMPTS {
            assert_eq!(filled.is_checked(&format!("input[name=skip_{n}]")), n != 4, "only attempt 4 stays active: {n}");
        }
        assert_eq!((filled.value_of("reduction_4").as_deref(), filled.value_of("wait_4").as_deref()), (Some("0"), Some("1")));
        assert_eq!(filled.selected(Block::Extended1.field()), Some(fp.to_string()));
        assert!(!filled.is_checked("input[name=bill_on_fridays]"));
        assert_eq!(filled.value_of("name").as_deref(), Some("Mine"), "the rest of the form is kept");

        let list = page_of(htmx("/recycle-billing/mid-list", "", &[("mid_filter".into(), "store".into()), ("mids".into(), a.to_string())]).await.unwrap()).await;
        assert_eq!(list.checked_values("mids"), [a.to_string()]);
        let mut hidden: Vec<String> = list
            .all("#mid-list .check[hidden] input[name=mids]")
            .iter()
            .filter_map(|i| i.attr("value").map(str::to_owned))
            .collect();
        hidden.sort();
        let mut expected = vec![other.to_string(), fp.to_string()];
        expected.sort();
        assert_eq!(hidden, expected, "non-matching MIDs are hidden, not dropped");
        assert_eq!(list.all("#mid-list input[name=mids]").len(), 3);
    }
}

mod editor_a11y;
mod listing;
mod moving;
