//! The catalogue (issue #10): products and campaigns through the service and through the pages,
//! R-GW-3 and R-GW-4 on campaigns, every bad input refused next to its field, the event log.

use recoup::domain::FieldErrors;
use recoup::domain::catalogue::{
    CampaignDraft, ProductDraft, ProductOption, SalesRoute, StoredProduct, Trial,
};
use recoup::domain::event::{Actor, EventFilter};
use recoup::domain::ids::{CampaignId, MidId, ProductId};
use recoup::domain::money::{Currency, MinorUnits, Money};
use recoup::domain::page::{KeysetRequest, PageRequest};
use recoup::domain::provider::Provider;
use recoup::services::catalogue::CatalogueError;
use recoup::web::mids::MidForm;

use crate::both_backends;
use crate::gateways::{new_mid, profile_draft};
use crate::helpers::{Page, TestApp, page_of};

fn usd(minor: i64) -> Money {
    Money::new(MinorUnits::from_minor(minor), Currency::Usd)
}

/// A one-off product at 19.99 USD.
pub fn product_draft(name: &str, sku: &str) -> ProductDraft {
    ProductDraft {
        name: name.to_owned(),
        sku: sku.to_owned(),
        price: usd(1999),
        trial: None,
        cycle_days: None,
        options: Vec::new(),
        shippable: true,
    }
}

pub async fn new_product(app: &TestApp, name: &str, sku: &str) -> ProductId {
    app.services
        .catalogue
        .create_product(&Actor::system("test"), &product_draft(name, sku))
        .await
        .unwrap()
}

pub fn campaign_draft(name: &str, mid: MidId, products: &[ProductId]) -> CampaignDraft {
    CampaignDraft {
        name: name.to_owned(),
        currency: Currency::Usd,
        route: Some(SalesRoute::Mid(mid)),
        products: products.to_vec(),
        recycling: true,
        notify: Vec::new(),
        welcome_subject: "Welcome, {first_name}".to_owned(),
        welcome_body: "Order {order_id}: {product}, {total}.".to_owned(),
    }
}

pub async fn new_campaign(
    app: &TestApp,
    name: &str,
    mid: MidId,
    products: &[ProductId],
) -> CampaignId {
    app.services
        .catalogue
        .create_campaign(&Actor::system("test"), &campaign_draft(name, mid, products))
        .await
        .unwrap()
}

/// What the accessibility audit opens: a recurring product with a trial and options (its edit
/// page), a one-off one, and a campaign offering both on `mid` (its edit page and the lists).
pub async fn a11y_fixtures(app: &TestApp, mid: MidId) -> (ProductId, CampaignId) {
    let actor = Actor::system("test");
    let mut draft = product_draft("Vitamins monthly", "VIT-30");
    draft.cycle_days = Some(30);
    draft.trial = Some(Trial {
        days: 14,
        price: usd(0),
    });
    draft.options = vec![
        ProductOption {
            name: "Small".into(),
            price: None,
        },
        ProductOption {
            name: "Large".into(),
            price: Some(usd(2999)),
        },
    ];
    let product = app
        .services
        .catalogue
        .create_product(&actor, &draft)
        .await
        .unwrap();
    let one_off = new_product(app, "Starter kit", "KIT-1").await;
    let campaign = new_campaign(app, "Demo Store", mid, &[product, one_off]).await;
    (product, campaign)
}

fn errors_of<T: std::fmt::Debug>(result: Result<T, CatalogueError>) -> FieldErrors {
    match result {
        Err(e) => e
            .field_errors()
            .unwrap_or_else(|| panic!("expected field errors, got {e:?}")),
        Ok(v) => panic!("expected field errors, got {v:?}"),
    }
}

fn fields(errors: &FieldErrors) -> Vec<&'static str> {
    errors.iter().map(|e| e.field).collect()
}

/// The event log, newest first: (kind, before, after).
async fn events(app: &TestApp) -> Vec<(String, String, String)> {
    let page = app
        .services
        .events
        .list(
            &EventFilter::default(),
            KeysetRequest {
                after: None,
                size: 100,
            },
        )
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|e| {
            (
                e.kind.key().to_owned(),
                e.before.unwrap_or_default(),
                e.after.unwrap_or_default(),
            )
        })
        .collect()
}

async fn product_count(app: &TestApp) -> i64 {
    let query = recoup::domain::catalogue::ProductQuery {
        archived: true,
        ..Default::default()
    };
    app.services
        .catalogue
        .list_products(&query, PageRequest::new(None, 25))
        .await
        .unwrap()
        .total
}

async fn campaign_count(app: &TestApp) -> i64 {
    let query = recoup::domain::catalogue::CampaignQuery {
        archived: true,
        ..Default::default()
    };
    app.services
        .catalogue
        .list_campaigns(&query, PageRequest::new(None, 25))
        .await
        .unwrap()
        .total
}

/// A test MID whose direct cascade profile is `profile`.
async fn mid_with_cascade(
    app: &TestApp,
    title: &str,
    profile: recoup::domain::ids::ProfileId,
) -> MidId {
    let form = MidForm {
        title: title.into(),
        provider: "test".into(),
        enabled: Some("on".into()),
        accept_visa: Some("on".into()),
        cascade_profile_id: profile.to_string(),
        ..MidForm::default()
    };
    app.services
        .mids
        .create(&Actor::system("test"), &form.draft(false).unwrap())
        .await
        .unwrap()
}

