//! Accessibility audit (issue #9): axe-core, from the npm package pinned in `tests/a11y`, run in
//! headless Chromium on every page of the route table, as an anonymous visitor and as each
//! built-in role, at 1366 and 390 CSS pixels wide. Any serious or critical violation fails, and
//! so does a page wider than the screen at 390 px. Everything is collected first, then reported
//! once. In CI a missing browser or axe-core fails the run; elsewhere it prints a NOTICE and the
//! test returns.

use std::fmt::Write as _;
use std::time::Instant;

use actix_web::http::Method;
use futures_util::future::join_all;
use recoup::domain::auth::Viewer;
use recoup::domain::event::Actor;
use recoup::domain::ids::{MappingId, MidId, ProfileId, RecycleProfileId, RoleId, UserId};
use recoup::domain::permission::BuiltinRole;
use recoup::domain::provider::Provider;
use recoup::domain::routing::ProfileKind;
use serde::Deserialize;

use crate::chrome::{Browser, in_ci};
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/a11y/node_modules/axe-core/axe.min.js"
);

/// (width, height) in CSS pixels: a laptop, then a phone.
const VIEWPORTS: [(u32, u32); 2] = [(1366, 768), (390, 844)];
const PHONE: u32 = 390;

/// The axe impact levels that fail the audit.
const FAILING: [&str; 2] = ["serious", "critical"];

/// Measures horizontal overflow, then runs axe; answers through WebDriver's async callback.
/// Where overflow starts: elements past the right edge that no scrolling or clipping ancestor
/// holds in (an absolutely placed element escapes a scroller that is not positioned), whose
/// parent is inside the edge or held in, widest first.
const AUDIT: &str = r##"
const done = arguments[arguments.length - 1];
const root = document.documentElement;
const clip = (s, n) => {
  s = String(s || "").replace(/\s+/g, " ").trim();
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
};
const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  [...el.classList].map((c) => "." + c).join("");
const heldIn = (el) => {
  let placed = getComputedStyle(el).position;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (placed === "fixed") return false;
    const style = getComputedStyle(a);
    if (placed === "absolute" && style.position === "static") continue;
    if (style.overflowX !== "visible") return true;
    if (placed === "absolute") placed = style.position;
  }
  return false;
};
const edge = root.clientWidth + 0.5;
const culprits = [];
if (root.scrollWidth > root.clientWidth) {
  for (const el of document.body.querySelectorAll("*")) {
    const right = el.getBoundingClientRect().right;
    if (right <= edge || heldIn(el)) continue;
    const parent = el.parentElement;
    if (parent !== document.body && parent.getBoundingClientRect().right > edge && !heldIn(parent)) continue;
    const placed = getComputedStyle(el).position;
    culprits.push([right, name(parent) + " > " + name(el) + " (right edge " + Math.round(right) + " px" +
      (placed === "static" ? "" : ", position: " + placed) + ")"]);
  }
}
culprits.sort((a, b) => b[0] - a[0]);
const page = {
  path: location.pathname + location.search,
  status: performance.getEntriesByType("navigation")[0].responseStatus,
  clientWidth: root.clientWidth,
  scrollWidth: root.scrollWidth,
  culprits: [...new Set(culprits.map((c) => c[1]))].slice(0, 5),
};
axe.run(document, { resultTypes: ["violations"] }).then(
  (r) => done(Object.assign(page, {
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        impact: n.impact,
        target: n.target.map((t) => Array.isArray(t) ? t.join(" >>> ") : t).join(", "),
        html: clip(n.html, 160),
        summary: clip(n.failureSummary, 300),
      })),
    })),
  })),
  (e) => done(Object.assign(page, { error: String((e && e.stack) || e) })),
);
"##;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Audit {
    path: String,
    status: u16,
    client_width: u32,
    scroll_width: u32,
    culprits: Vec<String>,
    #[serde(default)]
    violations: Vec<Violation>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    help_url: String,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    impact: Option<String>,
    target: String,
    html: String,
    summary: String,
}

