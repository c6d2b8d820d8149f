//! The role x route matrix (SPEC R-AU-2): every route of the table, for every built-in role and
//! for an anonymous visitor. The expectations are written out here, independently of the table,
//! so a route added without a matching row here fails this test.

use crate::both_backends;
use recoup::web::{Access, route_table};

const ALL: &[&str] = &["anonymous", "admin", "merchant", "cs_admin", "cs_agent"];
const SIGNED_IN: &[&str] = &["admin", "merchant", "cs_admin", "cs_agent"];
const MERCHANT: &[&str] = &["admin", "merchant"];
const CS: &[&str] = &["admin", "cs_admin", "cs_agent"];
const ADMIN: &[&str] = &["admin"];
/// Gateways, routing and decline mapping are merchant work too.
const GATEWAYS: &[&str] = MERCHANT;

/// (method, path pattern, who may use it).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("GET", "/healthz", ALL),
    ("GET", "/login", ALL),
    ("POST", "/login", ALL),
    ("POST", "/logout", SIGNED_IN),
    ("GET", "/", SIGNED_IN),
    ("GET", "/mids", MERCHANT),
    ("GET", "/mids/new", MERCHANT),
    ("GET", "/mids/credential-fields", MERCHANT),
    ("POST", "/mids", MERCHANT),
    ("GET", "/mids/{id}/edit", MERCHANT),
    ("POST", "/mids/{id}", MERCHANT),
    ("POST", "/mids/{id}/enabled", MERCHANT),
    ("POST", "/mids/{id}/delete", MERCHANT),
    ("GET", "/gateways", GATEWAYS),
    ("GET", "/gateways/profiles", GATEWAYS),
    ("GET", "/gateways/profiles/new", GATEWAYS),
    ("POST", "/gateways/profiles", GATEWAYS),
    ("GET", "/gateways/profiles/{id}", GATEWAYS),
    ("POST", "/gateways/profiles/{id}", GATEWAYS),
    ("POST", "/gateways/profiles/{id}/delete", GATEWAYS),
    ("GET", "/gateways/decline-mapping", GATEWAYS),
    ("POST", "/gateways/decline-mapping", GATEWAYS),
    ("GET", "/gateways/decline-mapping/{id}", GATEWAYS),
    ("GET", "/gateways/decline-mapping/{id}/edit", GATEWAYS),
    ("POST", "/gateways/decline-mapping/{id}", GATEWAYS),
    ("POST", "/gateways/decline-mapping/{id}/delete", GATEWAYS),
    ("GET", "/recycle-billing", MERCHANT),
    ("GET", "/recycle-billing/new", MERCHANT),
    ("POST", "/recycle-billing", MERCHANT),
    ("POST", "/recycle-billing/validate", MERCHANT),
    ("POST", "/recycle-billing/preview", MERCHANT),
    ("POST", "/recycle-billing/preset", MERCHANT),
    ("POST", "/recycle-billing/mid-list", MERCHANT),
    ("GET", "/recycle-billing/{id}/edit", MERCHANT),
    ("POST", "/recycle-billing/{id}", MERCHANT),
    ("POST", "/recycle-billing/{id}/delete", MERCHANT),
    ("GET", "/customers", CS),
    ("GET", "/admin", ADMIN),
    ("GET", "/admin/users", ADMIN),
    ("GET", "/admin/users/new", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("GET", "/admin/users/{id}", ADMIN),
    ("POST", "/admin/users/{id}/role", ADMIN),
    ("POST", "/admin/users/{id}/active", ADMIN),
    ("POST", "/admin/users/{id}/password", ADMIN),
    ("GET", "/admin/roles", ADMIN),
    ("GET", "/admin/roles/new", ADMIN),
    ("POST", "/admin/roles", ADMIN),
    ("GET", "/admin/roles/{id}", ADMIN),
    ("POST", "/admin/roles/{id}", ADMIN),
    ("POST", "/admin/roles/{id}/delete", ADMIN),
    ("GET", "/admin/events", ADMIN),
];