/// The form fields of a valid campaign on `mid` offering `products`.
fn campaign_form<'a>(
    name: &'a str,
    route: &'a str,
    products: &[&'a str],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", name),
        ("currency", "USD"),
        ("route", route),
        ("recycling", "on"),
        ("notify", "ops@example.com\nrefunds@example.com"),
        ("welcome_subject", "Welcome, {first_name}"),
        ("welcome_body", "Order {order_id}: {product}, {total}."),
    ];
    form.extend(products.iter().map(|p| ("products", *p)));
    form
}

fn product_form<'a>(
    name: &'a str,
    sku: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", name),
        ("sku", sku),
        ("currency", "USD"),
        ("price", "19.99"),
    ];
    form.retain(|(key, _)| !extra.iter().any(|(k, _)| k == key));
    form.extend_from_slice(extra);
    form
}

async fn htmx_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = crate::helpers::csrf_in(&app.get_html("/products").await);
    app.client
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &token)
        .form(fields)
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Rules at the service

both_backends! {
    /// R-GW-3: a salvage-only MID never takes a campaign's new sales.
    async fn r_gw_3_campaign_refuses_salvage_only_mid(app) {
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        for provider in [Provider::FlexPay, Provider::FlexFactor, Provider::FlexEcom] {
            let mid = new_mid(&app, &format!("{provider} rescue"), provider, &[]).await;
            let result = app.services.catalogue.create_campaign(&Actor::system("test"), &campaign_draft("Summer", mid, &[product])).await;
            let errors = errors_of(result);
            assert_eq!(fields(&errors), ["route"], "{provider}");
            assert!(errors.get("route").unwrap().contains(provider.label()), "the message names the gateway");
        }
        assert_eq!(campaign_count(&app).await, 0, "nothing saved");
        let test = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let id = new_campaign(&app, "Summer", test, &[product]).await;
        let flexpay = new_mid(&app, "FlexPay two", Provider::FlexPay, &[]).await;
        let moved = app.services.catalogue.update_campaign(&Actor::system("test"), id, &campaign_draft("Summer", flexpay, &[product])).await;
        assert_eq!(fields(&errors_of(moved)), ["route"], "nor on an edit");
        assert_eq!(app.services.catalogue.find_campaign(id).await.unwrap().route, SalesRoute::Mid(test));
    }
}

both_backends! {
    /// R-GW-3 through the page: salvage-only MIDs are not offered, and a hand-posted one is
    /// refused next to the field.
    async fn r_gw_3_the_campaign_form_lists_no_salvage_only_mid_and_refuses_a_posted_one(app) {
        app.login_as_new("merchant").await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let test = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let flex = new_mid(&app, "Rescue", Provider::FlexFactor, &[]).await;
        let form = app.get_page("/campaigns/new").await;
        let values: Vec<String> = form.all("select[name=route] option").iter().filter_map(|o| o.attr("value")).map(str::to_owned).collect();
        assert!(values.contains(&format!("mid:{test}")), "{values:?}");
        assert!(!values.contains(&format!("mid:{flex}")), "a salvage-only MID is not listed: {values:?}");
        let route = format!("mid:{flex}");
        let product = product.to_string();
        let response = app.post_form("/campaigns", &campaign_form("Summer", &route, &[&product])).await;
        assert_eq!(response.status().as_u16(), 422);
        let page = page_of(response).await;
        assert_eq!(page.fields_with_errors(), ["route"]);
        assert!(page.field_error("route").unwrap().contains("salvage-only"));
        assert_eq!(page.value_of("name").as_deref(), Some("Summer"), "what was typed is kept");
        assert_eq!(campaign_count(&app).await, 0);
    }
}

both_backends! {
    /// R-GW-4: the note under the route names the MID's cascade profile, and a cascadeAll MID
    /// overrides it.
    async fn r_gw_4_the_campaign_form_shows_the_cascade_that_applies(app) {
        app.login_as_new("merchant").await;
        let backup = new_mid(&app, "Backup", Provider::Test, &[]).await;
        let cascade = app.services.routing.create(&Actor::system("test"), &profile_draft("Main cascade", "cascade", &[backup])).await.unwrap();
        let main = mid_with_cascade(&app, "Main", cascade).await;
        let plain = new_mid(&app, "Plain", Provider::Test, &[]).await;
        let note = |route: String| {
            let app = &app;
            async move {
                let token = crate::helpers::csrf_in(&app.get_html("/campaigns/new").await);
                let response = app.client.get(app.url(&format!("/campaigns/cascade?route={route}"))).header("HX-Request", "true").header("X-CSRF-Token", token).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                let html = response.text().await.unwrap();
                assert!(!html.contains("<html"), "a fragment: {html}");
                Page::parse(&html).text("p, ul")
            }
        };
        let main_note = note(format!("mid:{main}")).await;
        assert!(main_note.contains("Main cascade"), "{main_note}");
        assert!(note(format!("mid:{plain}")).await.contains("no cascade"));
        new_mid(&app, "Rescue", Provider::FlexFactor, &[("cascade_all", "on")]).await;
        let overridden = note(format!("mid:{main}")).await;
        assert!(overridden.contains("Rescue") && overridden.contains("cascadeAll") && !overridden.contains("Main cascade"), "{overridden}");

        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let id = new_campaign(&app, "Summer", main, &[product]).await;
        let edit = app.get_page(&format!("/campaigns/{id}/edit")).await;
        assert!(edit.text("#cascade-note").contains("Rescue"), "the edit page shows the note for the saved route");
        assert_eq!(edit.selected("route"), Some(format!("mid:{main}")));
        let direct = app.get("/campaigns/cascade?route=mid:1").await;
        assert_eq!(crate::helpers::location(&direct), "/campaigns/new", "a direct visit is sent to the form");
    }
}