/// Records every page needs that has an `{id}` in its path, and the pages that change with a
/// record's kind: a MID of each provider, an ATRI and a cascade profile.
struct Fixtures {
    mids: Vec<MidId>,
    profiles: Vec<ProfileId>,
    mapping: MappingId,
    recycle: RecycleProfileId,
    user: UserId,
    role: RoleId,
    product: recoup::domain::ids::ProductId,
    campaign: recoup::domain::ids::CampaignId,
    /// An approved order with a subscription, and a declined one.
    orders: Vec<recoup::domain::ids::OrderId>,
    /// The customer of those orders.
    customer: recoup::domain::ids::CustomerId,
    /// The approved order's subscription (its purchase details page).
    subscriptions: Vec<recoup::domain::ids::SubscriptionId>,
}

impl Fixtures {
    async fn new(app: &TestApp) -> Self {
        use crate::gateways::{new_mid, profile_draft};
        let actor = Actor::system("test");
        let mut mids = Vec::new();
        for provider in Provider::all() {
            mids.push(new_mid(app, &format!("{} store", provider.label()), provider, &[]).await);
        }
        let routed = new_mid(app, "Routed store", Provider::Test, &[]).await;
        let mut profiles = Vec::new();
        for kind in ProfileKind::all() {
            let name = format!("Main {}", kind.key());
            let draft = profile_draft(&name, kind.key(), &[mids[0], routed]);
            profiles.push(app.services.routing.create(&actor, &draft).await.unwrap());
        }
        let mapping = recoup::domain::decline::MappingDraft {
            provider: None,
            code: "05".into(),
            text: "Do not honor".into(),
            class: recoup::domain::decline::DeclineClass::Hard,
        };
        let mapping = app
            .services
            .declines
            .create(&actor, &mapping)
            .await
            .unwrap();
        let recycle = recoup::domain::recycle::RecycleDraft {
            name: "Main salvage".into(),
            apply_to: vec![mids[0]],
            ..recoup::domain::recycle::RecycleDraft::blank()
        };
        let recycle = app.services.recycle.create(&actor, &recycle).await.unwrap();
        let permissions = ["events.view".to_owned()];
        let draft =
            recoup::domain::user::RoleDraft::parse("auditor", "Reads the log", &permissions)
                .unwrap();
        let role = app.services.roles.create(&actor, &draft).await.unwrap();
        let user = app
            .create_user("rae.auditor@example.com", "Rae Auditor", "auditor")
            .await
            .id;
        // A MID that takes Visa, so the approved order has transactions and actions to audit.
        let desk = app
            .services
            .mids
            .create(&actor, &crate::orders::mid_draft("Order desk MID"))
            .await
            .unwrap();
        let (product, campaign) = crate::catalogue::a11y_fixtures(app, desk).await;
        let mut orders = Vec::new();
        for card in ["4111111111111111", "4000000000000002"] {
            let shop = crate::orders::Shop {
                campaign,
                one_off: product,
                recurring: product,
                main: desk,
                backups: Vec::new(),
                cascade: None,
            };
            let draft = crate::orders::sale(&shop, card, &[(product, 1)]);
            orders.push(
                app.services
                    .orders
                    .place(&actor, &draft, None)
                    .await
                    .unwrap(),
            );
        }
        let customer = app
            .services
            .orders
            .details(orders[0])
            .await
            .unwrap()
            .customer
            .id;
        let note = recoup::domain::history::NoteText::parse("Called about the order.").unwrap();
        app.services
            .customers
            .add_note(&actor, customer, &note)
            .await
            .unwrap();
        let subscriptions = app
            .services
            .orders
            .details(orders[0])
            .await
            .unwrap()
            .subscriptions
            .iter()
            .map(|s| s.id)
            .collect();
        Self {
            subscriptions,
            customer,
            product,
            campaign,
            orders,
            mids,
            profiles,
            mapping,
            recycle,
            user,
            role,
        }
    }

