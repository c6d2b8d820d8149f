//! The MID list, the MID form and the decline mapping from the keyboard alone, in headless
//! Chromium (issue #9): focus stays on the control that changed after every htmx swap, the
//! swapped credential fields follow the gateway select in the tab order, and a failed save's
//! error summary takes focus and its links move focus to their fields. The recycle editor has
//! its own keyboard test (`recycle_keyboard`).

use serde_json::json;

use crate::chrome::{ENTER, TAB, signed_in};
use crate::gateways::new_mid;
use recoup::domain::decline::{DeclineClass, MappingDraft};
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;

#[tokio::test]
async fn focus_stays_on_the_row_after_a_mid_toggle_and_an_inline_mapping_edit() {
    let Some((browser, app)) = signed_in("kai@example.com", "Kai Keys", "merchant").await else {
        return;
    };
    let mid = new_mid(&app, "Store A", Provider::Test, &[]).await;
    let toggle = format!("toggle-{mid}");

    // Disable from the keyboard: it asks first, then the new row's button has focus.
    browser.goto(&app, "/mids").await;
    browser
        .js(&format!(
            "document.getElementById('{toggle}').focus(); return null;"
        ))
        .await;
    browser.press(ENTER).await;
    let question = browser.c().get_alert_text().await.expect("confirm dialog");
    assert!(question.contains("Store A"), "{question}");
    browser.c().accept_alert().await.expect("accept");
    browser
        .wait_for(&format!("#mid-{mid} .status.off"), "the MID shows disabled")
        .await;
    browser
        .wait_for_focus(&toggle, "after Disable, focus is on the row's button")
        .await;
    assert!(
        browser
            .text(&format!("#{toggle}"))
            .await
            .starts_with("Enable")
    );
    // Enable needs no question; focus stays again.
    browser.press(ENTER).await;
    browser
        .wait_for(&format!("#mid-{mid} .status.ok"), "the MID shows enabled")
        .await;
    browser
        .wait_for_focus(&toggle, "after Enable, focus is on the row's button")
        .await;
    assert!(app.services.mids.find(mid).await.unwrap().enabled);

    // The decline mapping's pencil opens the inline editor with focus on its first field.
    let draft = MappingDraft {
        provider: None,
        code: "05".into(),
        text: String::new(),
        class: DeclineClass::Hard,
    };
    let mapping = app
        .services
        .declines
        .create(&Actor::system("test"), &draft)
        .await
        .unwrap();
    browser.goto(&app, "/gateways/decline-mapping").await;
    let pencil = format!("edit-mapping-{mapping}");
    assert_eq!(
        browser
            .js(&format!(
                "return document.getElementById('{pencil}').textContent.trim();"
            ))
            .await,
        json!("✎Edit the mapping for 05"),
        "a pencil to the eye, named for its row"
    );
    browser
        .js(&format!(
            "document.getElementById('{pencil}').focus(); return null;"
        ))
        .await;
    browser.press(ENTER).await;
    browser
        .wait_for_focus(&format!("provider-{mapping}"), "the editor's first field")
        .await;
    // A bad code: the editor comes back with focus on the field with the message.
    browser.press(TAB).await;
    assert_eq!(browser.focused_id().await, format!("code-{mapping}"));
    browser.press("!!").await;
    browser.press(ENTER).await;
    browser
        .wait_for(
            &format!("#code-{mapping}-error"),
            "the message next to the code",
        )
        .await;
    browser
        .wait_for_focus(&format!("code-{mapping}"), "focus on the field in error")
        .await;
    assert_eq!(
        browser
            .attr(&format!("#code-{mapping}"), "aria-invalid")
            .await,
        json!("true")
    );
    // Fixed and saved with Enter: the row is back, focus on its pencil.
    browser
        .js(&format!(
            "document.getElementById('code-{mapping}').value = '51'; return null;"
        ))
        .await;
    browser.press(ENTER).await;
    browser
        .wait_for_focus(&pencil, "after Save, focus is on the row's pencil")
        .await;
    assert_eq!(app.services.declines.list().await.unwrap()[0].code, "51");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console: {errors:#?}");
}

#[tokio::test]
async fn a_keyboard_user_fills_the_mid_form_and_follows_the_error_summary() {
    let Some((browser, app)) = signed_in("kit@example.com", "Kit Keys", "merchant").await else {
        return;
    };
    browser.goto(&app, "/mids/new").await;
    browser
        .js("document.getElementById('title').focus(); return null;")
        .await;
    browser.press(TAB).await;
    assert_eq!(
        browser.focused_id().await,
        "provider",
        "title, then gateway"
    );
    // Picking a gateway swaps its credential fields in; focus stays on the select and the next
    // Tab reaches the first new field.
    browser
        .c()
        .find(fantoccini::Locator::Css("#provider"))
        .await
        .expect("select")
        .select_by_value("flexfactor")
        .await
        .expect("pick FlexFactor");
    browser
        .wait_for("#cred_app_key", "FlexFactor's fields swapped in")
        .await;
    assert_eq!(browser.focused_id().await, "provider");
    browser.press(TAB).await;
    assert_eq!(browser.focused_id().await, "cred_app_key");

    // Enter with no title: the page comes back with the summary focused.
    browser.press(ENTER).await;
    browser
        .wait_for_focus("error-summary", "the error summary takes focus")
        .await;
    let summary = browser.text("#error-summary").await;
    assert!(summary.contains("Enter a MID title."), "{summary}");
    assert_eq!(browser.attr("#title", "aria-invalid").await, json!("true"));
    assert_eq!(
        browser.attr("#title", "aria-describedby").await,
        json!("title-error")
    );
    // Tab to the summary's first link, Enter: focus is on the title field.
    browser.press(TAB).await;
    assert_eq!(
        browser
            .js("return document.activeElement.getAttribute('href');")
            .await,
        json!("#title")
    );
    browser.press(ENTER).await;
    browser
        .wait_for_focus("title", "the summary link moves focus to its field")
        .await;
    browser.press("Keyboard store").await;
    assert!(
        app.services.mids.all().await.unwrap().is_empty(),
        "nothing saved"
    );
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "only the refused save is logged: {errors:#?}"
    );
}