both_backends! {
    async fn every_catalogue_change_is_in_the_event_log_with_before_and_after(app) {
        let actor = Actor::system("test");
        let catalogue = &app.services.catalogue;
        let id = new_product(&app, "Vitamins", "VIT-30").await;
        let mut draft = product_draft("Vitamins Plus", "VIT-60");
        draft.cycle_days = Some(30);
        draft.trial = Some(Trial { days: 14, price: usd(0) });
        draft.options = vec![ProductOption { name: "Large".into(), price: Some(usd(2999)) }];
        catalogue.update_product(&actor, id, &draft).await.unwrap();
        let stored = catalogue.find_product(id).await.unwrap();
        assert_eq!(stored.product.options, draft.options);
        assert_eq!(stored.product.trial, draft.trial);
        catalogue.set_product_enabled(&actor, id, false).await.unwrap();
        catalogue.set_product_enabled(&actor, id, false).await.unwrap();
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let other = new_product(&app, "Box", "BOX-1").await;
        let campaign = new_campaign(&app, "Summer", mid, &[other]).await;
        let mut edited = campaign_draft("Summer Sale", mid, &[other, id]);
        edited.recycling = false;
        edited.notify = vec![recoup::domain::contact::Email::parse("ops@example.com").unwrap()];
        catalogue.update_campaign(&actor, campaign, &edited).await.unwrap();
        catalogue.set_campaign_enabled(&actor, campaign, false).await.unwrap();
        catalogue.set_campaign_enabled(&actor, campaign, true).await.unwrap();
        catalogue.archive_campaign(&actor, campaign).await.unwrap();
        catalogue.archive_product(&actor, id).await.unwrap();
        catalogue.archive_product(&actor, id).await.unwrap();

        let log = events(&app).await;
        let kinds: Vec<&str> = log.iter().rev().map(|(k, ..)| k.as_str()).filter(|k| !k.starts_with("mid.")).collect();
        assert_eq!(kinds, [
            "product.created", "product.updated", "product.disabled", "product.created",
            "campaign.created", "campaign.updated", "campaign.disabled", "campaign.enabled",
            "campaign.archived", "product.archived",
        ], "one event per change, none for a change that changes nothing");
        let find = |kind: &str| log.iter().find(|(k, ..)| k == kind).unwrap().clone();
        let (_, before, after) = find("product.updated");
        assert!(before.contains("VIT-30") && after.contains("VIT-60") && after.contains("Large"), "{before} / {after}");
        let (_, before, after) = find("campaign.updated");
        assert!(before.contains("Summer") && after.contains("Summer Sale") && after.contains("ops@example.com"), "{after}");
        let (_, before, after) = find("product.archived");
        assert!(before.contains("false") && after.contains("true"), "{before} / {after}");
        let stored = catalogue.find_campaign(campaign).await.unwrap();
        assert!(stored.archived && !stored.recycling && stored.products == [other, id]);
    }
}

both_backends! {
    /// A SKU (and a campaign name) is unique in any case; a race for one answers the field's
    /// message, never an unexpected error.
    async fn unique_skus_and_campaign_names_hold_under_a_race(app) {
        new_product(&app, "Vitamins", "VIT-30").await;
        let errors = errors_of(app.services.catalogue.create_product(&Actor::system("test"), &product_draft("Other", "vit-30")).await);
        assert_eq!(fields(&errors), ["sku"]);
        assert!(errors.get("sku").unwrap().contains("Vitamins"), "the holder is named");

        let attempts = (0..8).map(|i| {
            let services = app.services.clone();
            let sku = if i % 2 == 0 { "RACE-1" } else { "race-1" };
            tokio::spawn(async move {
                services.catalogue.create_product(&Actor::system("test"), &product_draft(&format!("Racer {i}"), sku)).await
            })
        });
        let results: Vec<_> = futures_util::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "one wins");
        for lost in results.into_iter().filter(Result::is_err) {
            assert_eq!(fields(&errors_of(lost)), ["sku"], "the others hear about the SKU");
        }

        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Box", "BOX-1").await;
        let attempts = (0..8).map(|i| {
            let services = app.services.clone();
            let name = if i % 2 == 0 { "Summer" } else { "SUMMER" };
            tokio::spawn(async move {
                services.catalogue.create_campaign(&Actor::system("test"), &campaign_draft(name, mid, &[product])).await
            })
        });
        let results: Vec<_> = futures_util::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        for lost in results.into_iter().filter(Result::is_err) {
            assert_eq!(fields(&errors_of(lost)), ["name"]);
        }
        assert_eq!(campaign_count(&app).await, 1);
    }
}