    /// The paths a browser opens for one GET route of the table, each `{id}` filled in; a route
    /// whose page differs by record or query once per variant. Empty for routes a browser is
    /// never sent to. A new `{id}` route fails here until it has a fixture.
    fn paths(&self, route: &str) -> Vec<String> {
        let with = |ids: Vec<String>| -> Vec<String> {
            ids.iter().map(|id| route.replace("{id}", id)).collect()
        };
        match route {
            // Plain text for load balancers, not a page.
            "/healthz" => Vec::new(),
            // htmx fragments swapped into pages audited here (the MID form, the mapping
            // list); a direct visit is redirected to those pages, so no browser lands on them.
            "/mids/credential-fields" | "/gateways/decline-mapping/{id}" => Vec::new(),
            // The JSON API (`tests/api/api_platform.rs`): no pages.
            p if p.starts_with("/api/") => Vec::new(),
            // The campaign form's cascade note, swapped in by htmx.
            "/campaigns/cascade" => Vec::new(),
            "/products/{id}/edit" => with(vec![self.product.to_string()]),
            "/campaigns/{id}/edit" => with(vec![self.campaign.to_string()]),
            "/orders/{id}" => with(self.orders.iter().map(ToString::to_string).collect()),
            // The profile with each of its tabs open.
            "/customers/{id}" => recoup::domain::customer::ProfileTab::all()
                .map(|t| format!("/customers/{}?tab={}", self.customer, t.key()))
                .collect(),
            // Each pencil without JavaScript: the profile with that field's form open.
            "/customers/{id}/edit/{field}" => recoup::domain::customer::DetailField::all()
                .map(|f| format!("/customers/{}/edit/{}", self.customer, f.key()))
                .collect(),
            "/customers/{id}/notes/new" => with(vec![self.customer.to_string()]),
            "/subscriptions/{id}" => {
                with(self.subscriptions.iter().map(ToString::to_string).collect())
            }
            // Each gateway's "Activate" link leads here with its provider.
            "/mids/new" => std::iter::once(route.to_owned())
                .chain(Provider::all().map(|p| format!("{route}?provider={}", p.key())))
                .collect(),
            "/gateways/profiles/new" => ProfileKind::all()
                .map(|k| format!("{route}?kind={}", k.key()))
                .collect(),
            "/mids/{id}/edit" => with(self.mids.iter().map(ToString::to_string).collect()),
            "/gateways/profiles/{id}" => {
                with(self.profiles.iter().map(ToString::to_string).collect())
            }
            "/gateways/decline-mapping/{id}/edit" => with(vec![self.mapping.to_string()]),
            "/recycle-billing/{id}/edit" => with(vec![self.recycle.to_string()]),
            "/admin/users/{id}" => with(vec![self.user.to_string()]),
            // A custom role: a built-in one is read-only and redirects to the list.
            "/admin/roles/{id}" => with(vec![self.role.to_string()]),
            other => {
                assert!(
                    !other.contains('{'),
                    "no fixture for {other}: add one to a11y::Fixtures so its page is audited"
                );
                vec![other.to_owned()]
            }
        }
    }
}

/// One page to open and the status it must answer with.
struct Page {
    path: String,
    status: u16,
}

/// Every page of the table for `viewer` (`None`: an anonymous visitor), and the 404 page. A
/// signed-in user sees the pages their role may not open as the 403 page, once per route (the
/// variants of a refusal are the same page); an anonymous visitor is sent to sign in instead,
/// and a signed-in user who opens the sign-in page is sent on to the dashboard.
fn pages_for(viewer: Option<&Viewer>, fixtures: &Fixtures) -> Vec<Page> {
    let mut pages = Vec::new();
    for route in recoup::web::route_table() {
        let allowed = route.access.allows(viewer);
        let signed_in = viewer.is_some();
        if route.method != Method::GET || (!allowed && !signed_in) {
            continue;
        }
        if signed_in && route.path == "/login" {
            continue;
        }
        let mut paths = fixtures.paths(route.path);
        if !allowed {
            paths.truncate(1);
        }
        let status = if allowed { 200 } else { 403 };
        pages.extend(paths.into_iter().map(|path| Page { path, status }));
    }
    pages.push(Page {
        path: "/no-such-page".to_owned(),
        status: 404,
    });
    pages
}

/// One page as one audience saw it at one width.
#[derive(Clone)]
struct View {
    who: &'static str,
    path: String,
    status: u16,
    width: u32,
}

impl View {
    fn label(&self) -> String {
        format!(
            "{} [{}] as {} at {} px",
            self.path, self.status, self.who, self.width
        )
    }
}

#[derive(Default)]
struct Findings {
    views: usize,
    /// (view, rule, its failing nodes).
    violations: Vec<(View, Violation)>,
    /// (view, scrollWidth, where the overflow starts).
    overflows: Vec<(View, u32, Vec<String>)>,
    /// Pages the audit could not read as asked: the audit itself is wrong until these go.
    errors: Vec<String>,
}

