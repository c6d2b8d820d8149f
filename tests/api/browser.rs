//! Browser tests: the main flows driven in headless Chromium through chromedriver.
//! In CI a missing browser fails the run; elsewhere it prints a NOTICE and the test returns.

use fantoccini::Locator;
use serde_json::json;

use crate::chrome::{WAIT, signed_in};

#[tokio::test]
async fn admin_creates_a_cs_agent_who_cannot_see_admin() {
    const AGENT_PASSWORD: &str = "amber-quartz-ferry-77";
    let Some((browser, app)) = signed_in("admin@example.com", "Ada Admin", "admin").await else {
        return;
    };
    assert_eq!(browser.path().await, "/");
    assert!(browser.text("h1").await.contains("Dashboard"));
    let nav = browser.texts("nav.mainnav a").await;
    assert!(nav.iter().any(|l| l == "Admin"), "{nav:?}");

    // The new-user form lands on the user's page with a success message.
    browser.goto(&app, "/admin/users/new").await;
    browser.fill("#email", "agent@example.com").await;
    browser.fill("#name", "Cas Agent").await;
    browser
        .c()
        .find(Locator::Css("#role"))
        .await
        .expect("role")
        .select_by_value("cs_agent")
        .await
        .expect("select");
    browser.fill("#password", AGENT_PASSWORD).await;
    browser.fill("#password_confirm", AGENT_PASSWORD).await;
    browser
        .click("form[action='/admin/users'] button[type=submit]")
        .await;
    let flash = browser
        .wait_for_text(".flash-success", "agent@example.com")
        .await;
    assert!(
        flash.contains("cs_agent"),
        "the notice names the role: {flash}"
    );
    let agent = app
        .services
        .users
        .list(
            Some("agent@"),
            recoup::domain::page::PageRequest::new(None, 5),
        )
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(browser.path().await, format!("/admin/users/{}", agent.id));
    assert_eq!(browser.text("h1").await, "Cas Agent");
    let facts = browser.text("dl.facts").await;
    assert!(
        facts.contains("agent@example.com") && facts.contains("cs_agent"),
        "{facts}"
    );

    // The list shows the agent; Disable and Enable swap the row in place, without a page load.
    browser.goto(&app, "/admin/users").await;
    let row = format!("#user-{}", agent.id);
    let listed = browser.text(&row).await;
    assert!(
        listed.contains("Cas Agent")
            && listed.contains("agent@example.com")
            && listed.contains("cs_agent"),
        "{listed}"
    );
    browser
        .wait_for(
            &format!("{row} .status.ok"),
            "the agent is listed as active",
        )
        .await;
    browser.screenshot("admin-users").await;
    browser.set_marker().await;
    // The button names its row to a screen reader ("Disable Cas Agent").
    let button = format!("{row} button");
    assert_eq!(
        browser
            .text(&button)
            .await
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["Disable", "Cas", "Agent"]
    );
    browser.click(&button).await;
    let question = browser.c().get_alert_text().await.expect("confirm dialog");
    assert!(
        question.contains("agent@example.com"),
        "the question names the user: {question}"
    );
    browser.c().accept_alert().await.expect("accept");
    browser
        .wait_for(
            &format!("{row} .status.off"),
            "the row shows the agent disabled",
        )
        .await;
    assert!(!app.services.users.find(agent.id).await.unwrap().active);
    assert!(
        browser.marker_survived().await,
        "disabling reloaded the page"
    );
    assert!(browser.text(&button).await.starts_with("Enable"));
    browser.click(&button).await;
    browser
        .wait_for(
            &format!("{row} .status.ok"),
            "the row shows the agent active again",
        )
        .await;
    assert!(app.services.users.find(agent.id).await.unwrap().active);
    assert!(
        browser.marker_survived().await,
        "enabling reloaded the page"
    );
    assert_eq!(browser.path().await, "/admin/users");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console: {errors:#?}");

    browser.logout().await;
    assert_eq!(browser.path().await, "/login");

    // The agent sees neither Admin nor MIDs, and the admin pages answer 403.
    browser
        .login(&app, "agent@example.com", AGENT_PASSWORD)
        .await;
    let nav = browser.texts("nav.mainnav a").await;
    assert!(
        !nav.iter().any(|l| l == "Admin" || l == "MIDs")
            && nav.iter().any(|l| l == "Customer Service"),
        "{nav:?}"
    );
    browser.goto(&app, "/admin/users").await;
    assert_eq!(browser.text(".status-code").await, "403");
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("403")),
        "browser console: {errors:#?}"
    );

    let agent_client = crate::helpers::new_client();
    app.login_with(&agent_client, "agent@example.com", AGENT_PASSWORD)
        .await;
    let response = agent_client
        .get(app.url("/admin/users"))
        .send()
        .await
        .expect("GET /admin/users");
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn merchant_activates_flexfactor_and_toggles_it_inline() {
    let Some((browser, app)) = signed_in("mo@example.com", "Mo Merchant", "merchant").await else {
        return;
    };

    // The gateway switch swaps the credential fields in place (htmx under the strict CSP).
    browser.goto(&app, "/mids/new").await;
    browser
        .c()
        .find(Locator::Css("#provider"))
        .await
        .expect("provider")
        .select_by_value("flexecom")
        .await
        .expect("select");
    browser
        .c()
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#cred_signing_secret"))
        .await
        .expect("FlexEcom fields swapped in");

    browser.goto(&app, "/gateways").await;
    browser.screenshot("gateways").await;
    browser.click("#gateway-flexfactor a.activate").await;
    assert!(
        browser
            .text("h1")
            .await
            .contains(recoup::domain::provider::Provider::FlexFactor.label())
    );
    assert_eq!(browser.path().await, "/mids/new");
    browser.fill("#title", "FlexFactor Rescue").await;
    for (id, value) in [
        ("#cred_app_key", "ff-app-key-001"),
        ("#cred_app_secret", "ff-app-secret-002"),
        ("#cred_mid_number", "ff-mid-003"),
        ("#cred_site_id", "ff-site-004"),
        ("#cred_environment_key", "ff-env-key-005"),
        ("#cred_hmac_signing_key", "ff-hmac-key-006"),
    ] {
        browser.fill(id, value).await;
    }
    browser.screenshot("flexfactor-form").await;
    let expiry = browser
        .c()
        .find(Locator::Css("#expiry_days"))
        .await
        .expect("expiry")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(expiry.as_deref(), Some("21"));
    browser.click("form[action='/mids'] button.create").await;
    browser
        .wait_for_text(".flash-success", "FlexFactor Rescue")
        .await;

    let mid = app.services.mids.all().await.unwrap().remove(0);
    let row = format!("#mid-{}", mid.id);
    assert!(browser.text(&row).await.contains("FlexFactor"));
    browser.screenshot("mids").await;
    browser.set_marker().await;
    browser.click(&format!("{row} button")).await;
    // Disabling stops the MID's sales, so it asks first and names the MID.
    let question = browser.c().get_alert_text().await.expect("confirm dialog");
    assert!(question.contains("FlexFactor Rescue"), "{question}");
    browser.c().accept_alert().await.expect("accept");
    browser
        .wait_for(
            &format!("{row} .status.off"),
            "the row shows the MID disabled",
        )
        .await;
    assert!(
        browser.marker_survived().await,
        "the row changed without a page reload"
    );
    assert!(!app.services.mids.find(mid.id).await.unwrap().enabled);
    for page in [
        "/gateways/decline-mapping",
        "/gateways/profiles/new?kind=cascade",
    ] {
        browser.goto(&app, page).await;
        browser
            .screenshot(&page.replace(['/', '?', '='], "_"))
            .await;
    }
}

