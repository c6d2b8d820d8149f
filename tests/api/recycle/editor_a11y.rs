//! The editor's messages people can find and hear (issue #9): the error summary, fields
//! described by their messages and hints, skipped attempts out of use but kept, merchant
//! choices told apart, and a preview before the profile is complete.

use crate::both_backends;
use crate::gateways::new_mid;
use crate::helpers::Page;
use recoup::domain::provider::Provider;
use recoup::domain::recycle::{ATTEMPTS, Block};

use super::{refs, seed_fields};

/// Every `aria-describedby` and summary link on `page` points at an element that exists.
fn assert_references_resolve(page: &Page) {
    for element in page.all("[aria-describedby]") {
        for id in element
            .attr("aria-describedby")
            .unwrap_or_default()
            .split_whitespace()
        {
            assert!(
                page.has(&format!("[id='{id}']")),
                "aria-describedby names #{id}, which is missing"
            );
        }
    }
    for link in page.all(".error-summary a") {
        let id = link
            .attr("href")
            .unwrap_or_default()
            .trim_start_matches('#');
        assert!(
            page.has(&format!("[id='{id}']")),
            "the summary links to #{id}, which is missing"
        );
    }
}

/// A plain (non-FlexPay) profile's fields: every attempt active, 1 day apart.
fn plain_fields(name: &str, mids: &[String]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("name".to_owned(), name.to_owned()),
        ("reduction_type".to_owned(), "percent".to_owned()),
        ("minimum_price".to_owned(), "0".to_owned()),
    ];
    for block in Block::ALL {
        fields.push((block.field().to_owned(), "original".to_owned()));
    }
    fields.extend(mids.iter().map(|m| ("mids".to_owned(), m.clone())));
    for n in 1..=ATTEMPTS {
        fields.push((format!("reduction_{n}"), "0".to_owned()));
        fields.push((format!("wait_{n}"), "1".to_owned()));
    }
    fields
}

fn set(fields: &mut Vec<(String, String)>, key: &str, value: &str) {
    fields.retain(|(k, _)| k != key);
    fields.push((key.to_owned(), value.to_owned()));
}

