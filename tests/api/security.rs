//! Regression tests for the security review (issue 7): each sends the request the review used
//! and asserts it is refused. Rule tests are named after SPEC R-AU-4, R-AU-6 and R-AU-7.

use crate::both_backends;
use crate::helpers::*;
use recoup::domain::ceiling::Overreach;
use recoup::domain::event::Actor;
use recoup::domain::ids::RoleId;
use recoup::domain::user::{NewUser, RoleDraft};
use recoup::services::auth::{LoginAttempt, LoginError};
use recoup::services::roles::RoleError;
use recoup::services::users::UserError;

fn actor_of(user: &recoup::domain::user::User) -> Actor {
    Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        ip: None,
        api_key_id: None,
    }
}

/// A custom role holding `permissions`, and a user with it.
async fn custom_user(
    app: &TestApp,
    role: &str,
    permissions: &[&str],
) -> (RoleId, recoup::domain::user::User) {
    let keys: Vec<String> = permissions.iter().map(|p| (*p).to_owned()).collect();
    let draft = RoleDraft::parse(role, "", &keys).unwrap();
    let id = app
        .services
        .roles
        .create(&Actor::system("test"), &draft)
        .await
        .unwrap();
    let user = app
        .create_user(&format!("{role}@example.com"), "Custom User", role)
        .await;
    (id, user)
}

fn new_user(email: &str, role: &str) -> NewUser {
    NewUser::parse(email, "New Person", role, "amber-quartz-ferry-77").unwrap()
}

// ---- R-AU-7: access is decided for the route that runs, after decoding -------------------

both_backends! {
    /// The review's requests, with no cookie at all: every encoded admin or merchant path sends
    /// the visitor to sign in, and no page content leaks.
    async fn r_au_7_percent_encoded_paths_do_not_skip_the_access_rules(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        app.login_with(&new_client(), "ann@example.com", "wrong-password-123").await;
        for path in ["/%61dmin/events", "/%6Dids", "/%6dids", "/%61dmin/roles", "/gateways/%70rofiles", "/%72ecycle-billing", "/mids/%6Eew", "/%61dmin/users"] {
            let response = new_client().get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 303, "{path}");
            assert!(location(&response).starts_with("/login?next="), "{path}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("ann@example.com"), "{path} leaks the event log");
        }
    }
}

both_backends! {
    /// A cs_agent posting `POST /%61dmin/users` with role=admin and its own CSRF token gets 403,
    /// and no admin exists afterwards.
    async fn r_au_7_an_encoded_post_cannot_create_an_admin(app) {
        app.login_as_new("cs_agent").await;
        let fields = [
            ("email", "mallory@example.com"),
            ("name", "Mallory"),
            ("role", "admin"),
            ("password", "amber-quartz-ferry-77"),
            ("password_confirm", "amber-quartz-ferry-77"),
        ];
        for path in ["/%61dmin/users", "/%41dmin/users", "/admin/%75sers", "/admin/users"] {
            let response = app.post_form(path, &fields).await;
            assert!(matches!(response.status().as_u16(), 403 | 404), "{path}: {}", response.status());
        }
        let found = app.services.users.list(Some("mallory@example.com"), recoup::domain::page::PageRequest::new(None, 10)).await.unwrap();
        assert_eq!(found.total, 0, "nobody was created");
        let login = app.login_with(&new_client(), "mallory@example.com", "amber-quartz-ferry-77").await;
        assert_eq!(login.status().as_u16(), 401);
    }
}