#[tokio::test]
async fn merchant_follows_seed_000_to_build_a_flexpay_salvage_profile() {
    use recoup::domain::provider::Provider;
    let Some((browser, app)) = signed_in("mo@example.com", "Mo Merchant", "merchant").await else {
        return;
    };
    let store_a = crate::gateways::new_mid(&app, "Store A", Provider::Test, &[]).await;
    let store_b = crate::gateways::new_mid(&app, "Store B", Provider::Test, &[]).await;
    let flexpay = crate::gateways::new_mid(&app, "FlexPay MID", Provider::FlexPay, &[]).await;

    // Steps 8-9: Recycle Billing, then the green "+".
    browser
        .click("nav.mainnav a[href='/recycle-billing']")
        .await;
    browser
        .click(".page-head a.add[href='/recycle-billing/new']")
        .await;
    browser.fill("#name", "FlexPay recovery").await;
    // Step 10: Bill on Fridays stays deselected.
    let fridays = browser
        .c()
        .find(Locator::Css("#bill_on_fridays"))
        .await
        .expect("checkbox");
    assert_eq!(
        fridays.prop("checked").await.expect("prop").as_deref(),
        Some("false")
    );
    // Step 11: pick the MIDs, no ctrl-click needed.
    browser.click(&format!("#mid-{store_a}")).await;
    browser.click(&format!("#mid-{store_b}")).await;
    // Step 12: skip 1-3 and 5-9 (and the final attempt); checking Skip takes the row's fields
    // out of use at once (read-only, out of the tab order), keeping their values.
    let read_only = "return document.querySelector('#attempt-1 .attempt-field input').readOnly;";
    assert_eq!(
        browser.c().execute(read_only, vec![]).await.expect("state"),
        json!(false)
    );
    for n in [1, 2, 3, 5, 6, 7, 8, 9, 10] {
        browser.click(&format!("#skip_{n}")).await;
    }
    assert_eq!(
        browser.c().execute(read_only, vec![]).await.expect("state"),
        json!(true)
    );
    browser.click("#skip_1").await;
    assert_eq!(
        browser.c().execute(read_only, vec![]).await.expect("state"),
        json!(false),
        "unchecking brings the row back"
    );
    browser.click("#skip_1").await;
    // Step 13: re-attempts 4-6 go to the FlexPay MID.
    browser
        .c()
        .find(Locator::Css("#merchant_2"))
        .await
        .expect("merchant")
        .select_by_value(&flexpay.to_string())
        .await
        .expect("select");
    // Step 14: attempt 4 at 0 price reduction and a 1 day wait.
    browser.fill("#reduction_4", "0").await;
    browser.fill("#wait_4", "1").await;
    // Fields are checked when left: Tab out of the wait.
    browser
        .c()
        .active_element()
        .await
        .expect("focused")
        .send_keys("\u{E004}")
        .await
        .expect("tab");
    browser
        .wait_for("#preview tbody tr", "the preview shows the attempt")
        .await;
    // Step 15: Create Profile.
    browser.click("#profile-form button.create").await;
    browser
        .wait_for_text(".flash-success", "FlexPay recovery")
        .await;
    let saved = app.services.recycle.list().await.unwrap().remove(0).profile;
    assert_eq!(saved.active_attempts(), [4]);
    assert_eq!(saved.apply_to, [store_a, store_b]);

    // Bill on Fridays is refused live, next to the box, before any save.
    browser.click(".table a[href$='/edit']").await;
    browser.click("#bill_on_fridays").await;
    browser
        .wait_for_text("#bill_on_fridays-error", "FlexPay")
        .await;
    browser.screenshot("recycle-editor").await;
    assert!(
        !app.services.recycle.list().await.unwrap()[0]
            .profile
            .bill_on_fridays,
        "nothing saved"
    );
}