/// Opens each page in `browser` (already signed in as `who`) and audits it at each width. One
/// load serves both widths: the server cannot know the width and no script reads it, so a
/// resize lays the page out as a load at that width would, for half the loads and injections.
async fn audit(
    browser: &Browser,
    app: &TestApp,
    who: &'static str,
    pages: &[Page],
    axe: &str,
) -> Findings {
    let mut found = Findings::default();
    let inject = format!("{axe}\n;return window.axe ? window.axe.version : null;");
    for page in pages {
        let (width, height) = VIEWPORTS[0];
        browser.set_viewport(width, height).await;
        browser.goto(app, &page.path).await;
        let loaded = browser
            .c()
            .execute(&inject, vec![])
            .await
            .expect("inject axe-core");
        for (width, height) in VIEWPORTS {
            browser.set_viewport(width, height).await;
            let view = View {
                who,
                path: page.path.clone(),
                status: page.status,
                width,
            };
            found.views += 1;
            if !loaded.is_string() {
                found
                    .errors
                    .push(format!("{}: axe-core did not load", view.label()));
                continue;
            }
            let raw = browser
                .c()
                .execute_async(AUDIT, vec![])
                .await
                .expect("run axe-core");
            found.record(view, serde_json::from_value(raw).expect("axe-core result"));
        }
    }
    found
}

impl Findings {
    fn record(&mut self, view: View, result: Audit) {
        if let Some(error) = result.error {
            self.errors
                .push(format!("{}: axe-core failed: {error}", view.label()));
        }
        if result.path != view.path {
            let landed = format!("{}: landed on {} instead", view.label(), result.path);
            self.errors.push(landed);
        }
        if result.status != view.status {
            let status = format!("{}: answered {}", view.label(), result.status);
            self.errors.push(status);
        }
        if result.client_width != view.width {
            let wide = format!("{}: laid out {} px wide", view.label(), result.client_width);
            self.errors.push(wide);
        }
        if view.width == PHONE && result.scroll_width > result.client_width {
            self.overflows
                .push((view.clone(), result.scroll_width, result.culprits));
        }
        for mut violation in result.violations {
            let impact = violation.impact.clone();
            violation
                .nodes
                .retain(|n| is_failing(n.impact.as_ref().or(impact.as_ref())));
            if is_failing(impact.as_ref()) && !violation.nodes.is_empty() {
                self.violations.push((view.clone(), violation));
            }
        }
    }
}

