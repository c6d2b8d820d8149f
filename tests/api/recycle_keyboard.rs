//! The recycle editor from the keyboard, in headless Chromium (issue #9): a field is checked
//! when the user leaves it and the one status region says so; Skip takes its row's fields out
//! of the tab order at once; Enter saves (never the FlexPay setup); a failed save's summary
//! takes focus and its links move focus to the field; nothing logs an error.

use serde_json::{Value, json};

use crate::chrome::{Browser, ENTER, TAB, WAIT, signed_in};
use crate::gateways::new_mid;
use recoup::domain::event::Actor;
use recoup::domain::provider::Provider;
use recoup::domain::recycle::RecycleDraft;

/// Waits until the status region's text contains `needle` (it is visually hidden, so it is read
/// from the DOM), and returns it.
async fn status_says(browser: &Browser, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = browser
            .js("return document.getElementById('form-status').textContent.trim();")
            .await;
        let text = text.as_str().unwrap_or_default().to_owned();
        if text.contains(needle) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the status never said {needle:?}; it says {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_keyboard_user_fills_the_recycle_editor_hears_each_check_and_saves_with_enter() {
    let Some((browser, app)) = signed_in("kim@example.com", "Kim Keys", "merchant").await else {
        return;
    };
    let store_a = new_mid(&app, "Store A", Provider::Test, &[]).await;
    let store_b = new_mid(&app, "Store B", Provider::Test, &[]).await;
    new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;
    let main = app
        .services
        .recycle
        .create(
            &Actor::system("test"),
            &RecycleDraft {
                name: "Main".to_owned(),
                apply_to: vec![store_b],
                ..RecycleDraft::blank()
            },
        )
        .await
        .unwrap();

    browser.goto(&app, "/recycle-billing").await;
    browser
        .click(".page-head a.add[href='/recycle-billing/new']")
        .await;
    browser.wait_for("#profile-form", "the editor").await;
    assert_eq!(
        browser.attr(&format!("#mid-{store_b}"), "disabled").await,
        json!(""),
        "a MID of Main cannot be ticked"
    );
    assert_eq!(
        browser.attr(&format!("#mid-{store_b}-why a"), "href").await,
        json!(format!("/recycle-billing/{main}/edit"))
    );

    // Leaving a field checks it; the status speaks of that field alone.
    browser.fill("#name", "Keyboard profile").await;
    browser.press(TAB).await;
    assert_eq!(
        status_says(&browser, "Profile name").await,
        "Profile name: looks good."
    );
    assert_eq!(
        browser.focused_id().await,
        "bill_on_fridays",
        "focus moved on, undisturbed"
    );
    assert_eq!(
        browser
            .js("return document.querySelectorAll('[role=alert]').length;")
            .await,
        json!(0)
    );
    assert_eq!(
        browser
            .js("return document.getElementById('mids-error').textContent;")
            .await,
        json!(""),
        "no message for the MIDs, which the user has not touched"
    );

    browser.fill("#name", "").await;
    browser.press(TAB).await;
    let said = status_says(&browser, "Profile name: ").await;
    assert!(!said.contains("looks good"), "{said}");
    assert!(
        !browser
            .js("return document.getElementById('name-error').textContent;")
            .await
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "the message shows by the field"
    );
    browser.fill("#name", "Keyboard profile").await;
    browser.press(TAB).await;
    status_says(&browser, "looks good").await;
    assert_eq!(
        browser
            .js("return document.getElementById('name-error').textContent;")
            .await,
        json!(""),
        "fixed: cleared"
    );

    // Skip takes the row's fields out of use at once; Tab passes them by.
    browser.click("#skip_1").await;
    for field in ["#reduction_1", "#wait_1"] {
        assert_eq!(
            browser.attr(field, "readonly").await,
            json!(""),
            "{field} read-only"
        );
        assert_eq!(browser.attr(field, "aria-disabled").await, json!("true"));
    }
    browser.press(TAB).await;
    assert_eq!(
        browser.focused_id().await,
        "skip_2",
        "the skipped row's fields are out of the tab order"
    );
    browser.click("#skip_1").await;
    assert_eq!(
        browser.attr("#reduction_1", "readonly").await,
        Value::Null,
        "unticking brings them back"
    );

    // A MID, ticked from the keyboard.
    browser
        .c()
        .find(fantoccini::Locator::Css(&format!("#mid-{store_a}")))
        .await
        .expect("MID")
        .send_keys(" ")
        .await
        .expect("space");
    status_says(&browser, "Apply to Merchants").await;

    // Enter in a field saves the profile, not the FlexPay setup that comes first on the page.
    browser
        .c()
        .find(fantoccini::Locator::Css("#name"))
        .await
        .expect("name")
        .send_keys(ENTER)
        .await
        .expect("enter");
    browser
        .wait_for_text(".flash-success", "Keyboard profile")
        .await;
    let saved = app.services.recycle.list().await.unwrap();
    let mine = saved
        .iter()
        .find(|p| p.profile.name == "Keyboard profile")
        .expect("saved");
    assert_eq!(mine.profile.apply_to, [store_a]);
    assert_eq!(
        mine.profile.active_attempts().len(),
        10,
        "the FlexPay setup did not run"
    );

    // A failed save: the summary takes focus, and its link takes focus to the field.
    browser
        .goto(&app, &format!("/recycle-billing/{}/edit", mine.id))
        .await;
    browser.fill("#wait_3", "soon").await;
    browser
        .c()
        .find(fantoccini::Locator::Css("#wait_3"))
        .await
        .expect("wait")
        .send_keys(ENTER)
        .await
        .expect("enter");
    browser
        .wait_for(
            ".error-summary a[href='#wait_3']",
            "the summary lists the wait",
        )
        .await;
    assert_eq!(
        browser.focused_id().await,
        "error-summary",
        "the summary has focus"
    );
    browser.press(TAB).await;
    browser.press(ENTER).await;
    assert_eq!(
        browser.focused_id().await,
        "wait_3",
        "the link moved focus to the field"
    );
    browser.screenshot("recycle-editor-summary").await;

    // A refused save is answered 422 on purpose; Chromium logs that load, which is no fault.
    let errors: Vec<String> = browser
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("status of 422"))
        .collect();
    assert_eq!(errors, Vec::<String>::new(), "no script or swap error");
}
