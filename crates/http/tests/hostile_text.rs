//! Text the databases cannot store (a NUL, a lone surrogate, invalid UTF-8) is refused at every
//! edge with `400 parameter_invalid` naming the field, identically on SQLite and PostgreSQL, and
//! nothing is written: REST bodies, paths and query strings, the messenger API, both sockets and
//! the Segment intake (docs/API.md "Responses and errors").
mod common;
mod live_support;
mod messenger_support;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use base64::Engine;
use common::{Response, TestApp};
use live_support::{connect, serve};
use messenger_support::{as_visitor, lead, start};
use rapport_store::testing;
use serde_json::{json, Value};

/// The one error of an `error.list` answer is `400 parameter_invalid` on `field`.
fn assert_refused(r: &Response, field: &str, what: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text);
    assert_eq!(r.error_code(), "parameter_invalid", "{what}: {}", r.text);
    assert_eq!(r.body["errors"][0]["field"], field, "{what}: {}", r.text);
}

fn raw(method: Method, path: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

async fn user(app: &TestApp) -> String {
    let r = app.post("/api/contacts", json!({"role": "user", "external_id": "u-1", "name": "Ann"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_nul_in_any_body_field_is_refused_by_name_and_writes_nothing() {
    for app in TestApp::all().await {
        let contact = user(&app).await;
        let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "hello"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let conversation = r.body["conversation_id"].as_str().or(r.body["id"].as_str()).unwrap().to_string();
        let visitor = lead(&app).await;
        let visitor_conversation = start(&app, &visitor, "hi there", "c-1").await;
        let before = testing::row_counts(&app.db).await;

        let nul = "a\u{0}b";
        let search = |field: &str| json!({"query": {"field": field, "operator": "~", "value": nul}});
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/api/tags".into(), json!({"name": nul}), "name"),
            (Method::POST, "/api/contacts".into(), json!({"role": "user", "name": nul}), "name"),
            (Method::POST, "/api/contacts".into(), json!({"role": "lead", "external_id": nul}), "external_id"),
            (
                Method::POST,
                "/api/contacts".into(),
                json!({"role": "lead", "custom_attributes": {"plan": nul}}),
                "custom_attributes.plan",
            ),
            (Method::PUT, format!("/api/contacts/{contact}"), json!({"name": nul}), "name"),
            (Method::POST, "/api/companies".into(), json!({"company_id": nul, "name": "Acme"}), "company_id"),
            (Method::POST, "/api/companies".into(), json!({"company_id": "acme", "name": nul}), "name"),
            (Method::POST, "/api/teams".into(), json!({"name": nul}), "name"),
            (Method::POST, "/api/saved_replies".into(), json!({"name": "Hi", "body": nul}), "body"),
            (Method::POST, "/api/saved_replies".into(), json!({"name": nul, "body": "Hi"}), "name"),
            (
                Method::POST,
                "/api/conversations".into(),
                json!({"from": {"type": "user", "id": contact}, "body": nul}),
                "body",
            ),
            (
                Method::POST,
                format!("/api/conversations/{conversation}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": app.owner.id.to_string(), "body": nul}),
                "body",
            ),
            (Method::POST, "/api/contacts/search".into(), search("name"), "query.value"),
            (Method::POST, "/api/contacts/search".into(), search("email"), "query.value"),
            (Method::POST, "/api/conversations/search".into(), search("source.body"), "query.value"),
            (Method::POST, "/api/conversations/search".into(), search("parts.body"), "query.value"),
            (
                Method::POST,
                "/api/conversations/search".into(),
                json!({"query": {"operator": "AND", "value": [
                    {"field": "state", "operator": "=", "value": "open"},
                    {"field": "parts.body", "operator": "~", "value": nul}]}}),
                "query.value[1].value",
            ),
        ];
        for (method, path, body, field) in cases {
            let what = format!("{method} {path} {body}");
            let r = app.request_as(Some(&app.token), method, &path, Some(body)).await;
            assert_refused(&r, field, &what);
            let message = r.body["errors"][0]["message"].as_str().unwrap();
            assert_eq!(message, format!("{field} must not contain NUL characters"), "{what}");
        }

        // The messenger API: boot (no credential) and a visitor's messages.
        let r = app.request_as(None, Method::POST, "/messenger/boot", Some(json!({"app_id": nul}))).await;
        assert_refused(&r, "app_id", "boot app_id");
        let boot = json!({"app_id": app.workspace.app_id, "name": nul});
        let r = app.request_as(None, Method::POST, "/messenger/boot", Some(boot)).await;
        assert_refused(&r, "name", "boot name");
        let r = as_visitor(&app, &visitor, Method::POST, "/messenger/update", Some(json!({"phone": nul}))).await;
        assert_refused(&r, "phone", "update phone");
        let send = json!({"body": nul, "client_id": "c-2"});
        let r = as_visitor(&app, &visitor, Method::POST, "/messenger/conversations", Some(send.clone())).await;
        assert_refused(&r, "body", "messenger start");
        let path = format!("/messenger/conversations/{visitor_conversation}/messages");
        let r = as_visitor(&app, &visitor, Method::POST, &path, Some(send)).await;
        assert_refused(&r, "body", "messenger send");
        let r = as_visitor(&app, &visitor, Method::POST, &path, Some(json!({"body": "x", "client_id": nul}))).await;
        assert_refused(&r, "client_id", "messenger client_id");

        assert_eq!(testing::row_counts(&app.db).await, before, "nothing was written");
    }
}

#[tokio::test]
async fn lone_surrogates_and_invalid_utf8_in_bodies_are_refused_by_name() {
    for app in TestApp::all().await {
        let before = testing::row_counts(&app.db).await;
        let cases: Vec<(&str, &[u8], &str, &str)> = vec![
            ("/api/tags", br#"{"name":"\ud800"}"#, "name", "name must be valid Unicode"),
            ("/api/tags", br#"{"name":"x\udc00"}"#, "name", "name must be valid Unicode"),
            ("/api/tags", br#"{"name":"\ud800\u0041"}"#, "name", "name must be valid Unicode"),
            ("/api/tags", b"{\"name\":\"\xff\"}", "name", "name must be valid UTF-8"),
            (
                "/api/contacts",
                br#"{"role":"lead","custom_attributes":{"plan":"\udbff"}}"#,
                "custom_attributes.plan",
                "custom_attributes.plan must be valid Unicode",
            ),
            ("/messenger/boot", br#"{"app_id":"\ud800"}"#, "app_id", "app_id must be valid Unicode"),
        ];
        for (path, body, field, message) in cases {
            let what = format!("{path} {}", String::from_utf8_lossy(body));
            let r = app.send(raw(Method::POST, path, &app.token, body.to_vec())).await;
            assert_refused(&r, field, &what);
            assert!(r.body["errors"][0]["message"].as_str().unwrap().starts_with(message), "{what}: {}", r.text);
        }
        // A proper surrogate pair is text like any other.
        let r =
            app.send(raw(Method::POST, "/api/tags", &app.token, br#"{"name":"smile \ud83d\ude00"}"#.to_vec())).await;
        assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("smile \u{1F600}")), "{}", r.text);
        let mut after = testing::row_counts(&app.db).await;
        after.iter_mut().filter(|(table, _)| *table == "tags").for_each(|(_, n)| *n -= 1);
        assert_eq!(after, before, "only the good tag was written");
    }
}

#[tokio::test]
async fn unstorable_text_in_paths_query_strings_and_headers_is_refused_as_error_lists() {
    for app in TestApp::all().await {
        let visitor = lead(&app).await;
        let before = testing::row_counts(&app.db).await;
        let cases: Vec<(&str, &str, &str)> = vec![
            ("/api/contacts/%FF", "path", "path must be valid UTF-8"),
            ("/api/contacts/find_by_external_id/u%00", "path", "path must not contain NUL characters"),
            ("/api/tags/%C0%AF", "path", "path must be valid UTF-8"),
            ("/api/nowhere/%FF", "path", "path must be valid UTF-8"),
            ("/api/contacts?starting_after=%FF", "starting_after", "starting_after must be valid UTF-8"),
            ("/api/contacts?per_page=1%00", "per_page", "per_page must not contain NUL characters"),
            ("/api/conversations?%FF=1", "query", "query must be valid UTF-8"),
        ];
        for (path, field, message) in cases {
            let r = app.get(path).await;
            assert_refused(&r, field, path);
            assert_eq!(r.body["errors"][0]["message"], message, "{path}");
        }
        let r = as_visitor(&app, &visitor, Method::GET, "/messenger/conversations/%FF", None).await;
        assert_refused(&r, "path", "messenger path");
        let r = app.send(raw(Method::DELETE, "/api/tags/1%00", &app.token, Body::empty())).await;
        assert_refused(&r, "path", "delete path");
        let r = app.send(raw(Method::POST, "/segment/v1/track?x=%00", &app.token, "{}")).await;
        assert_refused(&r, "x", "segment query");

        // Headers cannot carry a NUL, and a credential that is not ASCII is no credential.
        let mut request = raw(Method::GET, "/api/tags", &app.token, Body::empty());
        request.headers_mut().insert("authorization", HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap());
        let r = app.send(request).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{}", r.text);

        assert_eq!(testing::row_counts(&app.db).await, before, "nothing was written");
    }
}

#[tokio::test]
async fn sockets_refuse_a_nul_and_a_missing_client_id_as_rest_does() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let visitor = lead(&app).await;
        let conversation = start(&app, &visitor, "hello", "c-1").await;
        let before = testing::row_counts(&app.db).await;
        let (mut agent, _) = connect(&address, &format!("/ws?token={}", app.token)).await;
        let (mut guest, _) = connect(&address, &format!("/messenger/ws?token={}", visitor.token)).await;

        for socket in [&mut agent, &mut guest] {
            let nul = json!({"type": "send", "conversation_id": conversation, "body": "x\u{0}y", "client_id": "s-1"});
            let answer = socket.ask(nul).await;
            assert_eq!(
                (answer["code"].as_str(), answer["field"].as_str(), answer["client_id"].as_str()),
                (Some("parameter_invalid"), Some("body"), Some("s-1")),
                "{answer}"
            );
            assert_eq!(answer["message"], "body must not contain NUL characters");
            let answer = socket.ask(json!({"type": "send", "conversation_id": conversation, "body": "x"})).await;
            assert_eq!(
                (answer["code"].as_str(), answer["field"].as_str()),
                (Some("parameter_not_found"), Some("client_id")),
                "{answer}"
            );
            let answer = socket
                .ask(json!({"type": "send", "conversation_id": conversation, "body": " ", "client_id": "b"}))
                .await;
            assert_eq!(
                (answer["code"].as_str(), answer["field"].as_str()),
                (Some("parameter_not_found"), Some("body"))
            );
            let answer = socket.ask(json!({"type": "send", "body": "x", "client_id": "c\u{0}"})).await;
            assert_eq!(
                (answer["code"].as_str(), answer["field"].as_str()),
                (Some("parameter_invalid"), Some("client_id"))
            );
            assert_eq!(socket.ask(json!({"type": "ping"})).await["type"], "pong", "the socket stays open");
        }
        let answer = guest.ask(json!({"type": "send", "body": "new \u{0}"})).await;
        assert_eq!(answer["code"], "parameter_invalid", "a NUL is found before a missing field: {answer}");

        // REST answers the same for the same faults.
        let path = format!("/messenger/conversations/{conversation}/messages");
        let r = as_visitor(&app, &visitor, Method::POST, &path, Some(json!({"body": "x"}))).await;
        assert_eq!((r.error_code(), r.body["errors"][0]["field"].as_str()), ("parameter_not_found", Some("client_id")));

        // A handshake with unstorable text in its query string is refused before the upgrade.
        let r = app.request_as(None, Method::GET, "/ws?token=a%00", None).await;
        assert_refused(&r, "token", "agent socket token");
        let r = app.request_as(None, Method::GET, "/messenger/ws?token=%FF", None).await;
        assert_refused(&r, "token", "visitor socket token");

        assert_eq!(testing::row_counts(&app.db).await, before, "nothing was written");
    }
}

#[tokio::test]
async fn the_segment_intake_refuses_a_nul_call_and_applies_the_rest_of_a_batch() {
    for app in TestApp::all().await {
        let key = app.workspace.tracking_key.clone();
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:")));
        let post = |path: &str, authorization: &str, body: Value| {
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header("authorization", authorization)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let before = testing::row_counts(&app.db).await;

        let identify = json!({"userId": "u-9", "traits": {"name": "Ann\u{0}"}});
        let r = app.send(post("/segment/v1/identify", &basic, identify)).await;
        assert_refused(&r, "traits.name", "identify");
        assert_eq!(r.body["errors"][0]["message"], "traits.name must not contain NUL characters");
        let r = app.send(post("/segment/v1/track", &basic, json!({"userId": "u\u{0}", "event": "e"}))).await;
        assert_refused(&r, "userId", "track userId");
        let r =
            app.send(post("/segment/v1/track", "", json!({"writeKey": "k\u{0}", "userId": "u", "event": "e"}))).await;
        assert_refused(&r, "writeKey", "writeKey");
        // A key with a NUL in the Basic header is an unknown key.
        let nul_key = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("k\0:"));
        let r = app.send(post("/segment/v1/track", &nul_key, json!({"userId": "u", "event": "e"}))).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{}", r.text);
        let raw = Request::builder()
            .method(Method::POST)
            .uri("/segment/v1/identify")
            .header("authorization", &basic)
            .body(Body::from(br#"{"userId":"u-9","traits":{"name":"\ud800"}}"#.to_vec()))
            .unwrap();
        let r = app.send(raw).await;
        assert_refused(&r, "traits.name", "identify with a lone surrogate");
        assert_eq!(testing::row_counts(&app.db).await, before, "nothing was written");

        let batch = json!({"batch": [
            {"type": "track", "userId": "u-9", "event": "bad", "properties": {"note": "x\u{0}"}, "messageId": "m-1"},
            {"type": "track", "userId": "u-9", "event": "good", "messageId": "m-2"},
        ]});
        let r = app.send(post("/segment/v1/batch", &basic, batch)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["applied"], 1, "{}", r.text);
        assert_eq!(
            r.body["refused"],
            json!([{"index": 0, "messageId": null, "field": "properties.note",
            "message": "properties.note must not contain NUL characters"}])
        );
        let events = app.get("/api/events?type=user&user_id=u-9").await;
        let names: Vec<&str> =
            events.body["events"].as_array().unwrap().iter().filter_map(|e| e["event_name"].as_str()).collect();
        assert_eq!(names, vec!["good"], "{}", events.text);
    }
}