both_backends! {
    /// `POST /mids/new` once reached `mids::update` with no rule; now the path's resource
    /// answers 405 to a method it does not name, signed in or not.
    async fn r_au_7_a_method_with_no_rule_is_refused(app) {
        let anonymous = new_client().post(app.url("/mids/new")).form(&[("title", "x")]).send().await.unwrap();
        assert_eq!(anonymous.status().as_u16(), 405);
        app.login_as_new("merchant").await;
        let merchant = app.post_form("/mids/new", &[("title", "Sneaky")]).await;
        assert_eq!(merchant.status().as_u16(), 405);
        let put = app.client.put(app.url("/admin/users")).send().await.unwrap();
        assert_eq!(put.status().as_u16(), 405);
        assert!(put.headers().get("allow").is_some_and(|a| a.to_str().unwrap().contains("POST")));
    }
}

// ---- R-AU-6: nobody grants what they do not hold ----------------------------------------

both_backends! {
    async fn r_au_6_a_user_manager_cannot_create_an_admin_or_a_role_above_their_own(app) {
        let (_, manager) = custom_user(&app, "people", &["users.manage", "dashboard.view", "customers.view"]).await;
        let actor = actor_of(&manager);
        let admin = app.services.users.create(&actor, new_user("a@example.com", "admin")).await;
        assert!(matches!(admin, Err(UserError::Overreach(Overreach::AdminsOnly))), "{admin:?}");
        let merchant = app.services.users.create(&actor, new_user("m@example.com", "merchant")).await;
        assert!(matches!(merchant, Err(UserError::Overreach(Overreach::Lacks(_)))), "{merchant:?}");
        // A role within the manager's own permissions can be given.
        let draft = RoleDraft::parse("viewer", "", &["dashboard.view".to_owned(), "customers.view".to_owned()]).unwrap();
        app.services.roles.create(&Actor::system("test"), &draft).await.unwrap();
        assert!(app.services.users.create(&actor, new_user("v@example.com", "viewer")).await.is_ok());
        let grantable: Vec<String> = app.services.roles.grantable_by(&actor).await.unwrap().into_iter().map(|r| r.name).collect();
        assert!(grantable.contains(&"viewer".to_owned()) && !grantable.contains(&"admin".to_owned()) && !grantable.contains(&"merchant".to_owned()), "{grantable:?}");
    }
}

both_backends! {
    async fn r_au_6_a_user_manager_cannot_promote_anyone_or_touch_an_admin(app) {
        let (_, manager) = custom_user(&app, "people", &["users.manage", "dashboard.view", "customers.view", "customers.act", "orders.enter"]).await;
        let actor = actor_of(&manager);
        let agent = app.create_user("agent@example.com", "Agent", "cs_agent").await;
        let boss = app.create_user("boss@example.com", "Boss", "admin").await;

        let promote = app.services.users.change_role(&actor, agent.id, &recoup::domain::user::RoleName::parse("admin").unwrap()).await;
        assert!(matches!(promote, Err(UserError::Overreach(Overreach::AdminsOnly))), "{promote:?}");
        let demote = app.services.users.change_role(&actor, boss.id, &recoup::domain::user::RoleName::parse("cs_agent").unwrap()).await;
        assert!(matches!(demote, Err(UserError::Overreach(Overreach::AdminsOnly))), "{demote:?}");
        let reset = app.services.users.reset_password(&actor, boss.id).await;
        assert!(matches!(reset, Err(UserError::Overreach(Overreach::AdminsOnly))), "{reset:?}");
        let disable = app.services.users.set_active(&actor, boss.id, false).await;
        assert!(matches!(disable, Err(UserError::Overreach(Overreach::AdminsOnly))), "{disable:?}");
        // Within reach: an agent holds nothing the manager lacks.
        assert!(app.services.users.reset_password(&actor, agent.id).await.is_ok());

        let after = app.services.users.find(boss.id).await.unwrap();
        assert_eq!(after.role_name, "admin");
        assert!(after.active);
    }
}

