//! `/admin/users`: list, create, change role, disable/enable, reset password.

use crate::both_backends;
use recoup::services::ServiceError;

const GOOD: &str = "amber-quartz-ferry-77";

both_backends! {
    async fn an_admin_creates_a_user_through_the_form(app) {
        app.login_as_new("admin").await;
        let roles: Vec<String> = app.get_page("/admin/users/new").await.all("select[name=role] option").iter().filter_map(|o| o.attr("value")).map(str::to_owned).collect();
        assert!(roles.iter().any(|r| r == "cs_agent") && roles.iter().any(|r| r == "merchant"), "the role list offers the roles: {roles:?}");
        let response = app
            .post_form("/admin/users", &[("email", "Cas@Example.com"), ("name", "Cas Agent"), ("role", "cs_agent"), ("password", GOOD), ("password_confirm", GOOD)])
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let flash = app.get_page(&location(&response)).await.flash_success().unwrap_or_default();
        assert!(flash.contains("cas@example.com") && flash.contains("cs_agent"), "the notice names the user and role: {flash}");

        let agent = new_client();
        assert_eq!(app.login_with(&agent, "cas@example.com", GOOD).await.status().as_u16(), 303, "the new user can sign in");
    }
}

both_backends! {
    async fn bad_new_user_input_is_shown_next_to_each_field_and_nothing_is_saved(app) {
        app.login_as_new("admin").await;
        let response = app
            .post_form("/admin/users", &[("email", "not-an-email"), ("name", "  "), ("role", "wizard"), ("password", "short"), ("password_confirm", "short")])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let page = page_of(response).await;
        assert_eq!(page.fields_with_errors(), ["email", "name", "password"]);
        assert_eq!(page.value_of("email").as_deref(), Some("not-an-email"), "typed values are kept");

        let unknown_role = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "wizard"), ("password", GOOD), ("password_confirm", GOOD)])
            .await;
        assert_eq!(unknown_role.status().as_u16(), 422);
        assert_eq!(page_of(unknown_role).await.fields_with_errors(), ["role"]);

        let mismatch = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "cs_agent"), ("password", GOOD), ("password_confirm", "amber-quartz-ferry-78")])
            .await;
        assert_eq!(page_of(mismatch).await.fields_with_errors(), ["password_confirm"]);

        let weak = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "cs_agent"), ("password", "password1234"), ("password_confirm", "password1234")])
            .await;
        assert_eq!(page_of(weak).await.fields_with_errors(), ["password"]);

        let users = app.services.users.list(Some("x@example.com"), recoup::domain::page::PageRequest::new(None, 10)).await.unwrap();
        assert_eq!(users.total, 0);
    }
}

both_backends! {
    async fn a_taken_email_is_refused_next_to_the_field(app) {
        app.login_as_new("admin").await;
        app.create_user("cas@example.com", "Cas", "cs_agent").await;
        let response = app
            .post_form("/admin/users", &[("email", "CAS@example.com"), ("name", "Other"), ("role", "cs_agent"), ("password", GOOD), ("password_confirm", GOOD)])
            .await;
        assert_eq!(response.status().as_u16(), 422);
        assert_eq!(page_of(response).await.fields_with_errors(), ["email"]);
    }
}

both_backends! {
    async fn the_user_list_searches_and_paginates(app) {
        app.login_as_new("admin").await;
        for i in 0..30 {
            app.create_user(&format!("agent{i:02}@example.com"), &format!("Agent {i:02}"), "cs_agent").await;
        }
        let emails = |page: &Page| page.texts("tr[id^='user-'] td:nth-child(2)");
        let first = app.get_page("/admin/users").await;
        assert_eq!(emails(&first).len(), 25, "25 a page");
        assert!(first.has("nav.pager a[rel=next]"));
        let second = app.get_page("/admin/users?page=2").await;
        assert_eq!(emails(&second).len(), 6, "31 in all");
        assert!(second.has("nav.pager a[rel=prev]") && !second.has("nav.pager a[rel=next]"));
        assert_eq!(emails(&app.get_page("/admin/users?q=agent07").await), ["agent07@example.com"]);
        let junk = app.get("/admin/users?page=abc&q=%25").await;
        assert_eq!(junk.status().as_u16(), 200, "nonsense in the query string is not an error");
        assert!(emails(&page_of(junk).await).is_empty(), "a literal % matches nothing");
    }
}

