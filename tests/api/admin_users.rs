//! `/admin/users`: list, create, change role, disable/enable, reset password.

use crate::both_backends;

const GOOD: &str = "amber-quartz-ferry-77";

both_backends! {
    async fn an_admin_creates_a_user_through_the_form(app) {
        app.login_as_new("admin").await;
        let form = app.get_html("/admin/users/new").await;
        assert!(form.contains("cs_agent") && form.contains("merchant"), "the role list offers the roles");
        let response = app
            .post_form("/admin/users", &[("email", "Cas@Example.com"), ("name", "Cas Agent"), ("role", "cs_agent"), ("password", GOOD), ("password_confirm", GOOD)])
            .await;
        assert_eq!(response.status().as_u16(), 303);
        let page = app.get_html(&location(&response)).await;
        assert!(page.contains("User cas@example.com created with role cs_agent."), "{page}");

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
        let body = response.text().await.unwrap();
        for message in ["Enter a valid email address", "Enter a name.", "Use at least 12 characters."] {
            assert!(body.contains(message), "missing message {message}");
        }
        assert!(body.contains("value=\"not-an-email\""), "typed values are kept");

        let unknown_role = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "wizard"), ("password", GOOD), ("password_confirm", GOOD)])
            .await;
        assert_eq!(unknown_role.status().as_u16(), 422);
        assert!(unknown_role.text().await.unwrap().contains("There is no role named `wizard`."));

        let mismatch = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "cs_agent"), ("password", GOOD), ("password_confirm", "amber-quartz-ferry-78")])
            .await;
        assert!(mismatch.text().await.unwrap().contains("The two passwords do not match."));

        let weak = app
            .post_form("/admin/users", &[("email", "x@example.com"), ("name", "X"), ("role", "cs_agent"), ("password", "password1234"), ("password_confirm", "password1234")])
            .await;
        assert!(weak.text().await.unwrap().contains("too easy to guess"));

        let users = app.services.list_users(Some("x@example.com"), recoup::domain::page::PageRequest::new(None, 10)).await.unwrap();
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
        assert!(response.text().await.unwrap().contains("A user with this email already exists."));
    }
}

both_backends! {
    async fn the_user_list_searches_and_paginates(app) {
        app.login_as_new("admin").await;
        for i in 0..30 {
            app.create_user(&format!("agent{i:02}@example.com"), &format!("Agent {i:02}"), "cs_agent").await;
        }
        let first = app.get_html("/admin/users").await;
        assert!(first.contains("Page 1 of 2") && first.contains("31 in all"), "25 a page");
        let second = app.get_html("/admin/users?page=2").await;
        assert!(second.contains("Page 2 of 2"));
        let search = app.get_html("/admin/users?q=agent07").await;
        assert!(search.contains("agent07@example.com") && !search.contains("agent08@example.com"));
        let junk = app.get("/admin/users?page=abc&q=%25").await;
        assert_eq!(junk.status().as_u16(), 200, "nonsense in the query string is not an error");
        assert!(junk.text().await.unwrap().contains("No users match."), "a literal % matches nothing");
    }
}

both_backends! {
    async fn changing_a_role_through_the_form_is_logged_with_before_and_after(app) {
        app.login_as_new("admin").await;
        let user = app.create_user("mo@example.com", "Mo", "merchant").await;
        let response = app.post_form(&format!("/admin/users/{}/role", user.id), &[("role", "cs_admin")]).await;
        assert_redirects_to(&response, &format!("/admin/users/{}", user.id));
        let page = app.get_html(&format!("/admin/users/{}", user.id)).await;
        assert!(page.contains("mo@example.com now has the role cs_admin."));

        let log = app.get_html("/admin/events?kind=user.role_changed").await;
        assert!(log.contains("&#34;role&#34;:&#34;merchant&#34;") || log.contains("&quot;role&quot;:&quot;merchant&quot;"), "{log}");
        assert!(log.contains("cs_admin"));

        let bad = app.post_form(&format!("/admin/users/{}/role", user.id), &[("role", "wizard")]).await;
        assert_eq!(bad.status().as_u16(), 422);
    }
}

both_backends! {
    async fn an_admin_cannot_demote_or_disable_themselves(app) {
        let me = app.login_as_new("admin").await;
        let demote = app.post_form(&format!("/admin/users/{}/role", me.id), &[("role", "cs_agent")]).await;
        assert_eq!(demote.status().as_u16(), 409);
        assert!(demote.text().await.unwrap().contains("You cannot change your own role."));
        let disable = app.post_form(&format!("/admin/users/{}/active", me.id), &[("active", "false")]).await;
        assert_eq!(disable.status().as_u16(), 303);
        assert_eq!(app.get("/admin/users").await.status().as_u16(), 200, "still signed in and still admin");
    }
}

both_backends! {
    async fn the_last_active_admin_cannot_be_removed(app) {
        let admin = app.create_user("only@example.com", "Only Admin", "admin").await;
        let helper = app.create_user("helper@example.com", "Helper", "admin").await;
        let actor = recoup::domain::event::Actor { user_id: Some(helper.id), label: helper.email.clone(), ip: None };
        app.services.set_user_active(&actor, admin.id, false).await.unwrap();
        let other = recoup::domain::event::Actor { user_id: None, label: "cli".into(), ip: None };
        let err = app.services.set_user_active(&other, helper.id, false).await.unwrap_err();
        assert_eq!(err.to_string(), "At least one active admin must remain.");
        let err = app.services.change_role(&other, helper.id, "merchant").await.unwrap_err();
        assert_eq!(err.to_string(), "At least one active admin must remain.");
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
        assert!(row.trim_start().starts_with(&format!("<tr id=\"user-{}\"", agent.id)), "{row}");
        assert!(row.contains("Disabled") && row.contains("Enable") && !row.contains("<html"));
        assert!(!app.services.find_user(agent.id).await.unwrap().active);

        let enable = app.post_form(&format!("/admin/users/{}/active", agent.id), &[("active", "true")]).await;
        assert_eq!(enable.status().as_u16(), 303, "without htmx it is a plain post and redirect");
        assert!(app.services.find_user(agent.id).await.unwrap().active);
    }
}

both_backends! {
    async fn a_password_reset_asks_first_then_shows_a_new_password_once(app) {
        app.login_as_new("admin").await;
        let agent = app.create_user("cas@example.com", "Cas", "cs_agent").await;
        let agent_client = new_client();
        app.login_with(&agent_client, "cas@example.com", PASSWORD).await;

        let ask = app.post_form(&format!("/admin/users/{}/password", agent.id), &[]).await;
        let ask = ask.text().await.unwrap();
        assert!(ask.contains("Reset the password of cas@example.com?"));
        assert_eq!(agent_client.get(app.url("/customers")).send().await.unwrap().status().as_u16(), 200, "asking changed nothing");

        let done = app.post_form(&format!("/admin/users/{}/password", agent.id), &[("confirm", "yes")]).await;
        let done = done.text().await.unwrap();
        let password = done.split("<code id=\"new-password\">").nth(1).and_then(|r| r.split('<').next()).unwrap().to_owned();
        assert_eq!(agent_client.get(app.url("/customers")).send().await.unwrap().status().as_u16(), 303, "the old session ended");
        assert_eq!(app.login_with(&new_client(), "cas@example.com", PASSWORD).await.status().as_u16(), 401);
        assert_eq!(app.login_with(&new_client(), "cas@example.com", &password).await.status().as_u16(), 303);

        let log = app.get_html("/admin/events?kind=user.password_reset").await;
        assert!(!log.contains(&password), "the event log never holds the password");
    }
}