both_backends! {
    /// Reproduced in the review: the reset password was shown and used to sign in as the admin.
    async fn r_au_6_resetting_an_admins_password_over_http_is_refused_and_changes_nothing(app) {
        custom_user(&app, "people", &["users.manage", "dashboard.view"]).await;
        let boss = app.create_user("boss@example.com", "Boss", "admin").await;
        assert_eq!(app.login("people@example.com", PASSWORD).await.status().as_u16(), 303);
        let response = app.post_form(&format!("/admin/users/{}/password", boss.id), &[("confirm", "yes")]).await;
        assert_eq!(response.status().as_u16(), 403);
        let role = app.post_form(&format!("/admin/users/{}/role", boss.id), &[("role", "cs_agent")]).await;
        assert_eq!(role.status().as_u16(), 403);
        assert!(role.text().await.unwrap().contains("Only an admin can manage admins"));
        let create = app.post_form("/admin/users", &[("email", "x@example.com"), ("name", "X Y"), ("role", "admin"), ("password", "amber-quartz-ferry-77"), ("password_confirm", "amber-quartz-ferry-77")]).await;
        assert_eq!(create.status().as_u16(), 403);
        let page = scraper::Html::parse_document(&create.text().await.unwrap());
        let options: Vec<String> = page.select(&scraper::Selector::parse("select[name=role] option").unwrap()).map(|o| o.value().attr("value").unwrap_or_default().to_owned()).collect();
        assert!(!options.contains(&"admin".to_owned()), "the form offers only roles within reach: {options:?}");
        let old_password_still_works = app.login_with(&new_client(), "boss@example.com", PASSWORD).await;
        assert_eq!(old_password_still_works.status().as_u16(), 303);
    }
}

both_backends! {
    async fn r_au_6_a_role_manager_cannot_widen_their_own_role_or_grant_what_they_lack(app) {
        let (own, manager) = custom_user(&app, "rolesmith", &["roles.manage", "dashboard.view", "events.view"]).await;
        let actor = actor_of(&manager);
        let widened = RoleDraft::parse("rolesmith", "", &["roles.manage".to_owned(), "users.manage".to_owned()]).unwrap();
        let own_edit = app.services.roles.update(&actor, own, &widened).await;
        assert!(matches!(own_edit, Err(RoleError::Overreach(Overreach::OwnRole))), "{own_edit:?}");
        let narrowed = RoleDraft::parse("rolesmith", "", &["dashboard.view".to_owned()]).unwrap();
        assert!(matches!(app.services.roles.update(&actor, own, &narrowed).await, Err(RoleError::Overreach(Overreach::OwnRole))));
        assert!(matches!(app.services.roles.delete(&actor, own).await, Err(RoleError::Overreach(Overreach::OwnRole))));

        let beyond = RoleDraft::parse("helpers", "", &["users.manage".to_owned()]).unwrap();
        let created = app.services.roles.create(&actor, &beyond).await;
        assert!(matches!(&created, Err(RoleError::Overreach(Overreach::Lacks(missing))) if missing == &[recoup::domain::permission::Permission::UsersManage]), "{created:?}");

        let within = RoleDraft::parse("readers", "", &["events.view".to_owned()]).unwrap();
        let readers = app.services.roles.create(&actor, &within).await.unwrap();
        let widen_other = RoleDraft::parse("readers", "", &["events.view".to_owned(), "mids.manage".to_owned()]).unwrap();
        assert!(matches!(app.services.roles.update(&actor, readers, &widen_other).await, Err(RoleError::Overreach(Overreach::Lacks(_)))));

        let role = app.services.roles.find(own).await.unwrap();
        assert!(!role.permissions.contains(recoup::domain::permission::Permission::UsersManage), "nothing changed");

        // Over HTTP: the form says why, next to the permissions, with a 403.
        assert_eq!(app.login("rolesmith@example.com", PASSWORD).await.status().as_u16(), 303);
        let response = app.post_form(&format!("/admin/roles/{own}"), &[("name", "rolesmith"), ("permissions", "roles.manage"), ("permissions", "users.manage")]).await;
        assert_eq!(response.status().as_u16(), 403);
        assert!(response.text().await.unwrap().contains("You cannot change the role you hold yourself."));
    }
}