#[test]
fn every_route_in_the_table_has_an_expected_row_and_back() {
    let table: Vec<(String, &str)> = route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    for (method, path) in &table {
        assert!(
            EXPECTED.iter().any(|(m, p, _)| m == method && p == path),
            "route {method} {path} has no row in EXPECTED: add one saying who may use it"
        );
    }
    for (method, path, _) in EXPECTED {
        assert!(
            table.iter().any(|(m, p)| m == method && p == path),
            "EXPECTED lists {method} {path}, which is not routed"
        );
    }
    let public: Vec<_> = route_table()
        .into_iter()
        .filter(|r| r.access == Access::Public)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        public,
        ["/healthz", "/login", "/login"],
        "only these routes are open to anonymous visitors"
    );
}

both_backends! {
    async fn every_role_gets_exactly_the_routes_its_permissions_allow(app) {
        let target = app.create_user("target@example.com", "Target User", "cs_agent").await;
        let boss = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(boss.id), label: boss.email.clone(), ip: None };
        let draft = recoup::domain::user::RoleDraft::parse("auditor", "", &["events.view".to_owned()]).unwrap();
        let role = app.services.create_role(&actor, &draft).await.unwrap();
        let fixtures = crate::gateways::Fixtures::new(&app).await;

        for who in ALL {
            let client = new_client();
            if *who != "anonymous" {
                let email = format!("matrix.{}@example.com", who.replace('_', "."));
                app.create_user(&email, "Matrix User", who).await;
                let response = app.login_with(&client, &email, PASSWORD).await;
                assert_eq!(response.status().as_u16(), 303, "{who} signs in");
            }
            let page = client.get(app.url("/login")).send().await.unwrap();
            let token = if page.status().as_u16() == 200 {
                csrf_in(&page.text().await.unwrap())
            } else {
                csrf_in(&client.get(app.url("/")).send().await.unwrap().text().await.unwrap())
            };
            // Sign-out last, so the session lasts the whole walk.
            let mut rows: Vec<_> = EXPECTED.to_vec();
            rows.sort_by_key(|(_, p, _)| *p == "/logout");
            for (method, pattern, allowed) in rows {
                let path = pattern
                    .replace("/admin/users/{id}", &format!("/admin/users/{}", target.id))
                    .replace("/admin/roles/{id}", &format!("/admin/roles/{role}"))
                    .replace("/mids/{id}", &format!("/mids/{}", fixtures.mid))
                    .replace("/recycle-billing/{id}", &format!("/recycle-billing/{}", fixtures.recycle))
                    .replace("/gateways/profiles/{id}", &format!("/gateways/profiles/{}", fixtures.profile))
                    .replace("/gateways/decline-mapping/{id}", &format!("/gateways/decline-mapping/{}", fixtures.mapping));
                let request = match method {
                    "GET" => client.get(app.url(&path)),
                    _ => client.post(app.url(&path)).form(&[("csrf_token", token.as_str())]),
                };
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let to_login = location(&response).starts_with("/login?next=");
                if allowed.contains(who) {
                    assert!(status != 403 && status < 500 && !to_login, "{who} {method} {path}: expected access, got {status}");
                } else if *who == "anonymous" && method == "GET" {
                    assert!(status == 303 && to_login, "{who} {method} {path}: expected a redirect to sign in, got {status}");
                } else {
                    assert_eq!(status, 403, "{who} {method} {path}: expected 403");
                }
            }
        }
    }
}

both_backends! {
    async fn a_custom_role_grants_exactly_its_permissions(app) {
        let boss = app.create_user("boss@example.com", "Bo Boss", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(boss.id), label: boss.email.clone(), ip: None };
        let draft = recoup::domain::user::RoleDraft::parse("auditor", "Reads the log", &["events.view".to_owned(), "dashboard.view".to_owned()]).unwrap();
        app.services.create_role(&actor, &draft).await.unwrap();
        app.login_as_new("auditor").await;
        assert_eq!(app.get("/admin/events").await.status().as_u16(), 200);
        assert_eq!(app.get("/admin").await.status().as_u16(), 200);
        assert_eq!(app.get("/admin/users").await.status().as_u16(), 403);
        assert_eq!(app.get("/mids").await.status().as_u16(), 403);
        let nav = app.get_html("/").await;
        assert!(nav.contains("href=\"/admin\"") && !nav.contains("href=\"/mids\""));
    }
}
