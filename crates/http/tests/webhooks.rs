//! `/api/webhooks`: admins manage subscriptions; URLs that resolve to private or reserved
//! addresses are refused (in every spelling) and refused input changes nothing. Both databases.
mod common;

use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::json;

#[tokio::test]
async fn admins_create_list_update_pause_resume_and_delete_subscriptions() {
    for app in TestApp::all().await {
        let created = app
            .post(
                "/api/webhooks",
                json!({"url": "https://93.184.216.34/hook", "topics": ["conversation.user.created"]}),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text);
        let body = created.body;
        assert_eq!(body["type"], "webhook_subscription");
        assert_eq!(body["state"], "active");
        let secret = body["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 48, "a generated secret is shown on create");
        let id = body["id"].as_str().unwrap();

        let found = app.get(&format!("/api/webhooks/{id}")).await;
        assert_eq!(found.status, 200);
        assert!(found.body.get("secret").is_none(), "the secret is shown only once");
        let list = app.get("/api/webhooks").await;
        assert_eq!(list.body["data"].as_array().unwrap().len(), 1);

        let own = app
            .post(
                "/api/webhooks",
                json!({"url": "http://93.184.216.34/", "topics": ["contact.lead.created"], "secret": "my own secret"}),
            )
            .await;
        assert_eq!(own.body["secret"], "my own secret");

        let updated = app
            .put(&format!("/api/webhooks/{id}"), json!({"topics": ["conversation.admin.closed"], "active": false}))
            .await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        assert_eq!(updated.body["topics"], json!(["conversation.admin.closed"]));
        assert_eq!(updated.body["state"], "inactive");

        let paused = app.post(&format!("/api/webhooks/{id}/pause"), json!({})).await;
        assert_eq!(paused.body["paused"], true);
        let resumed = app.post(&format!("/api/webhooks/{id}/resume"), json!({})).await;
        assert_eq!(
            (resumed.body["paused"].clone(), resumed.body["consecutive_failures"].clone()),
            (json!(false), json!(0))
        );

        let deliveries = app.get(&format!("/api/webhooks/{id}/deliveries")).await;
        assert_eq!(deliveries.status, 200);
        assert_eq!(deliveries.body["data"], json!([]));
        assert_eq!(app.get(&format!("/api/webhooks/{id}/deliveries?per_page=0")).await.status, 400);

        // Another workspace sees none of it.
        let other = app.other_workspace().await;
        assert_eq!(other.get(&format!("/api/webhooks/{id}")).await.status, 404);
        assert_eq!(other.delete(&format!("/api/webhooks/{id}")).await.status, 404);
        assert_eq!(other.get(&format!("/api/webhooks/{id}/deliveries")).await.status, 404);

        // Agents may not manage webhooks.
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let refused = app.request_as(Some(&agent), axum::http::Method::GET, "/api/webhooks", None).await;
        assert_eq!(refused.status, 403);

        assert_eq!(app.delete(&format!("/api/webhooks/{id}")).await.status, 200);
        assert_eq!(app.get(&format!("/api/webhooks/{id}")).await.status, 404);
    }
}

#[tokio::test]
async fn private_and_malformed_urls_and_unknown_topics_are_refused_and_write_nothing() {
    for app in TestApp::all().await {
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost:8080/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.16.5.4/",
            "http://100.64.1.1/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "ftp://93.184.216.34/",
            "javascript:alert(1)",
            "not a url",
            "http://user:pw@93.184.216.34/",
        ] {
            let r = app.post("/api/webhooks", json!({"url": url, "topics": ["conversation.user.created"]})).await;
            assert_eq!(r.status, 400, "{url}: {}", r.text);
            assert_eq!(r.error_code(), "parameter_invalid", "{url}");
        }
        let r = app.post("/api/webhooks", json!({"url": "http://93.184.216.34/", "topics": ["user.created"]})).await;
        assert_eq!(r.status, 400);
        let r = app
            .post(
                "/api/webhooks",
                json!({"url": "http://93.184.216.34/", "topics": ["contact.user.created"], "secret": "x"}),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(app.get("/api/webhooks").await.body["data"], json!([]), "refused input wrote nothing");

        let ok = app
            .post("/api/webhooks", json!({"url": "http://93.184.216.34/", "topics": ["contact.user.created"]}))
            .await;
        let id = ok.body["id"].as_str().unwrap().to_string();
        let r = app.put(&format!("/api/webhooks/{id}"), json!({"url": "http://169.254.169.254/"})).await;
        assert_eq!(r.status, 400);
        assert_eq!(app.get(&format!("/api/webhooks/{id}")).await.body["url"], "http://93.184.216.34/");
    }
}
