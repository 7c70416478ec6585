//! Messenger attachments (both ways) and the workspace's messenger settings.
mod common;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use messenger_support::{admin_reply, as_visitor, boot, lead, start, upload, PNG};
use rapport_core::admin::AdminRole;
use serde_json::json;

#[tokio::test]
async fn visitors_upload_send_and_download_checked_files() {
    for app in TestApp::all().await {
        let a = lead(&app).await;
        let r = upload(&app, &a.token, "/messenger/attachments", "cat.png", "image/png", PNG).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(
            (r.body["content_type"].as_str(), r.body["size"].as_i64()),
            (Some("image/png"), Some(PNG.len() as i64))
        );
        let image = r.body["id"].as_i64().unwrap();
        assert!(r.body["url"].as_str().unwrap().ends_with(&format!("/messenger/attachments/{image}")));

        // Another visitor can neither fetch nor send it.
        let b = lead(&app).await;
        let path = format!("/messenger/attachments/{image}");
        assert_eq!(as_visitor(&app, &b, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
        let stolen = as_visitor(
            &app,
            &b,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": "look", "client_id": "s-1", "attachment_ids": [image]})),
        )
        .await;
        assert_eq!(stolen.status, StatusCode::NOT_FOUND, "{}", stolen.text);
        let list = as_visitor(&app, &b, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"], json!([]), "a refused send writes nothing");

        // The uploader sends it; the part lists it; downloads carry the safe headers.
        let sent = as_visitor(
            &app,
            &a,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": "see", "client_id": "a-1", "attachment_ids": [image.to_string()]})),
        )
        .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
        assert_eq!(sent.body["part"]["attachments"][0]["id"], image);
        let file = app.request_as(None, Method::GET, &format!("{path}?token={}", a.token), None).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.headers["content-type"], "image/png");
        assert_eq!(file.headers["x-content-type-options"], "nosniff");
        assert_eq!(file.headers["content-security-policy"], "sandbox");
        assert!(file.headers["content-disposition"].to_str().unwrap().starts_with("inline"));
        // The team sees it too.
        assert_eq!(app.get(&format!("/api/attachments/{image}")).await.status, StatusCode::OK);
        // Other workspaces do not.
        let other = app.other_workspace().await;
        assert_eq!(other.get(&format!("/api/attachments/{image}")).await.status, StatusCode::NOT_FOUND);

        // Text is a download.
        let csv = upload(&app, &a.token, "/messenger/attachments", "report.csv", "text/csv", b"a,b\n1,2\n").await;
        assert_eq!(csv.status, StatusCode::CREATED, "{}", csv.text);
        let csv_path = format!("/messenger/attachments/{}", csv.body["id"]);
        let got = as_visitor(&app, &a, Method::GET, &csv_path, None).await;
        assert_eq!(got.text, "a,b\n1,2\n");
        assert_eq!(
            got.headers["content-disposition"],
            "attachment; filename=\"report.csv\"; filename*=UTF-8''report.csv"
        );
    }
}

#[tokio::test]
async fn dangerous_or_oversized_uploads_are_refused() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let cases: [(&str, &str, &[u8], StatusCode); 5] = [
            (
                "setup.exe",
                "application/octet-stream",
                b"MZ\x90\x00\x03\x00\x00\x00",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            ("cat.png", "image/png", b"<html><script>alert(1)</script></html>", StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ("page.html", "text/html", b"<html></html>", StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ("doc.pdf", "image/png", b"%PDF-1.4 ...", StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ("empty.txt", "text/plain", b"", StatusCode::BAD_REQUEST),
        ];
        for (name, content_type, bytes, status) in cases {
            let r = upload(&app, &v.token, "/messenger/attachments", name, content_type, bytes).await;
            assert_eq!(r.status, status, "{name}: {}", r.text);
        }
        let big = vec![b'a'; 10 * 1024 * 1024 + 1];
        let r = upload(&app, &v.token, "/messenger/attachments", "big.txt", "text/plain", &big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
        let r =
            app.request_as(Some(&v.token), Method::POST, "/messenger/attachments", Some(json!({"file": "x"}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let anonymous = upload(&app, "not-a-token", "/messenger/attachments", "a.png", "image/png", PNG).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn teammates_send_attachments_that_visitors_can_fetch() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let id = start(&app, &v, "Send me the invoice", "t-1").await;
        let r = upload(&app, &app.token, "/api/attachments", "invoice.pdf", "application/pdf", b"%PDF-1.7\n...").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let pdf = r.body["id"].as_i64().unwrap();
        // Not visible to the visitor before it is sent to them.
        let path = format!("/messenger/attachments/{pdf}");
        assert_eq!(as_visitor(&app, &v, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
        let reply = admin_reply(&app, id, json!({"body": "Here it is", "attachment_ids": [pdf.to_string()]})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let shown = as_visitor(&app, &v, Method::GET, &format!("/messenger/conversations/{id}"), None).await;
        assert_eq!(shown.body["parts"][1]["attachments"][0]["name"], "invoice.pdf");
        let file = as_visitor(&app, &v, Method::GET, &path, None).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.headers["content-type"], "application/pdf");
        assert!(file.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        // An upload can be sent once; a viewer cannot upload.
        let again = admin_reply(&app, id, json!({"body": "again", "attachment_ids": [pdf]})).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let r = upload(&app, &viewer, "/api/attachments", "a.png", "image/png", PNG).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn messenger_settings_are_validated_and_shown_to_the_messenger() {
    for app in TestApp::all().await {
        let r = app.get("/api/messenger/settings").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["color"], "#2563eb");
        assert_eq!(r.body["office_hours"], json!({}));
        assert_eq!(r.body["identity_secret"], app.workspace.identity_secret.as_str());
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let as_agent = app.request_as(Some(&agent), Method::GET, "/api/messenger/settings", None).await;
        assert_eq!(as_agent.status, StatusCode::OK);
        assert!(as_agent.body.get("identity_secret").is_none());
        let put = app
            .request_as(Some(&agent), Method::PUT, "/api/messenger/settings", Some(json!({"color": "#000000"})))
            .await;
        assert_eq!(put.status, StatusCode::FORBIDDEN);

        for (bad, field) in [
            (json!({"color": "blue", "greeting": "changed"}), "color"),
            (json!({"office_hours": {"mon": [[600, 500]]}, "greeting": "changed"}), "office_hours"),
            (json!({"office_hours": {"funday": []}}), "office_hours"),
            (json!({"reply_time_minutes": 0}), "reply_time_minutes"),
            (json!({"greeting": "x".repeat(501)}), "greeting"),
        ] {
            let r = app.put("/api/messenger/settings", bad).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert_eq!(r.body["errors"][0]["field"], field);
        }
        let bad_type = app.put("/api/messenger/settings", json!({"identity_enforced": "yes"})).await;
        assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
        let unchanged = app.get("/api/messenger/settings").await;
        assert_eq!(unchanged.body, r.body, "refused changes write nothing");

        // Closed every day but Sunday at 00:00-00:01: the messenger says when the team is back.
        let saved = app
            .put(
                "/api/messenger/settings",
                json!({"color": "#FF0066", "greeting": " Hello! ",
                "office_hours": {"sun": [[0, 1]]}, "reply_time_minutes": 30}),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert_eq!((saved.body["color"].as_str(), saved.body["greeting"].as_str()), (Some("#ff0066"), Some("Hello!")));
        let booted = boot(&app, json!({"app_id": app.workspace.app_id})).await;
        let workspace = &booted.body["workspace"];
        assert_eq!((workspace["color"].as_str(), workspace["greeting"].as_str()), (Some("#ff0066"), Some("Hello!")));
        let reply = &workspace["expected_reply"];
        if reply["online"] == false {
            assert!(reply["text"].as_str().unwrap().starts_with("Back "), "{reply}");
        }
        let open = app.put("/api/messenger/settings", json!({"office_hours": {}})).await;
        assert_eq!(open.body["office_hours"], json!({}));
        let booted = boot(&app, json!({"app_id": app.workspace.app_id})).await;
        assert_eq!(
            booted.body["workspace"]["expected_reply"],
            json!({"online": true, "text": "Typically replies in under 30 minutes"})
        );
    }
}
