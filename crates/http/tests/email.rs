//! `/api/email_settings` and a part's received email (`…/parts/{part_id}/email`, `…/raw`):
//! admins set support addresses, bad input changes nothing, the raw message is a download a
//! browser never renders, and other workspaces see nothing. Both databases.
mod common;

use common::TestApp;
use rapport_core::admin::AdminRole;
use rapport_core::email::inbound::parse;
use rapport_store::email::inbound::{self, InboundRecord, Recipient};
use serde_json::json;

#[tokio::test]
async fn support_addresses_are_set_by_admins_and_bad_lists_change_nothing() {
    for app in TestApp::all().await {
        let shown = app.get("/api/email_settings").await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.body, json!({"type": "email_settings", "support_addresses": []}));
        let set =
            app.put("/api/email_settings", json!({"support_addresses": ["Help@Acme.test", "sales@acme.test"]})).await;
        assert_eq!(set.status, 200, "{}", set.text);
        assert_eq!(set.body["support_addresses"], json!(["help@acme.test", "sales@acme.test"]));

        let bad =
            app.put("/api/email_settings", json!({"support_addresses": ["ok@acme.test", "not an address"]})).await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.error_code(), "parameter_invalid");
        let wrong_type = app.put("/api/email_settings", json!({"support_addresses": "help@acme.test"})).await;
        assert_eq!(wrong_type.status, 400);
        let other = app.other_workspace().await;
        let taken = other.put("/api/email_settings", json!({"support_addresses": ["help@acme.test"]})).await;
        assert_eq!(taken.status, 409);
        assert_eq!(other.get("/api/email_settings").await.body["support_addresses"], json!([]));
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let refused = app
            .request_as(
                Some(&agent),
                axum::http::Method::PUT,
                "/api/email_settings",
                Some(json!({"support_addresses": []})),
            )
            .await;
        assert_eq!(refused.status, 403);
        let kept = app.get("/api/email_settings").await;
        assert_eq!(kept.body["support_addresses"], json!(["help@acme.test", "sales@acme.test"]));
    }
}

#[tokio::test]
async fn a_parts_email_shows_headers_and_downloads_raw() {
    for app in TestApp::all().await {
        let raw = b"From: Eve <eve@example.com>\r\nTo: help@acme.test\r\nSubject: <b>Hi</b>\r\nMessage-ID: <e1@example.com>\r\n\r\n<script>alert(1)</script>\r\n";
        let email = parse(raw, "eve@example.com").unwrap();
        let record = InboundRecord {
            message_id: "e1@example.com".into(),
            in_reply_to: None,
            reference_ids: String::new(),
            from_address: "eve@example.com".into(),
            to_addresses: r#"["help@acme.test"]"#.into(),
            subject: email.subject.clone(),
            raw: raw.to_vec(),
            auth_results: r#"{"spf":"none","dkim":"none","dkim_domains":[],"dmarc":"none"}"#.into(),
            automatic: None,
        };
        let to = Recipient { workspace_id: app.workspace.id, conversation_id: None };
        let dir = std::env::temp_dir().join("rapport-http-email");
        let received = inbound::receive(&app.db, &dir, to, &email, &record).await.unwrap();
        let (c, p) = (received.conversation_id, received.part_id);

        let conversation = app.get(&format!("/api/conversations/{c}")).await;
        assert_eq!(conversation.body["source"]["type"], "email");
        assert_eq!(conversation.body["source"]["id"], p.to_string());
        assert_eq!(conversation.body["source"]["body"], "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");

        let shown = app.get(&format!("/api/conversations/{c}/parts/{p}/email")).await;
        assert_eq!(shown.status, 200, "{}", shown.text);
        assert_eq!(shown.body["type"], "email");
        assert_eq!(shown.body["message_id"], "e1@example.com");
        assert_eq!(shown.body["to"], json!(["help@acme.test"]));
        assert_eq!(shown.body["auth_results"]["dkim"], "none");
        assert_eq!(shown.body["automatic"], json!(null));
        let download = app.get(&format!("/api/conversations/{c}/parts/{p}/email/raw")).await;
        assert_eq!(download.status, 200);
        assert_eq!(download.headers["content-type"], "message/rfc822");
        assert!(download.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert_eq!(download.headers["x-content-type-options"], "nosniff");
        assert_eq!(download.headers["content-security-policy"], "sandbox");
        assert_eq!(download.text.as_bytes(), raw);

        // A part that did not come from an email, another workspace, a bad id: 404.
        let reply = app
            .post(
                &format!("/api/conversations/{c}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": app.owner.id.to_string(), "body": "hi"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let detail = app.get(&format!("/api/conversations/{c}")).await;
        let admin_part = detail.body["conversation_parts"]["conversation_parts"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(app.get(&format!("/api/conversations/{c}/parts/{admin_part}/email")).await.status, 404);
        let other = app.other_workspace().await;
        assert_eq!(other.get(&format!("/api/conversations/{c}/parts/{p}/email")).await.status, 404);
        assert_eq!(other.get(&format!("/api/conversations/{c}/parts/{p}/email/raw")).await.status, 404);
        assert_eq!(app.get(&format!("/api/conversations/x/parts/{p}/email")).await.status, 404);
    }
}