fn is_failing(impact: Option<&String>) -> bool {
    impact.is_some_and(|i| FAILING.contains(&i.as_str()))
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_a_phone_for_every_role() {
    let started = Instant::now();
    let axe = match std::fs::read_to_string(AXE) {
        Ok(axe) => axe,
        Err(e) => {
            assert!(
                !in_ci(),
                "axe-core is required in CI: {AXE}: {e} (npm ci --prefix tests/a11y)"
            );
            eprintln!(
                "NOTICE: {AXE}: {e}; accessibility audit not run. `bash .ci/test` installs axe-core."
            );
            return;
        }
    };
    let Some(visitor) = Browser::start().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let fixtures = Fixtures::new(&app).await;

    // One browser per audience, all signed in before any page is read, so the pages that list
    // users and events show the same records whichever audience gets there first.
    let mut users = Vec::new();
    for role in BuiltinRole::all() {
        users.push((role, new_user(&app, role).await));
    }
    let (app, fixtures, axe) = (&app, &fixtures, axe.as_str());
    let signed_in = join_all(users.into_iter().map(|(role, viewer)| async move {
        let browser = Browser::start()
            .await
            .expect("chromium started for the anonymous visitor");
        browser.login(app, &viewer.email, PASSWORD).await;
        (browser, role.name(), Some(viewer))
    }))
    .await;
    let audiences: Vec<(Browser, &'static str, Option<Viewer>)> =
        std::iter::once((visitor, "anonymous", None))
            .chain(signed_in)
            .collect();
    let audits = join_all(audiences.iter().map(|(browser, who, viewer)| async move {
        let pages = pages_for(viewer.as_ref(), fixtures);
        audit(browser, app, who, &pages, axe).await
    }))
    .await;
    let report = report(audits, started);
    assert!(report.clean, "{}", report.text);
    eprintln!("{}", report.summary);
}

/// A user with `role`, as the portal sees them once signed in.
async fn new_user(app: &TestApp, role: BuiltinRole) -> Viewer {
    let who = role.name();
    let email = format!("{}.a11y@example.com", who.replace('_', "."));
    let user = app.create_user(&email, &format!("Audit {who}"), who).await;
    Viewer {
        user_id: user.id,
        email: user.email,
        name: user.name,
        role_name: user.role_name,
        permissions: role.permissions(),
    }
}

struct Report {
    clean: bool,
    summary: String,
    text: String,
}

/// The findings grouped for fixing: each rule with each failing element and where it shows,
/// each overflowing page, then anything the audit could not read.
fn report(audits: impl IntoIterator<Item = Findings>, started: Instant) -> Report {
    let mut all = Findings::default();
    for a in audits {
        all.views += a.views;
        all.violations.extend(a.violations);
        all.overflows.extend(a.overflows);
        all.errors.extend(a.errors);
    }
    let summary = format!(
        "accessibility audit: {} page views in {:.0?}: {} serious or critical violations (rule x page view), {} overflowing at {PHONE} px, {} audit errors",
        all.views,
        started.elapsed(),
        all.violations.len(),
        all.overflows.len(),
        all.errors.len()
    );
    let mut text = format!("{summary}\n");

    let mut rules: Vec<&str> = all.violations.iter().map(|(_, v)| v.id.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    for rule in rules {
        let hits: Vec<&(View, Violation)> = all
            .violations
            .iter()
            .filter(|(_, v)| v.id == rule)
            .collect();
        let (_, first) = hits[0];
        let _ = writeln!(
            text,
            "\n== {rule} ({}) on {} page views: {}\n   {}",
            first.impact.as_deref().unwrap_or("?"),
            hits.len(),
            first.help,
            first.help_url
        );
        // Each failing element once, with every view it fails in.
        let mut elements: Vec<(&Node, Vec<&View>)> = Vec::new();
        for (view, violation) in &hits {
            for node in &violation.nodes {
                match elements
                    .iter_mut()
                    .find(|(n, _)| n.target == node.target && n.html == node.html)
                {
                    Some((_, views)) => views.push(view),
                    None => elements.push((node, vec![view])),
                }
            }
        }
        for (node, views) in elements {
            let _ = writeln!(
                text,
                "   - {}  {}\n     {}\n     on {}",
                node.target,
                node.html,
                node.summary,
                where_(&views)
            );
        }
    }

    if !all.overflows.is_empty() {
        let _ = writeln!(text, "\n== horizontal overflow at {PHONE} px");
        // The same page overflowing the same way is one line, whoever saw it.
        let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
        for (view, scroll_width, culprits) in &all.overflows {
            let line = format!(
                "{} [{}]: scrollWidth {scroll_width}; starts at {}",
                view.path,
                view.status,
                if culprits.is_empty() {
                    "?".to_owned()
                } else {
                    culprits.join(", ")
                }
            );
            match lines.iter_mut().find(|(l, _)| *l == line) {
                Some((_, who)) => who.push(view.who),
                None => lines.push((line, vec![view.who])),
            }
        }
        for (line, who) in lines {
            let _ = writeln!(text, "   - {line} (as {})", who.join(", "));
        }
    }
    if !all.errors.is_empty() {
        let _ = writeln!(text, "\n== pages the audit could not read as asked");
        for error in &all.errors {
            let _ = writeln!(text, "   - {error}");
        }
    }
    Report {
        clean: all.violations.is_empty() && all.overflows.is_empty() && all.errors.is_empty(),
        summary,
        text,
    }
}

/// "/mids [200] (admin 1366+390, merchant 1366+390); / [200] (...)", pages in visiting order.
fn where_(views: &[&View]) -> String {
    let page = |v: &View| format!("{} [{}]", v.path, v.status);
    let mut pages: Vec<String> = Vec::new();
    for view in views {
        if !pages.contains(&page(view)) {
            pages.push(page(view));
        }
    }
    let mut out = Vec::new();
    for p in pages {
        let here: Vec<&View> = views.iter().copied().filter(|v| page(v) == p).collect();
        let mut who: Vec<&str> = Vec::new();
        for view in &here {
            if !who.contains(&view.who) {
                who.push(view.who);
            }
        }
        let at: Vec<String> = who
            .iter()
            .map(|w| {
                let widths: Vec<String> = here
                    .iter()
                    .filter(|v| v.who == *w)
                    .map(|v| v.width.to_string())
                    .collect();
                format!("{w} {}", widths.join("+"))
            })
            .collect();
        out.push(format!("{p} ({})", at.join(", ")));
    }
    out.join("; ")
}