both_backends! {
    async fn r_au_6_an_admin_manages_everyone(app) {
        let boss = app.create_user("boss@example.com", "Boss", "admin").await;
        let other = app.create_user("other@example.com", "Other", "admin").await;
        let actor = actor_of(&boss);
        assert!(app.services.users.create(&actor, new_user("a2@example.com", "admin")).await.is_ok());
        assert!(app.services.users.reset_password(&actor, other.id).await.is_ok());
        assert!(app.services.users.change_role(&actor, other.id, &recoup::domain::user::RoleName::parse("merchant").unwrap()).await.is_ok());
    }
}

// ---- R-AU-4: the sign-in limits hold under concurrency ----------------------------------

async fn concurrent_logins(
    app: &TestApp,
    attempts: Vec<(String, String, String)>,
) -> Vec<Result<(), LoginError>> {
    let mut tasks = Vec::new();
    for (email, password, ip) in attempts {
        let services = app.services.clone();
        tasks.push(tokio::spawn(async move {
            services
                .auth
                .login(&LoginAttempt {
                    email: &email,
                    password: &password,
                    ip: &ip,
                })
                .await
                .map(drop)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// How many attempts reached the password check: those answered with the password's verdict.
fn checked(results: &[Result<(), LoginError>]) -> usize {
    results
        .iter()
        .filter(|r| matches!(r, Ok(()) | Err(LoginError::InvalidCredentials)))
        .count()
}

both_backends! {
    async fn r_au_4_of_100_concurrent_wrong_sign_ins_at_most_5_reach_the_password_check(app) {
        app.create_user("ann@example.com", "Ann", "admin").await;
        let attempts = (0..100).map(|_| ("ann@example.com".to_owned(), "wrong-password-123".to_owned(), "203.0.113.1".to_owned())).collect();
        let results = concurrent_logins(&app, attempts).await;
        assert!(checked(&results) <= 5, "{} reached the password check", checked(&results));
        let locked = results.iter().filter(|r| matches!(r, Err(LoginError::AccountLocked))).count();
        assert_eq!(checked(&results) + locked, 100, "the rest are refused as locked");
    }
}

both_backends! {
    /// The review's race: 199 wrong passwords and the right one, all at once.
    async fn r_au_4_the_right_password_among_200_concurrent_attempts_gains_nothing(app) {
        app.create_user("ann@example.com", "Ann", "admin").await;
        let mut attempts: Vec<_> = (0..199).map(|i| ("ann@example.com".to_owned(), "wrong-password-123".to_owned(), format!("203.0.113.{}", i % 7))).collect();
        attempts.insert(150, ("ann@example.com".to_owned(), PASSWORD.to_owned(), "203.0.113.200".to_owned()));
        let results = concurrent_logins(&app, attempts).await;
        assert!(checked(&results) <= 5, "{} reached the password check", checked(&results));
    }
}

both_backends! {
    async fn r_au_4_one_address_spraying_many_accounts_at_once_is_capped_at_30(app) {
        let attempts = (0..100).map(|i| (format!("user{i}@example.com"), "wrong-password-123".to_owned(), "198.51.100.7".to_owned())).collect();
        let results = concurrent_logins(&app, attempts).await;
        assert!(checked(&results) <= 30, "{} reached the password check", checked(&results));
        assert!(results.iter().any(|r| matches!(r, Err(LoginError::AddressThrottled))));
    }
}

// ---- `next`, origin, headers -------------------------------------------------------------

both_backends! {
    async fn a_signed_in_user_is_never_sent_off_site_by_next(app) {
        app.login_as_new("admin").await;
        for next in ["/%09/evil.example", "%2F%09%2Fevil.example", "//evil.example", "/%5Cevil.example", "https://evil.example", "/%0A/evil.example", "/nowhere"] {
            let response = app.get(&format!("/login?next={next}")).await;
            assert_redirects_to(&response, "/");
        }
        assert_redirects_to(&app.get("/login?next=/mids%3Fq%3Dx").await, "/mids?q=x");
    }
}

both_backends! {
    /// Findings 4 and 5: a tab or a newline in `next` on the sign-in form goes home, never
    /// off-site and never a 500.
    async fn signing_in_with_a_tab_or_newline_in_next_goes_home(app) {
        app.create_user("ann@example.com", "Ann Lee", "admin").await;
        for next in ["/\t/evil.example", "/\n/evil", "/\r\n/evil", "\t//evil.example"] {
            let client = new_client();
            let token = csrf_in(&client.get(app.url("/login")).send().await.unwrap().text().await.unwrap());
            let response = client
                .post(app.url("/login"))
                .form(&[("email", "ann@example.com"), ("password", PASSWORD), ("csrf_token", &token), ("next", next)])
                .send()
                .await
                .unwrap();
            assert_redirects_to(&response, "/");
        }
    }
}

both_backends! {
    /// Finding 7: the origin must match exactly (scheme, host, port); `same-site` is not
    /// enough; `X-Forwarded-Host` changes nothing.
    async fn a_post_from_any_other_origin_is_refused_even_with_the_token(app) {
        app.login_as_new("admin").await;
        let token = csrf_in(&app.get_html("/").await);
        let port = app.address.rsplit(':').next().unwrap().to_owned();
        let refused = [
            vec![("Origin", format!("https://127.0.0.1:{port}"))],
            vec![("Origin", "http://127.0.0.1:1".to_owned())],
            vec![("Origin", "http://evil.example".to_owned()), ("X-Forwarded-Host", "evil.example".to_owned())],
            vec![("Sec-Fetch-Site", "same-site".to_owned())],
            vec![("Sec-Fetch-Site", "cross-site".to_owned())],
        ];
        for headers in refused {
            let mut request = app.client.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            assert_eq!(request.send().await.unwrap().status().as_u16(), 403, "{headers:?}");
        }
        assert_eq!(app.get("/").await.status().as_u16(), 200, "still signed in");
        let same = app
            .client
            .post(app.url("/logout"))
            .header("Origin", format!("http://127.0.0.1:{port}"))
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(same.status().as_u16(), 303, "the portal's own origin signs out");
    }
}

#[tokio::test]
async fn production_sends_strict_transport_security_and_dev_does_not() {
    let prod = spawn_app_with(Backend::Sqlite, |s| {
        s.environment = recoup::config::Environment::Prod;
        s.secure_cookies = true;
        s.public_origin = Some("https://portal.example.com".to_owned());
    })
    .await
    .expect("prod app");
    for path in ["/login", "/healthz", "/nowhere", "/static/recoup.css"] {
        let response = prod.get(path).await;
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            hsts.starts_with("max-age=") && hsts.contains("includeSubDomains"),
            "{path}: {hsts}"
        );
    }
    let dev = spawn_app(Backend::Sqlite).await.expect("dev app");
    assert!(
        dev.get("/login")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

#[tokio::test]
async fn production_refuses_a_post_from_the_bind_address_when_the_public_url_differs() {
    let prod = spawn_app_with(Backend::Sqlite, |s| {
        s.public_origin = Some("https://portal.example.com".to_owned())
    })
    .await
    .expect("app");
    let token = csrf_in(&prod.get_html("/login").await);
    let post_from = |origin: String| {
        prod.client
            .post(prod.url("/login"))
            .header("Origin", origin)
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "a@example.com"),
                ("password", "x"),
            ])
            .send()
    };
    let response = post_from(prod.address.clone()).await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let from_public = post_from("https://portal.example.com".to_owned())
        .await
        .unwrap();
    assert_eq!(
        from_public.status().as_u16(),
        401,
        "the configured origin reaches the form"
    );
}