both_backends! {
    async fn a_failed_save_lists_every_message_at_the_top_and_describes_each_field(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let fp = new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
        let mut fields = seed_fields(&[], fp);
        set(&mut fields, "name", "");
        set(&mut fields, "bill_on_fridays", "on");
        set(&mut fields, "wait_4", "soon");
        let response = app.post_form("/recycle-billing", &refs(&fields)).await;
        assert_eq!(response.status().as_u16(), 422);
        let page = page_of(response).await;

        assert_eq!(page.attr_of(".error-summary", "tabindex").as_deref(), Some("-1"));
        assert!(page.attr_of(".error-summary", "autofocus").is_some(), "the summary takes focus");
        let links: Vec<String> = page.all(".error-summary a").iter().filter_map(|a| a.attr("href").map(str::to_owned)).collect();
        assert_eq!(links, ["#name", "#bill_on_fridays", "#mids", "#wait_4"], "every message, in page order");
        assert_eq!(page.texts(".error-summary li").len(), 4);
        assert!(page.has("fieldset#mids > legend"), "the group's key is its fieldset");
        assert_references_resolve(&page);
        assert!(page.all("[role=alert]").is_empty(), "no slot shouts");

        assert_eq!(page.attr_of("input#name", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(page.attr_of("input#name", "aria-describedby").as_deref(), Some("name-error"));
        assert!(page.field_error("name").is_some());
        assert_eq!(page.attr_of("input#wait_4", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(page.attr_of("input#wait_4", "aria-describedby").as_deref(), Some("wait_4-error"));
        assert_eq!(page.attr_of("#bill_on_fridays", "aria-describedby").as_deref(), Some("bill_on_fridays-error bill_on_fridays-hint"), "the message and the hint");
        assert_eq!(page.attr_of("#minimum_price", "aria-invalid"), None, "a field without a message is not invalid");
        assert_eq!(page.attr_of("#minimum_price", "aria-describedby").as_deref(), Some("minimum_price-hint"), "its hint still describes it");
        assert!(page.attr_of("fieldset#mids", "aria-describedby").unwrap_or_default().contains("mids-error"));
        let touched = page.value_of("touched").unwrap_or_default();
        assert!(touched.contains("name") && touched.contains("wait_10"), "after a submit every field is touched: {touched}");

        // Every attempt skipped: the group's message links to the group.
        let mut skipped = seed_fields(&[a], fp);
        set(&mut skipped, "merchant_2", "original");
        set(&mut skipped, "skip_4", "on");
        let page = page_of(app.post_form("/recycle-billing", &refs(&skipped)).await).await;
        let links: Vec<String> = page.all(".error-summary a").iter().filter_map(|a| a.attr("href").map(str::to_owned)).collect();
        assert_eq!(links, ["#attempts"]);
        assert!(page.has("[id=attempts] input#skip_1"), "the group holds the attempts");
        assert_references_resolve(&page);

        // A plain post of the live check (no JavaScript) answers the page with its summary.
        let plain = page_of(app.post_form("/recycle-billing/validate", &refs(&fields)).await).await;
        assert_eq!(plain.all(".error-summary a").len(), 4);
        assert!(app.services.recycle.list().await.unwrap().is_empty(), "nothing was saved");
    }
}

both_backends! {
    async fn skipped_attempts_are_read_only_and_keep_their_values_through_save_and_edit(app) {
        app.login_as_new("merchant").await;
        let a = new_mid(&app, "Store A", Provider::Test, &[]).await;
        let mut fields = plain_fields("Kept", &[a.to_string()]);
        set(&mut fields, "skip_5", "on");
        set(&mut fields, "reduction_5", "7.5");
        set(&mut fields, "wait_5", "12");
        assert_redirects_to(&app.post_form("/recycle-billing", &refs(&fields)).await, "/recycle-billing");
        let id = app.services.recycle.list().await.unwrap()[0].id;
        let saved = app.services.recycle.find(id).await.unwrap().profile;
        let fifth = saved.attempt(5);
        assert!(fifth.skip);
        assert_eq!((fifth.reduction.stored(), fifth.wait_days), (750, 12), "a skipped row keeps its values");

        let edit = app.get_page(&format!("/recycle-billing/{id}/edit")).await;
        assert!(edit.is_checked("#skip_5"));
        assert_eq!((edit.value_of("reduction_5").as_deref(), edit.value_of("wait_5").as_deref()), (Some("7.5"), Some("12")));
        for field in ["reduction_5", "wait_5"] {
            let input = format!("#attempt-5 td.attempt-field input#{field}");
            assert!(edit.attr_of(&input, "readonly").is_some(), "{field} is read-only");
            assert_eq!(edit.attr_of(&input, "aria-disabled").as_deref(), Some("true"));
            assert_eq!(edit.attr_of(&input, "tabindex").as_deref(), Some("-1"));
        }
        assert_eq!(edit.attr_of("#reduction_4", "readonly"), None, "an active row is not");
        assert_eq!(edit.attr_of("#reduction_4", "tabindex"), None);
        for n in 1..=ATTEMPTS {
            assert_eq!(edit.attr_of(&format!("#skip_{n}"), "data-disables").as_deref(), Some(".attempt-field input"), "recoup.js toggles row {n} live");
        }

        // Saved again as the edit page holds it: still kept.
        let mut again = plain_fields("Kept", &[a.to_string()]);
        set(&mut again, "skip_5", "on");
        set(&mut again, "reduction_5", &edit.value_of("reduction_5").unwrap());
        set(&mut again, "wait_5", &edit.value_of("wait_5").unwrap());
        assert_redirects_to(&app.post_form(&format!("/recycle-billing/{id}"), &refs(&again)).await, "/recycle-billing");
        let fifth = *app.services.recycle.find(id).await.unwrap().profile.attempt(5);
        assert_eq!((fifth.skip, fifth.reduction.stored(), fifth.wait_days), (true, 750, 12));
    }
}

both_backends! {
    async fn the_four_merchant_choices_have_names_of_their_own(app) {
        app.login_as_new("merchant").await;
        let page = app.get_page("/recycle-billing/new").await;
        let names: Vec<String> = Block::ALL.iter().map(|b| page.text(&format!("label[for={}]", b.field()))).collect();
        assert_eq!(names, [
            "Merchant for re-attempts 1-3",
            "Merchant for re-attempts 4-6",
            "Merchant for re-attempts 7-9",
            "Merchant for the final attempt",
        ]);
        for block in Block::ALL {
            let label = page.all(&format!("label[for={}]", block.field()));
            let visible: String = label[0].children().filter_map(|c| c.value().as_text().map(|t| t.to_string())).collect();
            assert_eq!(visible.trim(), "Merchant", "the eye still reads Merchant");
        }
        let mut skip_names = page.texts("label[for^=skip_]");
        skip_names.dedup();
        assert_eq!(skip_names.len(), ATTEMPTS, "each Skip box names its attempt");
    }
}

both_backends! {
    async fn the_preview_shows_before_a_name_or_mids_are_chosen(app) {
        app.login_as_new("merchant").await;
        let fresh = app.get_page("/recycle-billing/new").await;
        assert_eq!(fresh.all("#preview tbody tr").len(), ATTEMPTS, "a blank editor previews its ten attempts");
        let token = crate::helpers::csrf_in(&app.get_html("/recycle-billing/new").await);
        let preview = |fields: Vec<(String, String)>| {
            app.client
                .post(app.url("/recycle-billing/preview"))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", token.clone())
                .form(&refs(&fields))
                .send()
        };
        let mut fields = plain_fields("", &[]);
        set(&mut fields, "skip_1", "on");
        set(&mut fields, "preview_amount", "20.00");
        set(&mut fields, "preview_date", "2026-11-16");
        let shown = page_of(preview(fields.clone()).await.unwrap()).await;
        assert_eq!(shown.all("#preview tbody tr").len(), ATTEMPTS - 1, "no name, no MID: still a schedule");
        assert_eq!(shown.attr_of("#preview-summary", "hx-swap-oob").as_deref(), Some("innerHTML"));
        assert!(shown.text("#preview-summary").starts_with("9 attempts"), "{}", shown.text("#preview-summary"));

        set(&mut fields, "wait_3", "soon");
        let waiting = page_of(preview(fields).await.unwrap()).await;
        assert!(waiting.all("#preview tbody tr").is_empty());
        assert!(waiting.text("#preview-summary").contains("wait periods"), "says what it waits for");
    }
}
