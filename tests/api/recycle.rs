//! Recycle billing profiles: the rules of SPEC 4.2 at the service layer (R-RB-1 ... R-RB-6), the
//! editor over HTTP, and property tests of the validator and the scheduler.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use proptest::prelude::*;

use crate::both_backends;
use crate::gateways::new_mid;
use crate::helpers::TestApp;
use recoup::domain::FieldErrors;
use recoup::domain::event::Actor;
use recoup::domain::ids::{MidId, RecycleProfileId};
use recoup::domain::mid::Provider;
use recoup::domain::money::MinorUnits;
use recoup::domain::recycle::{
    ATTEMPTS, Block, BlockMerchant, MidFacts, RecycleForm, ReductionType, next_friday, schedule,
    validate,
};
use recoup::services::recycle::RecycleError;

/// A valid plain profile on `mids`: all attempts active, 10 % off each, waits 1, 3, 5, ... days.
fn plain(name: &str, mids: &[MidId]) -> RecycleForm {
    let mut form = RecycleForm::blank();
    form.name = name.to_owned();
    form.mids = mids.iter().map(|m| m.to_string()).collect();
    form
}

fn errors(result: Result<RecycleProfileId, RecycleError>) -> FieldErrors {
    match result {
        Err(RecycleError::Invalid(errors)) => errors,
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn create(app: &TestApp, form: &RecycleForm) -> Result<RecycleProfileId, RecycleError> {
    app.services
        .create_recycle_profile(&Actor::system("test"), form)
        .await
}

both_backends! {
    /// R-RB-1: a MID is in at most one profile; the conflict names the MID and the profile.
    async fn r_rb_1_a_mid_is_in_at_most_one_profile(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let b = new_mid(&app, "Store B", Provider::Test, &[]).await;
        let first = create(&app, &plain("Main", &[a])).await.unwrap();
        let e = errors(create(&app, &plain("Other", &[a, b])).await);
        assert_eq!(e.get("mids"), Some("“Store A” is already in the profile “Main”."));
        assert_eq!(app.services.list_recycle_profiles().await.unwrap().len(), 1, "nothing saved");
        // Saving the profile that holds it is no conflict.
        app.services.update_recycle_profile(&Actor::system("test"), first, &plain("Main", &[a, b])).await.unwrap();
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
            assert!(errors(loser).get("mids").unwrap().contains("“Store A” is already in the profile"));
            for p in app.services.list_recycle_profiles().await.unwrap() {
                app.services.delete_recycle_profile(&Actor::system("test"), p.id).await.unwrap();
            }
        }
    }
}

both_backends! {
    /// R-RB-2: salvage-only MIDs only as the merchant of 4-6, 7-9 or the final attempt.
    async fn r_rb_2_salvage_only_mids_only_take_later_blocks(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let ff = new_mid(&app, "FF", Provider::FlexFactor, &[]).await;
        let e = errors(create(&app, &plain("P", &[a, ff])).await);
        assert!(e.get("mids").unwrap().contains("“FF” is a salvage-only FlexFactor MID"));
        let mut form = plain("P", &[a]);
        form.set_merchant(Block::Basic, ff.to_string());
        assert!(errors(create(&app, &form).await).get("merchant_1").unwrap().contains("never 1-3"));
        for block in [Block::Extended1, Block::Extended2, Block::Final] {
            let mut form = plain("P", &[a]);
            form.set_merchant(block, ff.to_string());
            let id = create(&app, &form).await.unwrap();
            app.services.delete_recycle_profile(&Actor::system("test"), id).await.unwrap();
        }
    }
}

/// The FlexPay recommended setup on `mids` with `flexpay`.
fn flexpay_form(mids: &[MidId], flexpay: MidId) -> RecycleForm {
    let mut form = plain("FlexPay recovery", mids);
    form.apply_flexpay_setup(flexpay);
    form
}

both_backends! {
    /// R-RB-3: a profile that sends a block to FlexPay has Bill on Fridays off.
    async fn r_rb_3_flexpay_profiles_do_not_bill_on_fridays(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let mut form = flexpay_form(&[a], fp);
        form.bill_on_fridays = Some("on".into());
        assert_eq!(errors(create(&app, &form).await).get("bill_on_fridays"), Some("FlexPay cannot work with Bill on Fridays: turn it off."));
        form.bill_on_fridays = None;
        create(&app, &form).await.unwrap();
    }
}

both_backends! {
    /// R-RB-4: with FlexPay exactly one attempt is active, the block's first, with 0 and 1 day.
    async fn r_rb_4_flexpay_takes_exactly_one_attempt_with_no_reduction_and_one_day(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let mut second = flexpay_form(&[a], fp);
        second.set_attempt(5, false, "0", "1");
        assert_eq!(errors(create(&app, &second).await).get("skip_5"), Some("With FlexPay, only attempt 4 stays active: skip this one."));
        let mut reduced = flexpay_form(&[a], fp);
        reduced.set_attempt(4, false, "10", "1");
        assert!(errors(create(&app, &reduced).await).get("reduction_4").unwrap().contains("no price reduction"));
        let mut waits = flexpay_form(&[a], fp);
        waits.set_attempt(4, false, "0", "2");
        assert_eq!(errors(create(&app, &waits).await).get("wait_4"), Some("FlexPay's attempt waits exactly 1 day."));
        let mut skipped = flexpay_form(&[a], fp);
        skipped.set_attempt(4, true, "0", "1");
        skipped.set_attempt(5, false, "0", "1");
        assert_eq!(errors(create(&app, &skipped).await).get("skip_4"), Some("FlexPay takes attempt 4: leave it active."));
        let mut two_blocks = flexpay_form(&[a], fp);
        two_blocks.set_merchant(Block::Extended2, fp.to_string());
        assert!(errors(create(&app, &two_blocks).await).get("merchant_3").unwrap().contains("Only one block may go to FlexPay"));
        let id = create(&app, &flexpay_form(&[a], fp)).await.unwrap();
        let saved = app.services.find_recycle_profile(id).await.unwrap().profile;
        assert_eq!(saved.active_attempts(), [4]);
        assert_eq!(saved.blocks[Block::Extended1.index()], BlockMerchant::Mid(fp));
    }
}

both_backends! {
    /// R-RB-5: ranges, at least one active attempt, at least one MID, and no made-up MID ids.
    async fn r_rb_5_reductions_waits_attempts_and_mids_are_checked(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        for (bad, message) in [("-1", "Enter a percent"), ("101", "at most 100"), ("12.5.5", "Enter a percent"), ("ten", "Enter a percent")] {
            let mut form = plain("P", &[a]);
            form.set_attempt(2, false, bad, "3");
            assert!(errors(create(&app, &form).await).get("reduction_2").unwrap().contains(message), "{bad}");
        }
        for (bad, message) in [("-1", "0 to 90"), ("91", "0 to 90"), ("2.5", "whole number"), ("soon", "whole number")] {
            let mut form = plain("P", &[a]);
            form.set_attempt(3, false, "0", bad);
            assert!(errors(create(&app, &form).await).get("wait_3").unwrap().contains(message), "{bad}");
        }
        let mut flat = plain("P", &[a]);
        flat.reduction_type = "flat".into();
        flat.set_attempt(1, false, "abc", "1");
        assert!(errors(create(&app, &flat).await).get("reduction_1").unwrap().contains("Enter an amount"));
        let mut all_skipped = plain("P", &[a]);
        for n in 1..=ATTEMPTS {
            all_skipped.set_attempt(n, true, "0", "1");
        }
        assert!(errors(create(&app, &all_skipped).await).get("attempts").is_some());
        assert!(errors(create(&app, &plain("P", &[])).await).get("mids").unwrap().contains("Pick at least one MID"));
        let mut unknown = plain("P", &[a]);
        unknown.mids.push("99999".into());
        assert!(errors(create(&app, &unknown).await).get("mids").unwrap().contains("does not exist"));
        let mut several = plain("", &[]);
        several.set_attempt(1, false, "101", "91");
        let e = errors(create(&app, &several).await);
        for field in ["name", "mids", "reduction_1", "wait_1"] {
            assert!(e.get(field).is_some(), "{field} reported at once");
        }
        assert!(app.services.list_recycle_profiles().await.unwrap().is_empty());
    }
}

both_backends! {
    /// R-RB-6: Bill on Fridays moves each due date to the next Friday; off, dates are the waits apart.
    async fn r_rb_6_schedules_follow_waits_and_fridays(app) {
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let mut form = plain("P", &[a]);
        for n in 1..=ATTEMPTS {
            form.set_attempt(n, n > 3, "10", "2");
        }
        form.minimum_price = "40".into();
        let id = create(&app, &form).await.unwrap();
        let profile = app.services.find_recycle_profile(id).await.unwrap().profile;
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let plan = schedule(&profile, monday, MinorUnits::new(5000));
        assert_eq!(plan.iter().map(|p| p.due).collect::<Vec<_>>(), [monday + Duration::days(2), monday + Duration::days(4), monday + Duration::days(6)]);
        assert_eq!(plan.iter().map(|p| p.amount.get()).collect::<Vec<_>>(), [4500, 4050, 4000], "10 % off each, never below 40.00");
        assert!(schedule(&profile, monday, MinorUnits::new(3999)).is_empty(), "below the minimum price: not recycled");

        form.bill_on_fridays = Some("on".into());
        app.services.update_recycle_profile(&Actor::system("test"), id, &form).await.unwrap();
        let fridays = app.services.find_recycle_profile(id).await.unwrap().profile;
        let plan = schedule(&fridays, monday, MinorUnits::new(5000));
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
        let editor = app.get_html("/recycle-billing/new").await;
        for text in ["Basic Salvage Rules", "Extended Salvage Rules", "Final Attempt", "Apply to Merchants", "FlexPay recommended setup", "Bill on Fridays"] {
            assert!(editor.contains(text), "{text}");
        }
        let created = app.post_form("/recycle-billing", &refs(&seed_fields(&[a, b], fp))).await;
        assert_redirects_to(&created, "/recycle-billing");
        let list = app.get_html("/recycle-billing").await;
        assert!(list.contains("FlexPay recovery") && list.contains("Store A, Store B") && list.contains("Re-Attempts 4 – 6: FlexPay MID"));
        assert!(app.get_html("/mids").await.contains("FlexPay recovery"), "the MID list says which profile uses a MID");

        let id = app.services.list_recycle_profiles().await.unwrap()[0].id;
        let edit = app.get_html(&format!("/recycle-billing/{id}/edit")).await;
        assert!(edit.contains("id=\"mid-") && edit.contains("Save Profile"));
        let mut fields = seed_fields(&[a], fp);
        fields[0].1 = "FlexPay recovery (A only)".into();
        assert_redirects_to(&app.post_form(&format!("/recycle-billing/{id}"), &refs(&fields)).await, "/recycle-billing");
        assert_eq!(app.services.find_recycle_profile(id).await.unwrap().profile.apply_to, [a]);

        let copy = app.get_html(&format!("/recycle-billing/new?from={id}")).await;
        assert!(copy.contains("value=\"Copy of FlexPay recovery (A only)\"") && !copy.contains(&format!("value=\"{a}\" checked")));

        let ask = app.post_form(&format!("/recycle-billing/{id}/delete"), &[]).await;
        assert!(ask.text().await.unwrap().contains("Delete the decline salvage profile"));
        assert_redirects_to(&app.post_form(&format!("/recycle-billing/{id}/delete"), &[("confirm", "yes")]).await, "/recycle-billing");
        assert!(app.services.list_recycle_profiles().await.unwrap().is_empty());
        let log = app.services.list_events(&Default::default(), recoup::domain::page::PageRequest::new(None, 100)).await.unwrap();
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
        let cases: Vec<(&str, &str, &str)> = vec![
            ("mids", &b, "“Store B” is already in the profile “FlexPay recovery”."),
            ("mids", &fp_id, "salvage-only FlexPay MID"),
            ("mids", "424242", "does not exist"),
            ("bill_on_fridays", "on", "FlexPay cannot work with Bill on Fridays"),
            ("reduction_4", "5", "no price reduction"),
            ("wait_4", "3", "waits exactly 1 day"),
        ];
        for (field, value, message) in cases {
            let mut fields = seed_fields(&[a], fp);
            fields.retain(|(k, _)| k != field || field == "mids");
            fields.push((field.to_owned(), value.to_owned()));
            let response = app.post_form("/recycle-billing", &refs(&fields)).await;
            assert_eq!(response.status().as_u16(), 422, "{field}={value}");
            let body = response.text().await.unwrap();
            assert!(body.contains(message), "{field}={value}: {message}");
            assert!(body.contains(&format!("id=\"err-{field}\"")), "the message sits by its field");
        }
        let mut block1 = seed_fields(&[a], fp);
        block1.retain(|(k, _)| k != "merchant_1");
        block1.push(("merchant_1".into(), fp.to_string()));
        assert!(app.post_form("/recycle-billing", &refs(&block1)).await.text().await.unwrap().contains("never 1-3"));
        let mut second = seed_fields(&[a], fp);
        second.retain(|(k, _)| k != "skip_5");
        assert!(app.post_form("/recycle-billing", &refs(&second)).await.text().await.unwrap().contains("only attempt 4 stays active"));
        assert_eq!(app.services.list_recycle_profiles().await.unwrap().len(), 1, "only the first profile exists");
        let junk = app.post_form("/recycle-billing/999999", &refs(&seed_fields(&[a], fp))).await;
        assert_eq!(junk.status().as_u16(), 404);
    }
}

both_backends! {
    async fn live_validation_preset_preview_and_the_mid_filter_answer_fragments(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        new_mid(&app, "Other shop", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let token = csrf_in(&app.get_html("/recycle-billing/new").await);
        let htmx = |path: &str, fields: &[(String, String)]| {
            app.client
                .post(app.url(path))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", token.clone())
                .form(&refs(fields))
                .send()
        };
        let mut fields = seed_fields(&[a], fp);
        fields.push(("bill_on_fridays".into(), "on".into()));
        let live = htmx("/recycle-billing/validate", &fields).await.unwrap().text().await.unwrap();
        assert!(live.contains("id=\"err-bill_on_fridays\" role=\"alert\" hx-swap-oob=\"true\">FlexPay cannot work with Bill on Fridays"));
        assert!(live.contains("id=\"err-name\" role=\"alert\" hx-swap-oob=\"true\"></p>"), "fixed fields are cleared");
        assert!(app.services.list_recycle_profiles().await.unwrap().is_empty(), "validation saves nothing");

        let mut preview = seed_fields(&[a], fp);
        preview.push(("preview_amount".into(), "49.99".into()));
        preview.push(("preview_date".into(), "2026-11-16".into()));
        let shown = htmx("/recycle-billing/preview", &preview).await.unwrap().text().await.unwrap();
        assert!(shown.contains("Attempt 4") && shown.contains("Tue 2026-11-17") && shown.contains("49.99 USD") && shown.contains("FlexPay MID"), "{shown}");

        let mut blank: Vec<(String, String)> = vec![("name".into(), "Mine".into()), ("preset_mid".into(), fp.to_string()), ("reduction_type".into(), "percent".into())];
        for n in 1..=ATTEMPTS {
            blank.push((format!("reduction_{n}"), "5".into()));
            blank.push((format!("wait_{n}"), "3".into()));
        }
        let filled = htmx("/recycle-billing/preset", &blank).await.unwrap().text().await.unwrap();
        assert!(filled.contains("name=\"skip_1\" checked") && !filled.contains("name=\"skip_4\" checked") && filled.contains("name=\"skip_10\" checked"));
        assert!(filled.contains("name=\"reduction_4\" value=\"0\"") && filled.contains("name=\"wait_4\" value=\"1\""));
        assert!(filled.contains(&format!("<option value=\"{fp}\" selected>FlexPay MID")));

        let list = htmx("/recycle-billing/mid-list", &[("mid_filter".into(), "store".into()), ("mids".into(), a.to_string())]).await.unwrap().text().await.unwrap();
        assert!(list.contains("Store A") && list.contains(&format!("value=\"{a}\" checked")));
        let other = list.split("Other shop").next().unwrap();
        assert!(other.rfind("<div class=\"check\"").map(|i| other[i..].contains(" hidden")).unwrap_or(false), "non-matching MIDs are hidden, not dropped");
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests: the validator's output satisfies every rule; the schedule honours R-RB-6.

const PROVIDERS: [Provider; 4] = [
    Provider::Test,
    Provider::FlexPay,
    Provider::FlexFactor,
    Provider::FlexEcom,
];

fn facts() -> Vec<MidFacts> {
    (1..=8)
        .map(|i| MidFacts {
            id: MidId(i),
            title: format!("MID {i}"),
            provider: PROVIDERS[(i as usize) % 4],
            held_by: (i == 8).then(|| (RecycleProfileId(99), "Other".to_owned())),
        })
        .collect()
}

prop_compose! {
    fn arbitrary_form()(
        mids in proptest::collection::vec(1i64..=9, 0..4),
        merchants in proptest::collection::vec(proptest::option::of(1i64..=9), 4),
        attempts in proptest::collection::vec((any::<bool>(), prop_oneof!["0", "1", "5", "12.5", "100", "101", "-1", "x"], prop_oneof!["0", "1", "2", "7", "90", "91", "-1", "2.5"]), ATTEMPTS),
        fridays in any::<bool>(),
        flat in any::<bool>(),
    ) -> RecycleForm {
        let mut form = RecycleForm::blank();
        form.name = "P".into();
        form.bill_on_fridays = fridays.then(|| "on".into());
        form.reduction_type = if flat { "flat".into() } else { "percent".into() };
        form.mids = mids.iter().map(|m| m.to_string()).collect();
        for (block, m) in Block::ALL.into_iter().zip(merchants) {
            form.set_merchant(block, m.map_or_else(|| "original".to_owned(), |m| m.to_string()));
        }
        for (i, (skip, r, w)) in attempts.into_iter().enumerate() {
            form.set_attempt(i + 1, skip, &r, &w);
        }
        form
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_profile_the_validator_accepts_satisfies_every_rule(form in arbitrary_form()) {
        let facts = facts();
        if let Ok(p) = validate(&form, &facts) {
            let provider = |id: MidId| facts.iter().find(|f| f.id == id).map(|f| f.provider);
            prop_assert!(!p.apply_to.is_empty());
            for m in &p.apply_to {
                let fact = facts.iter().find(|f| f.id == *m).unwrap();
                prop_assert!(!fact.provider.is_salvage_only() && fact.held_by.is_none());
            }
            if let BlockMerchant::Mid(m) = p.blocks[0] {
                prop_assert!(!provider(m).unwrap().is_salvage_only());
            }
            prop_assert!(p.attempts.iter().any(|a| !a.skip));
            for a in p.attempts.iter().filter(|a| !a.skip) {
                prop_assert!((0..=90).contains(&a.wait_days));
                if p.reduction_type == ReductionType::Percent { prop_assert!((0..=10_000).contains(&a.reduction)); }
                prop_assert!(a.reduction >= 0);
            }
            let flexpay: Vec<Block> = Block::ALL.into_iter().filter(|b| matches!(p.blocks[b.index()], BlockMerchant::Mid(m) if provider(m) == Some(Provider::FlexPay))).collect();
            if let Some(block) = flexpay.first() {
                prop_assert!(!p.bill_on_fridays);
                prop_assert_eq!(p.active_attempts(), vec![block.first_attempt()]);
                let only = p.attempt(block.first_attempt());
                prop_assert_eq!((only.reduction, only.wait_days), (0, 1));
            }
        }
    }

    #[test]
    fn schedules_land_on_fridays_or_exactly_the_waits_apart(
        waits in proptest::collection::vec((any::<bool>(), 0i64..=90), ATTEMPTS),
        fridays in any::<bool>(),
        start in 0i64..3650,
        amount in 1i64..1_000_000,
    ) {
        let mut form = RecycleForm::blank();
        form.name = "P".into();
        form.mids = vec!["4".into()];
        form.bill_on_fridays = fridays.then(|| "on".into());
        for (i, (skip, wait)) in waits.iter().enumerate() {
            form.set_attempt(i + 1, *skip && i != 0, "10", &wait.to_string());
        }
        let profile = validate(&form, &facts()).expect("valid");
        let declined = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days(start);
        let plan = schedule(&profile, declined, MinorUnits::new(amount));
        let mut previous = declined;
        let mut price = amount;
        for p in &plan {
            let wait = profile.attempt(p.number).wait_days;
            if fridays {
                prop_assert_eq!(p.due.weekday(), Weekday::Fri);
                prop_assert!(p.due >= previous + Duration::days(wait));
                prop_assert!(p.due < previous + Duration::days(wait) + Duration::days(7));
                prop_assert_eq!(p.due, next_friday(previous + Duration::days(wait)));
            } else {
                prop_assert_eq!(p.due, previous + Duration::days(wait));
            }
            prop_assert!(p.amount.get() <= price && p.amount.get() >= profile.minimum_price.get());
            previous = p.due;
            price = p.amount.get();
        }
        prop_assert_eq!(plan.len(), profile.active_attempts().len());
    }
}
