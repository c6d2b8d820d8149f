//! What a failed request looks like (issue 8): a service's message reaches the user with the
//! status of its class, and an htmx request is told where the user is, never a silent no-op.

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn an_htmx_action_on_a_missing_record_shows_a_message_and_swaps_nothing(app) {
        app.login_as_new("merchant").await;
        let token = csrf_in(&app.get_html("/mids").await);
        let response = app
            .client
            .post(app.url("/mids/999999/enabled"))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("enabled", "false")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(response.headers().get("hx-reswap").and_then(|v| v.to_str().ok()), Some("none"));
        let html = scraper::Html::parse_fragment(&response.text().await.unwrap());
        let flash = html.select(&scraper::Selector::parse("#flash[hx-swap-oob] [role=alert]").unwrap()).next().expect("an out-of-band message");
        assert!(!flash.text().collect::<String>().trim().is_empty());
    }
}

both_backends! {
    async fn a_refused_service_action_shows_its_own_message_with_its_status(app) {
        let boss = app.create_user("boss@example.com", "Boss", "admin").await;
        let keys = vec!["users.manage".to_owned(), "dashboard.view".to_owned()];
        let draft = recoup::domain::user::RoleDraft::parse("people", "", &keys).unwrap();
        app.services.roles.create(&recoup::domain::event::Actor::system("test"), &draft).await.unwrap();
        app.create_user("people@example.com", "People", "people").await;
        assert_eq!(app.login("people@example.com", PASSWORD).await.status().as_u16(), 303);
        let response = app.post_form(&format!("/admin/users/{}/password", boss.id), &[("confirm", "yes")]).await;
        assert_eq!(response.status().as_u16(), 403);
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        let text: String = html.select(&scraper::Selector::parse("main").unwrap()).flat_map(|m| m.text()).collect();
        assert!(text.contains("Only an admin can manage admins"), "{text}");
    }
}