both_backends! {
    async fn archived_products_leave_sales_and_cannot_be_added_to_campaigns(app) {
        let actor = Actor::system("test");
        let catalogue = &app.services.catalogue;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let kept = new_product(&app, "Kept", "KEPT").await;
        let old = new_product(&app, "Old box", "OLD").await;
        let campaign = new_campaign(&app, "Summer", mid, &[kept, old]).await;
        catalogue.archive_product(&actor, old).await.unwrap();

        let offered = catalogue.offered().await.unwrap();
        assert_eq!(offered.len(), 1);
        let ids: Vec<ProductId> = offered[0].1.iter().map(|p| p.id).collect();
        assert_eq!(ids, [kept], "an archived product is not sold");
        assert_eq!(offered[0].0.products, [kept, old], "the campaign still lists it");

        let edit = campaign_draft("Summer", mid, &[kept, old]);
        catalogue.update_campaign(&actor, campaign, &edit).await.expect("a campaign may keep what it had");
        let errors = errors_of(catalogue.create_campaign(&actor, &campaign_draft("Winter", mid, &[kept, old])).await);
        assert!(errors.get("products").unwrap().contains("Old box"), "{errors:?}");
        catalogue.update_campaign(&actor, campaign, &campaign_draft("Summer", mid, &[kept])).await.unwrap();
        let errors = errors_of(catalogue.update_campaign(&actor, campaign, &edit).await);
        assert_eq!(fields(&errors), ["products"], "once out, it cannot come back");

        assert!(matches!(catalogue.set_product_enabled(&actor, old, true).await, Err(CatalogueError::ProductArchived(_))));
        assert!(matches!(catalogue.update_product(&actor, old, &product_draft("Old box", "OLD")).await, Err(CatalogueError::ProductArchived(_))));
    }
}

both_backends! {
    /// What the order API and the order entry page list: campaigns on sale, with their products
    /// on sale, in the campaign's order.
    async fn offered_lists_campaigns_on_sale_with_their_products_on_sale(app) {
        let actor = Actor::system("test");
        let catalogue = &app.services.catalogue;
        assert!(catalogue.offered().await.unwrap().is_empty());
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let a = new_product(&app, "A", "A-1").await;
        let b = new_product(&app, "B", "B-1").await;
        let c = new_product(&app, "C", "C-1").await;
        let summer = new_campaign(&app, "Summer", mid, &[c, a, b]).await;
        let off = new_campaign(&app, "Off", mid, &[a]).await;
        let gone = new_campaign(&app, "Gone", mid, &[a]).await;
        let mut noted = campaign_draft("Noted", mid, &[b]);
        noted.notify = vec![recoup::domain::contact::Email::parse("ops@example.com").unwrap()];
        catalogue.create_campaign(&actor, &noted).await.unwrap();
        catalogue.set_campaign_enabled(&actor, off, false).await.unwrap();
        catalogue.archive_campaign(&actor, gone).await.unwrap();
        catalogue.set_product_enabled(&actor, a, false).await.unwrap();

        let offered = catalogue.offered().await.unwrap();
        let names: Vec<&str> = offered.iter().map(|(c, _)| c.name.as_str()).collect();
        assert_eq!(names, ["Noted", "Summer"]);
        let summer_products: Vec<ProductId> = offered[1].1.iter().map(|p: &StoredProduct| p.id).collect();
        assert_eq!(summer_products, [c, b], "in the campaign's order, the disabled one left out");
        assert_eq!(offered[1].0.id, summer);
        assert_eq!(offered[0].0.notify.len(), 1);

        let found = recoup::db::catalogue::find_campaign(&app.db, summer).await.unwrap().unwrap();
        assert_eq!(found.products, [c, a, b]);
        let products = recoup::db::catalogue::products_by_ids(&app.db, &[b, ProductId(999), a]).await.unwrap();
        assert_eq!(products.iter().map(|p| p.id).collect::<Vec<_>>(), [a, b]);
        assert!(recoup::db::catalogue::find_campaign(&app.db, CampaignId(999)).await.unwrap().is_none());
    }
}

