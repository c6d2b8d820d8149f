//! `/admin/roles`: built-ins read-only, custom roles created, edited and deleted.

use crate::both_backends;

both_backends! {
    async fn built_in_roles_are_listed_read_only(app) {
        app.login_as_new("admin").await;
        let page = app.get_html("/admin/roles").await;
        for name in ["admin", "merchant", "cs_admin", "cs_agent"] {
            assert!(page.contains(&format!("<strong>{name}</strong>")), "{name} listed");
        }
        let merchant = app.services.list_roles().await.unwrap().into_iter().find(|r| r.name == "merchant").unwrap();
        let edit = app.get(&format!("/admin/roles/{}", merchant.id)).await;
        assert_redirects_to(&edit, "/admin/roles");
        let update = app.post_form(&format!("/admin/roles/{}", merchant.id), &[("name", "merchant2"), ("permissions", "mids.manage")]).await;
        assert_redirects_to(&update, "/admin/roles");
        assert!(app.get_html("/admin/roles").await.contains("Built-in roles cannot be changed."));
        let still = app.services.find_role(merchant.id).await.unwrap();
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
        let role = app.services.list_roles().await.unwrap().into_iter().find(|r| r.name == "refund_desk").unwrap();
        assert_eq!(role.permissions.keys(), ["customers.view", "customers.act"]);

        let edit = app.get_html(&format!("/admin/roles/{}", role.id)).await;
        assert!(edit.contains("value=\"customers.act\" checked"));
        let updated = app
            .post_form(&format!("/admin/roles/{}", role.id), &[("name", "refund_desk"), ("description", "Refunds"), ("permissions", "customers.view")])
            .await;
        assert_redirects_to(&updated, "/admin/roles");
        assert_eq!(app.services.find_role(role.id).await.unwrap().permissions.keys(), ["customers.view"]);

        let ask = app.post_form(&format!("/admin/roles/{}/delete", role.id), &[]).await;
        assert!(ask.text().await.unwrap().contains("Delete the role refund_desk?"));
        assert!(app.services.find_role(role.id).await.is_ok(), "asking deletes nothing");
        let deleted = app.post_form(&format!("/admin/roles/{}/delete", role.id), &[("confirm", "yes")]).await;
        assert_redirects_to(&deleted, "/admin/roles");
        assert!(app.services.find_role(role.id).await.is_err());

        let log = app.get_html("/admin/events").await;
        for kind in ["role.created", "role.updated", "role.deleted"] {
            assert!(log.contains(kind), "{kind} logged");
        }
    }
}

both_backends! {
    async fn bad_role_input_is_shown_by_its_field(app) {
        app.login_as_new("admin").await;
        let response = app.post_form("/admin/roles", &[("name", "Bad Name!"), ("permissions", "launch.missiles")]).await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(body.contains("Role names use 2 to 40 lowercase letters"));
        assert!(body.contains("Unknown permission `launch.missiles`."));
        let none = app.post_form("/admin/roles", &[("name", "empty_role")]).await;
        assert!(none.text().await.unwrap().contains("Pick at least one permission."));
        app.post_form("/admin/roles", &[("name", "twice"), ("permissions", "reports.view")]).await;
        let again = app.post_form("/admin/roles", &[("name", "twice"), ("permissions", "reports.view")]).await;
        assert!(again.text().await.unwrap().contains("A role with this name already exists."));
        assert_eq!(app.services.list_roles().await.unwrap().len(), 5, "only `twice` was added");
    }
}

both_backends! {
    async fn a_role_in_use_cannot_be_deleted(app) {
        app.login_as_new("admin").await;
        app.post_form("/admin/roles", &[("name", "auditor"), ("permissions", "events.view")]).await;
        app.create_user("aud@example.com", "Aud", "auditor").await;
        let role = app.services.list_roles().await.unwrap().into_iter().find(|r| r.name == "auditor").unwrap();
        let response = app.post_form(&format!("/admin/roles/{}/delete", role.id), &[("confirm", "yes")]).await;
        assert_redirects_to(&response, "/admin/roles");
        assert!(app.get_html("/admin/roles").await.contains("1 user(s) have this role"));
        assert!(app.services.find_role(role.id).await.is_ok());
    }
}
