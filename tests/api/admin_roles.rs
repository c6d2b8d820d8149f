//! `/admin/roles`: built-ins read-only, custom roles created, edited and deleted.

use crate::both_backends;

both_backends! {
    async fn built_in_roles_are_listed_read_only(app) {
        app.login_as_new("admin").await;
        let page = app.get_page("/admin/roles").await;
        let listed = page.texts("tr[id^='role-'] td:first-child strong");
        for name in ["admin", "merchant", "cs_admin", "cs_agent"] {
            assert!(listed.iter().any(|l| l == name), "{name} listed: {listed:?}");
        }
        assert!(!page.has("tr[id^='role-'] a[href^='/admin/roles/']"), "no built-in role offers Edit");
        let merchant = app.services.roles.list().await.unwrap().into_iter().find(|r| r.name == "merchant").unwrap();
        let edit = app.get(&format!("/admin/roles/{}", merchant.id)).await;
        assert_redirects_to(&edit, "/admin/roles");
        let update = app.post_form(&format!("/admin/roles/{}", merchant.id), &[("name", "merchant2"), ("permissions", "mids.manage")]).await;
        assert_redirects_to(&update, "/admin/roles");
        assert!(app.get_page("/admin/roles").await.flash_error().is_some(), "the refusal is shown");
        let still = app.services.roles.find(merchant.id).await.unwrap();
        assert_eq!(still.name, "merchant");
    }
}

both_backends! {
    async fn a_custom_role_is_created_edited_and_deleted(app) {
        app.login_as_new("admin").await;
        let created = app
            .post_form("/admin/roles", &[("name", "refund_desk"), ("description", "Refunds only"), ("permissions", "customers.view"), ("permissions", "customers.act")])
            .await;
        assert_redirects_to(&created, "/admin/roles");
        let role = app.services.roles.list().await.unwrap().into_iter().find(|r| r.name == "refund_desk").unwrap();
        assert_eq!(role.permissions.keys(), ["customers.view", "customers.act"]);

        let edit = app.get_page(&format!("/admin/roles/{}", role.id)).await;
        assert_eq!(edit.checked_values("permissions"), ["customers.view", "customers.act"]);
        let updated = app
            .post_form(&format!("/admin/roles/{}", role.id), &[("name", "refund_desk"), ("description", "Refunds"), ("permissions", "customers.view")])
            .await;
        assert_redirects_to(&updated, "/admin/roles");
        assert_eq!(app.services.roles.find(role.id).await.unwrap().permissions.keys(), ["customers.view"]);

        let ask = page_of(app.post_form(&format!("/admin/roles/{}/delete", role.id), &[]).await).await;
        assert!(ask.text("h1").contains("refund_desk"), "the question names the role");
        assert_eq!(ask.value_of("confirm").as_deref(), Some("yes"), "a confirming form is offered");
        assert!(app.services.roles.find(role.id).await.is_ok(), "asking deletes nothing");
        let deleted = app.post_form(&format!("/admin/roles/{}/delete", role.id), &[("confirm", "yes")]).await;
        assert_redirects_to(&deleted, "/admin/roles");
        assert!(app.services.roles.find(role.id).await.is_err());

        let kinds = app.get_page("/admin/events").await.event_kinds();
        for kind in ["role.created", "role.updated", "role.deleted"] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} logged: {kinds:?}");
        }
    }
}

both_backends! {
    async fn bad_role_input_is_shown_by_its_field(app) {
        app.login_as_new("admin").await;
        let response = app.post_form("/admin/roles", &[("name", "Bad Name!"), ("permissions", "launch.missiles")]).await;
        assert_eq!(response.status().as_u16(), 422);
        let page = page_of(response).await;
        assert_eq!(page.fields_with_errors(), ["name", "permissions"]);
        assert!(page.field_error("permissions").unwrap().contains("launch.missiles"), "the unknown key is named");
        let none = page_of(app.post_form("/admin/roles", &[("name", "empty_role")]).await).await;
        assert_eq!(none.fields_with_errors(), ["permissions"]);
        app.post_form("/admin/roles", &[("name", "twice"), ("permissions", "reports.view")]).await;
        let again = page_of(app.post_form("/admin/roles", &[("name", "twice"), ("permissions", "reports.view")]).await).await;
        assert_eq!(again.fields_with_errors(), ["name"], "a taken name is refused by the name");
        assert_eq!(app.services.roles.list().await.unwrap().len(), 5, "only `twice` was added");
    }
}

both_backends! {
    async fn a_role_in_use_cannot_be_deleted(app) {
        app.login_as_new("admin").await;
        app.post_form("/admin/roles", &[("name", "auditor"), ("permissions", "events.view")]).await;
        app.create_user("aud@example.com", "Aud", "auditor").await;
        let role = app.services.roles.list().await.unwrap().into_iter().find(|r| r.name == "auditor").unwrap();
        let response = app.post_form(&format!("/admin/roles/{}/delete", role.id), &[("confirm", "yes")]).await;
        assert_redirects_to(&response, "/admin/roles");
        let roles = app.get_page("/admin/roles").await;
        assert!(roles.flash_error().is_some_and(|m| m.contains('1')), "the refusal counts the users");
        assert_eq!(roles.text(&format!("#role-{} td:nth-child(3)", role.id)), "1");
        assert!(app.services.roles.find(role.id).await.is_ok());
    }
}