both_backends! {
    /// A product's currency cannot change while a campaign in another currency offers it, and a
    /// campaign sells through a MID that settles in its currency.
    async fn currencies_stay_consistent_between_products_campaigns_and_mids(app) {
        let actor = Actor::system("test");
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        new_campaign(&app, "Summer", mid, &[product]).await;
        let mut eur = product_draft("Vitamins", "VIT-30");
        eur.price = Money::new(MinorUnits::from_minor(1999), Currency::Eur);
        let errors = errors_of(app.services.catalogue.update_product(&actor, product, &eur).await);
        assert_eq!(fields(&errors), ["currency"]);
        assert!(errors.get("currency").unwrap().contains("Summer"));

        let euro_product = app.services.catalogue.create_product(&actor, &ProductDraft { sku: "VIT-EU".into(), ..eur }).await.unwrap();
        let mut draft = campaign_draft("Euro", mid, &[euro_product]);
        draft.currency = Currency::Eur;
        let errors = errors_of(app.services.catalogue.create_campaign(&actor, &draft).await);
        assert_eq!(fields(&errors), ["route"], "the MID settles in USD");
        draft.currency = Currency::Usd;
        assert_eq!(fields(&errors_of(app.services.catalogue.create_campaign(&actor, &draft).await)), ["products"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

both_backends! {
    async fn bad_product_input_is_refused_next_to_its_field_and_nothing_is_saved(app) {
        app.login_as_new("merchant").await;
        let cases: [(&[(&str, &str)], &str); 11] = [
            (&[("price", "-1")], "price"),
            (&[("price", "1.999")], "price"),
            (&[("price", "1e3")], "price"),
            (&[("price", "twenty")], "price"),
            (&[("price", "")], "price"),
            (&[("currency", "XYZ")], "currency"),
            (&[("recurring", "on"), ("cycle_days", "0")], "cycle_days"),
            (&[("recurring", "on"), ("cycle_days", "")], "cycle_days"),
            (&[("recurring", "on"), ("cycle_days", "30"), ("trial_days", "-1")], "trial_days"),
            (&[("recurring", "on"), ("cycle_days", "30"), ("trial_days", "7"), ("trial_price", "-2")], "trial_price"),
            (&[("option_name", "Large"), ("option_price", "1.999")], "options"),
        ];
        for (extra, field) in cases {
            let response = app.post_form("/products", &product_form("Vitamins", "VIT-30", extra)).await;
            assert_eq!(response.status().as_u16(), 422, "{extra:?}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), [field], "{extra:?}");
            assert!(page.has("#error-summary"), "the summary lists it");
            assert!(field == "options" || page.attr_of(&format!("#{field}"), "aria-invalid").is_some(), "{field} is marked invalid");
            if let Some((k, v)) = extra.iter().find(|(k, _)| *k == field && field != "currency") {
                assert_eq!(page.value_of(k).as_deref(), Some(*v), "what was typed is kept");
            }
        }
        let one_off_trial = app.post_form("/products", &product_form("V", "V-1", &[("trial_days", "14")])).await;
        assert_eq!(page_of(one_off_trial).await.fields_with_errors(), ["trial_days"], "a trial needs a recurring product");
        let all_at_once = app.post_form("/products", &[("name", ""), ("sku", "has space"), ("currency", "USD"), ("price", "abc"), ("recurring", "on"), ("cycle_days", "0")]).await;
        let mut shown = page_of(all_at_once).await.fields_with_errors();
        shown.sort();
        assert_eq!(shown, ["cycle_days", "name", "price", "sku"], "every message at once");
        assert_eq!(product_count(&app).await, 0, "nothing saved");

        let ok = app.post_form("/products", &product_form("Vitamins", "VIT-30", &[("recurring", "on"), ("cycle_days", "30"), ("trial_days", "14"), ("trial_price", "0")])).await;
        crate::helpers::assert_redirects_to(&ok, "/products");
        let dup = app.post_form("/products", &product_form("Other", "vit-30", &[])).await;
        assert_eq!(dup.status().as_u16(), 422);
        let page = page_of(dup).await;
        assert_eq!(page.fields_with_errors(), ["sku"]);
        assert!(page.field_error("sku").unwrap().contains("Vitamins"));
        assert_eq!(product_count(&app).await, 1);
    }
}

both_backends! {
    async fn the_product_form_saves_options_and_adds_rows_without_javascript(app) {
        app.login_as_new("merchant").await;
        let new = app.get_page("/products/new").await;
        assert_eq!(new.selected("currency").as_deref(), Some("USD"));
        let currencies = new.all("select[name=currency] option").len();
        assert_eq!(currencies, Currency::all().count(), "every ISO currency the portal sells in");
        assert_eq!(new.all("input[name=option_name]").len(), 2, "empty rows to type in");

        let more = app.post_form("/products", &product_form("Tee", "TEE-1", &[("option_name", "Small"), ("option_price", ""), ("option_name", ""), ("option_price", ""), ("more_options", "1")])).await;
        assert_eq!(more.status().as_u16(), 200, "adding a row saves nothing");
        let more = page_of(more).await;
        let names: Vec<String> = more.all("input[name=option_name]").iter().map(|e| e.attr("value").unwrap_or_default().to_owned()).collect();
        assert_eq!(names, ["Small", "", ""], "one more empty row");
        assert!(more.attr_of("#option_name_2", "autofocus").is_some(), "the first new row takes focus");
        assert_eq!(more.value_of("name").as_deref(), Some("Tee"));
        assert_eq!(product_count(&app).await, 0);

        let created = app.post_form("/products", &product_form("Tee", "TEE-1", &[("shippable", "on"), ("option_name", "Small"), ("option_price", ""), ("option_name", "XL"), ("option_price", "24.50"), ("option_name", ""), ("option_price", "")])).await;
        crate::helpers::assert_redirects_to(&created, "/products");
        let list = app.get_page("/products").await;
        assert_eq!(list.flash_success().as_deref(), Some("Product Tee saved."));
        let id = list.attr_of("tr[id^=product-]", "id").unwrap().trim_start_matches("product-").parse::<i64>().unwrap();
        let stored = app.services.catalogue.find_product(ProductId(id)).await.unwrap();
        assert_eq!(stored.product.options, vec![
            ProductOption { name: "Small".into(), price: None },
            ProductOption { name: "XL".into(), price: Some(usd(2450)) },
        ]);
        assert!(stored.product.shippable && stored.product.cycle_days.is_none());

        let edit = app.get_page(&format!("/products/{id}/edit")).await;
        assert_eq!(edit.value_of("price").as_deref(), Some("19.99"));
        assert_eq!(edit.value_of("option_name").as_deref(), Some("Small"));
        let saved = app.post_form(&format!("/products/{id}"), &product_form("Tee", "TEE-1", &[("price", "21"), ("recurring", "on"), ("cycle_days", "30")])).await;
        crate::helpers::assert_redirects_to(&saved, "/products");
        let stored = app.services.catalogue.find_product(ProductId(id)).await.unwrap();
        assert_eq!(stored.product.price, usd(2100));
        assert_eq!(stored.product.cycle_days, Some(30));
        assert!(stored.product.options.is_empty(), "rows left blank remove options");
    }
}

both_backends! {
    async fn bad_campaign_input_is_refused_next_to_its_field_and_nothing_is_saved(app) {
        app.login_as_new("merchant").await;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let mut eur = product_draft("Euro box", "EU-1");
        eur.price = Money::new(MinorUnits::from_minor(500), Currency::Eur);
        let euro = app.services.catalogue.create_product(&Actor::system("test"), &eur).await.unwrap();
        let route = format!("mid:{mid}");
        let product = product.to_string();
        let euro = euro.to_string();
        // (what is changed, the field named, what its message says)
        let cases: [(&str, &str, &str, &str); 8] = [
            ("notify", "ops@example.com, not-an-email", "notify", "not-an-email"),
            ("welcome_body", "Hi {name}", "welcome_body", "{name}"),
            ("welcome_subject", "Hi {first_name", "welcome_subject", "not closed"),
            ("currency", "usd dollars", "currency", "currency"),
            ("route", "", "route", "Pick"),
            ("route", "bogus:1", "route", "Pick"),
            ("route", "mid:99999", "route", "no longer exists"),
            ("name", "", "name", "campaign name"),
        ];
        for (key, value, field, says) in cases {
            let extra = [(key, value)];
            let mut form = campaign_form("Summer", &route, &[&product]);
            form.retain(|(k, _)| *k != key);
            form.push((key, value));
            let response = app.post_form("/campaigns", &form).await;
            assert_eq!(response.status().as_u16(), 422, "{extra:?}");
            let page = page_of(response).await;
            assert_eq!(page.fields_with_errors(), [field], "{extra:?}");
            let message = page.field_error(field).unwrap();
            assert!(message.contains(says), "{extra:?}: {message}");
        }
        let no_products = app.post_form("/campaigns", &campaign_form("Summer", &route, &[])).await;
        assert_eq!(page_of(no_products).await.fields_with_errors(), ["products"]);
        let mixed = app.post_form("/campaigns", &campaign_form("Summer", &route, &[&product, &euro])).await;
        let page = page_of(mixed).await;
        assert_eq!(page.fields_with_errors(), ["products"]);
        assert_eq!(page.checked_values("products"), [euro.clone(), product.clone()], "the ticks are kept (listed by name)");
        let several = app.post_form("/campaigns", &[("name", ""), ("currency", "USD"), ("route", ""), ("notify", "x, y@z.com, w")]).await;
        let mut shown = page_of(several).await.fields_with_errors();
        shown.sort();
        assert_eq!(shown, ["name", "notify", "products", "route"], "every message at once");
        assert_eq!(campaign_count(&app).await, 0, "nothing saved");
    }
}

both_backends! {
    async fn the_campaign_form_creates_and_edits_a_campaign(app) {
        app.login_as_new("admin").await;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let atri = app.services.routing.create(&Actor::system("test"), &profile_draft("Spread", "atri", &[mid])).await.unwrap();
        let a = new_product(&app, "Vitamins", "VIT-30").await;
        let b = new_product(&app, "Box", "BOX-1").await;
        let new = app.get_page("/campaigns/new").await;
        assert!(new.is_checked("#recycling"), "recycling is on by default");
        assert!(new.text("#placeholders-hint").contains("{first_name}"));
        assert!(new.value_of("welcome_subject").unwrap().contains("{first_name}"), "a welcome email to start from");
        assert_eq!(new.all("input[name=products]").len(), 2);

        let route = format!("atri:{atri}");
        let (a_s, b_s) = (a.to_string(), b.to_string());
        let created = app.post_form("/campaigns", &campaign_form("Summer", &route, &[&b_s, &a_s])).await;
        crate::helpers::assert_redirects_to(&created, "/campaigns");
        let list = app.get_page("/campaigns").await;
        let row = list.texts("tr[id^=campaign-] td");
        assert_eq!(row[..5], ["Summer", "USD", "Spread ATRI", "2", "On"], "route name and product count");
        let id = list.attr_of("tr[id^=campaign-]", "id").unwrap().trim_start_matches("campaign-").parse::<i64>().unwrap();
        let stored = app.services.catalogue.find_campaign(CampaignId(id)).await.unwrap();
        assert_eq!(stored.products, [b, a]);
        assert_eq!(stored.notify.len(), 2);

        let edit = app.get_page(&format!("/campaigns/{id}/edit")).await;
        assert_eq!(edit.selected("route"), Some(route.clone()));
        assert_eq!(edit.checked_values("products"), [b_s.clone(), a_s.clone()], "Box, then Vitamins, by name");
        let mid_route = format!("mid:{mid}");
        let mut form = campaign_form("Summer", &mid_route, &[&a_s]);
        form.retain(|(k, _)| *k != "recycling");
        let saved = app.post_form(&format!("/campaigns/{id}"), &form).await;
        crate::helpers::assert_redirects_to(&saved, "/campaigns");
        let stored = app.services.catalogue.find_campaign(CampaignId(id)).await.unwrap();
        assert_eq!(stored.route, SalesRoute::Mid(mid));
        assert!(!stored.recycling, "unticked turns recycling off");
        assert_eq!(stored.products, [a]);
        let routed = |route| recoup::db::catalogue::campaigns_routed_to(&app.db, route);
        assert_eq!(routed(SalesRoute::Mid(mid)).await.unwrap(), ["Summer"], "what keeps the MID in use");
        assert!(routed(SalesRoute::Atri(atri)).await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_inline_toggles_answer_one_row_and_keep_focus(app) {
        app.login_as_new("merchant").await;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let campaign = new_campaign(&app, "Summer", mid, &[product]).await;
        for (path, row_id, button) in [
            (format!("/products/{product}/enabled"), format!("product-{product}"), format!("#toggle-product-{product}")),
            (format!("/campaigns/{campaign}/enabled"), format!("campaign-{campaign}"), format!("#toggle-campaign-{campaign}")),
        ] {
            let response = htmx_post(&app, &path, &[("enabled", "false")]).await;
            assert_eq!(response.status().as_u16(), 200);
            let html = response.text().await.unwrap();
            assert!(!html.contains("<html"), "a fragment: {html}");
            let row = Page::parse(&html);
            assert_eq!(row.all("tr").len(), 1);
            assert_eq!(row.attr_of("tr", "id"), Some(row_id.clone()));
            assert!(row.has(".status.off"));
            assert!(row.attr_of(&button, "autofocus").is_some(), "focus stays on the button");
            assert_eq!(row.value_of("enabled").as_deref(), Some("true"));
            let plain = app.post_form(&path, &[("enabled", "true")]).await;
            assert_eq!(crate::helpers::location(&plain), if path.starts_with("/products") { "/products" } else { "/campaigns" });
        }
        assert!(app.services.catalogue.find_product(product).await.unwrap().enabled);
        assert!(app.services.catalogue.find_campaign(campaign).await.unwrap().enabled);
        let kinds: Vec<String> = events(&app).await.into_iter().map(|(k, ..)| k).collect();
        assert!(kinds.contains(&"product.disabled".to_owned()) && kinds.contains(&"campaign.enabled".to_owned()));
    }
}

both_backends! {
    async fn archiving_asks_first_then_hides_the_record(app) {
        app.login_as_new("merchant").await;
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let campaign = new_campaign(&app, "Summer", mid, &[product]).await;

        let ask = app.post_form(&format!("/products/{product}/archive"), &[]).await;
        assert_eq!(ask.status().as_u16(), 200);
        let ask = page_of(ask).await;
        assert!(ask.text("h1").contains("Vitamins"));
        assert!(ask.text(".card p").contains("Summer"), "it names the campaigns that stop selling it");
        assert_eq!(ask.value_of("confirm").as_deref(), Some("yes"));
        assert!(!app.services.catalogue.find_product(product).await.unwrap().archived, "nothing yet");
        let done = app.post_form(&format!("/products/{product}/archive"), &[("confirm", "yes")]).await;
        crate::helpers::assert_redirects_to(&done, "/products");
        assert!(!app.get_page("/products").await.has(&format!("#product-{product}")), "it leaves the list");
        let shown = app.get_page("/products?archived=show").await;
        assert!(shown.text(&format!("#product-{product}")).contains("Archived"), "and shows as archived when asked");
        assert!(!shown.has(&format!("#product-{product} a[href$='/edit']")), "with no edit link");
        assert_eq!(app.get(&format!("/products/{product}/edit")).await.status().as_u16(), 409);
        let new_campaign_form = app.get_page("/campaigns/new").await;
        assert!(new_campaign_form.all("input[name=products]").is_empty(), "no longer offered to new campaigns");
        let edit = app.get_page(&format!("/campaigns/{campaign}/edit")).await;
        assert!(edit.text("#products").contains("archived"), "a campaign that has it shows it as archived");

        let ask = app.post_form(&format!("/campaigns/{campaign}/archive"), &[]).await;
        assert!(page_of(ask).await.text("h1").contains("Summer"));
        let done = app.post_form(&format!("/campaigns/{campaign}/archive"), &[("confirm", "yes")]).await;
        crate::helpers::assert_redirects_to(&done, "/campaigns");
        assert!(!app.get_page("/campaigns").await.has(&format!("#campaign-{campaign}")));
        assert!(app.get_page("/campaigns?archived=show").await.has(&format!("#campaign-{campaign}")));
        assert!(app.services.catalogue.offered().await.unwrap().is_empty());
    }
}

both_backends! {
    async fn the_lists_filter_search_sort_and_paginate(app) {
        app.login_as_new("merchant").await;
        let actor = Actor::system("test");
        for i in 0..27 {
            let mut draft = product_draft(&format!("Product {i:02}"), &format!("SKU-{i:02}"));
            if i % 3 == 0 {
                draft.cycle_days = Some(30);
            }
            app.services.catalogue.create_product(&actor, &draft).await.unwrap();
        }
        let names = |page: &Page| page.texts("tr[id^='product-'] td:first-child");
        let first = app.get_page("/products").await;
        assert_eq!(names(&first).len(), 25, "25 a page");
        assert!(first.has("nav.pager a[rel=next]"));
        assert_eq!(names(&app.get_page("/products?page=2").await).len(), 2);
        assert_eq!(names(&app.get_page("/products?q=sku-07").await), ["Product 07"], "search by SKU");
        assert_eq!(names(&app.get_page("/products?q=product+1").await).len(), 10, "search by name");
        assert_eq!(names(&app.get_page("/products?kind=recurring").await).len(), 9);
        assert_eq!(names(&app.get_page("/products?kind=one_off").await).len(), 18);
        let desc = app.get_page("/products?sort=sku&dir=desc").await;
        assert_eq!(names(&desc)[..2], ["Product 26", "Product 25"]);
        let flip = desc.attr_of("thead th:nth-child(2) a", "href").unwrap_or_default();
        assert!(flip.contains("sort=sku") && flip.contains("dir=asc"), "{flip}");
        let filtered = app.get_page("/products?kind=recurring").await;
        assert!(filtered.attr_of("details.filter-panel", "open").is_some(), "a set filter opens the panel");
        assert_eq!(app.get("/products?sort=%27;drop&dir=x&page=zz&enabled=maybe&kind=1").await.status().as_u16(), 200);

        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let summer = new_campaign(&app, "Summer", mid, &[product]).await;
        new_campaign(&app, "Winter", mid, &[product]).await;
        app.services.catalogue.set_campaign_enabled(&actor, summer, false).await.unwrap();
        let campaigns = |page: &Page| page.texts("tr[id^='campaign-'] td:first-child");
        assert_eq!(campaigns(&app.get_page("/campaigns").await), ["Summer", "Winter"]);
        assert_eq!(campaigns(&app.get_page("/campaigns?enabled=no").await), ["Summer"]);
        assert_eq!(campaigns(&app.get_page("/campaigns?q=wint").await), ["Winter"]);
        assert!(campaigns(&app.get_page("/campaigns?currency=EUR").await).is_empty());
        assert_eq!(campaigns(&app.get_page("/campaigns?sort=name&dir=desc").await), ["Winter", "Summer"]);
        assert_eq!(app.get("/campaigns?currency=XYZ&page=-3").await.status().as_u16(), 200);
    }
}

both_backends! {
    /// Merchants and admins set up the catalogue; a CS agent is refused and changes nothing.
    async fn merchants_and_admins_use_the_catalogue_and_a_cs_agent_gets_403(app) {
        let mid = new_mid(&app, "Sandbox", Provider::Test, &[]).await;
        let product = new_product(&app, "Vitamins", "VIT-30").await;
        let campaign = new_campaign(&app, "Summer", mid, &[product]).await;
        let pages = ["/products".to_owned(), "/products/new".to_owned(), format!("/products/{product}/edit"), "/campaigns".to_owned(), "/campaigns/new".to_owned(), format!("/campaigns/{campaign}/edit")];
        for role in ["merchant", "admin"] {
            app.login_as_new(role).await;
            for path in &pages {
                assert_eq!(app.get(path).await.status().as_u16(), 200, "{role} {path}");
            }
            let home = app.get_page("/").await;
            assert!(home.has("nav.mainnav a[href='/products']"), "{role} sees the Catalogue entry");
            let logout = app.post_form("/logout", &[]).await;
            assert_eq!(logout.status().as_u16(), 303);
        }
        app.login_as_new("cs_agent").await;
        for path in &pages {
            assert_eq!(app.get(path).await.status().as_u16(), 403, "cs_agent {path}");
        }
        assert!(!app.get_page("/").await.has("nav.mainnav a[href='/products']"));
        let posts = [
            ("/products".to_owned(), product_form("Sneaky", "SNK-1", &[])),
            (format!("/products/{product}/enabled"), vec![("enabled", "false")]),
            (format!("/products/{product}/archive"), vec![("confirm", "yes")]),
            (format!("/campaigns/{campaign}/enabled"), vec![("enabled", "false")]),
            (format!("/campaigns/{campaign}/archive"), vec![("confirm", "yes")]),
        ];
        for (path, form) in &posts {
            assert_eq!(app.post_form(path, form).await.status().as_u16(), 403, "cs_agent POST {path}");
        }
        assert_eq!(product_count(&app).await, 1);
        let stored = app.services.catalogue.find_product(product).await.unwrap();
        assert!(stored.enabled && !stored.archived, "nothing changed");
        assert!(app.services.catalogue.find_campaign(campaign).await.unwrap().on_sale());
    }
}

// ---------------------------------------------------------------------------------------------
// In a browser

/// From the keyboard: a toggle keeps focus on its row's button after the swap, and the cascade
/// note follows the route picked.
#[tokio::test]
async fn toggles_keep_focus_and_the_cascade_note_follows_the_route_in_a_browser() {
    use crate::chrome::{ENTER, signed_in};
    let Some((browser, app)) = signed_in("cat@example.com", "Cat Alogue", "merchant").await else {
        return;
    };
    let backup = new_mid(&app, "Backup", Provider::Test, &[]).await;
    let cascade = app
        .services
        .routing
        .create(
            &Actor::system("test"),
            &profile_draft("Main cascade", "cascade", &[backup]),
        )
        .await
        .unwrap();
    let main = mid_with_cascade(&app, "Main", cascade).await;
    let product = new_product(&app, "Vitamins", "VIT-30").await;
    let campaign = new_campaign(&app, "Summer", main, &[product]).await;

    for (list, row, toggle) in [
        (
            "/products",
            format!("product-{product}"),
            format!("toggle-product-{product}"),
        ),
        (
            "/campaigns",
            format!("campaign-{campaign}"),
            format!("toggle-campaign-{campaign}"),
        ),
    ] {
        browser.goto(&app, list).await;
        browser
            .js(&format!(
                "document.getElementById('{toggle}').focus(); return null;"
            ))
            .await;
        browser.press(ENTER).await;
        let question = browser.c().get_alert_text().await.expect("confirm dialog");
        assert!(question.contains("Disable"), "{question}");
        browser.c().accept_alert().await.expect("accept");
        browser
            .wait_for(&format!("#{row} .status.off"), "the row shows disabled")
            .await;
        browser
            .wait_for_focus(&toggle, "after Disable, focus is on the row's button")
            .await;
        browser.press(ENTER).await;
        browser
            .wait_for(&format!("#{row} .status.ok"), "the row shows enabled")
            .await;
        browser
            .wait_for_focus(&toggle, "after Enable, focus is on the row's button")
            .await;
    }
    assert!(
        app.services
            .catalogue
            .find_product(product)
            .await
            .unwrap()
            .enabled
    );
    assert!(
        app.services
            .catalogue
            .find_campaign(campaign)
            .await
            .unwrap()
            .enabled
    );

    browser.goto(&app, "/campaigns/new").await;
    browser
        .js(&format!(
            "const s = document.getElementById('route'); s.value = 'mid:{main}'; \
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return null;"
        ))
        .await;
    let note = browser.wait_for_text("#cascade-note", "Main cascade").await;
    assert!(note.contains("Main"), "{note}");
}