both_backends! {
    async fn changing_a_role_through_the_form_is_logged_with_before_and_after(app) {
        app.login_as_new("admin").await;
        let user = app.create_user("mo@example.com", "Mo", "merchant").await;
        let response = app.post_form(&format!("/admin/users/{}/role", user.id), &[("role", "cs_admin")]).await;
        assert_redirects_to(&response, &format!("/admin/users/{}", user.id));
        let page = app.get_page(&format!("/admin/users/{}", user.id)).await;
        assert!(page.flash_success().is_some_and(|f| f.contains("cs_admin")), "the notice names the new role");
        assert_eq!(page.selected("role").as_deref(), Some("cs_admin"));

        let log = app.get_page("/admin/events?kind=user.role_changed").await;
        assert_eq!(log.event_kinds(), ["user.role_changed"]);
        let change = log.texts("table.events pre");
        assert!(change.iter().any(|c| c.contains(r#""role":"merchant""#)), "before: {change:?}");
        assert!(change.iter().any(|c| c.contains(r#""role":"cs_admin""#)), "after: {change:?}");

        let bad = app.post_form(&format!("/admin/users/{}/role", user.id), &[("role", "wizard")]).await;
        assert_eq!(bad.status().as_u16(), 422);
    }
}

both_backends! {
    async fn an_admin_cannot_demote_or_disable_themselves(app) {
        let me = app.login_as_new("admin").await;
        let demote = app.post_form(&format!("/admin/users/{}/role", me.id), &[("role", "cs_agent")]).await;
        assert_eq!(demote.status().as_u16(), 409);
        assert_eq!(app.services.users.find(me.id).await.unwrap().role_name, "admin", "the role is unchanged");
        let disable = app.post_form(&format!("/admin/users/{}/active", me.id), &[("active", "false")]).await;
        assert_eq!(disable.status().as_u16(), 303);
        assert_eq!(app.get("/admin/users").await.status().as_u16(), 200, "still signed in and still admin");
    }
}

both_backends! {
    async fn the_last_active_admin_cannot_be_removed(app) {
        let admin = app.create_user("only@example.com", "Only Admin", "admin").await;
        let helper = app.create_user("helper@example.com", "Helper", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(helper.id), label: helper.email.clone(), ip: None, api_key_id: None };
        app.services.users.set_active(&actor, admin.id, false).await.unwrap();
        let other = recoup::domain::event::Actor { user_id: None, label: "cli".into(), ip: None, api_key_id: None };
        let err = app.services.users.set_active(&other, helper.id, false).await.unwrap_err();
        assert_eq!(err.code(), "user_change_refused", "{err}");
        let err = app.services.users.change_role(&other, helper.id, &recoup::domain::user::RoleName::parse("merchant").unwrap()).await.unwrap_err();
        assert_eq!(err.code(), "user_change_refused", "{err}");
        let helper = app.services.users.find(helper.id).await.unwrap();
        assert!(helper.active && helper.role_name == "admin", "the last admin is untouched");
    }
}

both_backends! {
    async fn disabling_inline_with_htmx_answers_the_row_only(app) {
        app.login_as_new("admin").await;
        let agent = app.create_user("cas@example.com", "Cas", "cs_agent").await;
        let token = csrf_in(&app.get_html("/admin/users").await);
        let response = app
            .client
            .post(app.url(&format!("/admin/users/{}/active", agent.id)))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(&[("active", "false")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let row = response.text().await.unwrap();
        assert!(!row.contains("<html"), "a fragment, not a page: {row}");
        let row = Page::parse(&row);
        assert_eq!(row.all("tr").len(), 1, "one row");
        assert_eq!(row.attr_of("tr", "id"), Some(format!("user-{}", agent.id)));
        assert!(row.has(".status.off"), "shown as disabled");
        assert_eq!(row.value_of("active").as_deref(), Some("true"), "its button now enables");
        assert!(!app.services.users.find(agent.id).await.unwrap().active);

        let enable = app.post_form(&format!("/admin/users/{}/active", agent.id), &[("active", "true")]).await;
        assert_eq!(enable.status().as_u16(), 303, "without htmx it is a plain post and redirect");
        assert!(app.services.users.find(agent.id).await.unwrap().active);
    }
}

both_backends! {
    async fn a_password_reset_asks_first_then_shows_a_new_password_once(app) {
        app.login_as_new("admin").await;
        let agent = app.create_user("cas@example.com", "Cas", "cs_agent").await;
        let agent_client = new_client();
        app.login_with(&agent_client, "cas@example.com", PASSWORD).await;

        let ask = page_of(app.post_form(&format!("/admin/users/{}/password", agent.id), &[]).await).await;
        assert!(ask.text("h1").contains("cas@example.com"), "the question names the user");
        assert_eq!(ask.value_of("confirm").as_deref(), Some("yes"), "a confirming form is offered");
        assert_eq!(agent_client.get(app.url("/customers")).send().await.unwrap().status().as_u16(), 200, "asking changed nothing");

        let done = app.post_form(&format!("/admin/users/{}/password", agent.id), &[("confirm", "yes")]).await;
        let password = page_of(done).await.text("#new-password");
        assert!(password.len() >= 12, "{password}");
        assert_eq!(agent_client.get(app.url("/customers")).send().await.unwrap().status().as_u16(), 303, "the old session ended");
        assert_eq!(app.login_with(&new_client(), "cas@example.com", PASSWORD).await.status().as_u16(), 401);
        assert_eq!(app.login_with(&new_client(), "cas@example.com", &password).await.status().as_u16(), 303);

        let log = app.get_html("/admin/events?kind=user.password_reset").await;
        assert!(!log.contains(&password), "the event log never holds the password");
    }
}
