//! Helpers for messenger tests: booting visitors, visitor requests, multipart uploads.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request};
use rapport_core::ids::ContactId;
use serde_json::{json, Value};

use crate::common::{Response, TestApp};

/// A booted visitor: their token and contact id.
pub struct Visitor {
    pub token: String,
    pub contact_id: ContactId,
}

pub async fn boot(app: &TestApp, body: Value) -> Response {
    app.request_as(None, Method::POST, "/messenger/boot", Some(body)).await
}

/// Boots an anonymous visitor (a lead).
pub async fn lead(app: &TestApp) -> Visitor {
    let r = boot(app, json!({"app_id": app.workspace.app_id})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    Visitor {
        token: r.body["visitor_token"].as_str().unwrap().to_string(),
        contact_id: ContactId::new(r.body["contact"]["id"].as_i64().unwrap()),
    }
}

pub async fn as_visitor(app: &TestApp, v: &Visitor, method: Method, path: &str, body: Option<Value>) -> Response {
    app.request_as(Some(&v.token), method, path, body).await
}

/// Starts a conversation as the visitor; returns its id.
pub async fn start(app: &TestApp, v: &Visitor, body: &str, client_id: &str) -> i64 {
    let r = as_visitor(
        app,
        v,
        Method::POST,
        "/messenger/conversations",
        Some(json!({"body": body, "client_id": client_id})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["conversation"]["id"].as_i64().unwrap()
}

/// An admin reply through the REST API.
pub async fn admin_reply(app: &TestApp, conversation_id: i64, body: Value) -> Response {
    let mut request = json!({"message_type": "comment", "type": "admin", "admin_id": app.owner.id.to_string()});
    request.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    app.post(&format!("/api/conversations/{conversation_id}/reply"), request).await
}

/// A multipart/form-data body with one `file` field.
pub fn multipart(name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "rapport-test-boundary-7f3a";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a file with a Bearer token to `path`.
pub async fn upload(app: &TestApp, token: &str, path: &str, name: &str, content_type: &str, bytes: &[u8]) -> Response {
    let (header, body) = multipart(name, content_type, bytes);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", header)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
