//! The bench module against a tiny fake of the Intercom API (the real endpoints live in
//! rapport-http): it must drive the right paths with the right bodies and tally the results.
#[allow(dead_code)]
#[path = "../src/bench.rs"]
mod bench;
#[allow(dead_code)]
#[path = "../src/bench_live.rs"]
mod bench_live;
#[allow(dead_code)]
#[path = "../src/bench_soak.rs"]
mod bench_soak;

#[allow(dead_code)]
#[path = "../src/bench_views.rs"]
mod bench_views;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Default)]
struct Seen {
    contacts: AtomicU64,
    replies: AtomicU64,
    searches: AtomicU64,
    bad: AtomicU64,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer tok")
}

async fn fake_api() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route(
            "/api/me",
            get(|headers: HeaderMap| async move {
                if authorized(&headers) {
                    (StatusCode::OK, Json(json!({"type": "admin", "id": "7"})))
                } else {
                    (StatusCode::UNAUTHORIZED, Json(json!({"type": "error.list"})))
                }
            }),
        )
        .route(
            "/api/teams",
            get(|| async { Json(json!({"type": "team.list", "teams": [{"type": "team", "id": "3"}]})) }),
        )
        .route(
            "/api/contacts",
            post(|State(seen): State<Arc<Seen>>, Json(body): Json<Value>| async move {
                if body["email"].as_str().is_none_or(|e| !e.contains('@')) {
                    seen.bad.fetch_add(1, Ordering::Relaxed);
                }
                let n = seen.contacts.fetch_add(1, Ordering::Relaxed);
                Json(json!({"type": "contact", "id": format!("c{n}")}))
            }),
        )
        .route(
            "/api/conversations",
            post(|Json(body): Json<Value>| async move {
                assert_eq!(body["from"]["type"], "user");
                Json(json!({"type": "user_message", "id": "1", "conversation_id": "42"}))
            })
            .get(|Query(q): Query<std::collections::HashMap<String, String>>| async move {
                // Ten pages; the cursor is opaque and needs URL encoding.
                let page: usize =
                    q.get("starting_after").and_then(|c| c.trim_start_matches("p+/").parse().ok()).unwrap_or(0);
                let next = if page < 9 {
                    json!({"page": page + 2, "starting_after": format!("p+/{}", page + 1)})
                } else {
                    Value::Null
                };
                Json(
                    json!({"type": "conversation.list", "conversations": [], "pages": {"type": "pages", "next": next}}),
                )
            }),
        )
        .route(
            "/api/conversations/{id}/reply",
            post(|State(seen): State<Arc<Seen>>, Path(id): Path<String>, Json(body): Json<Value>| async move {
                if id != "42" || body["type"] != "admin" || body["admin_id"] != "7" {
                    seen.bad.fetch_add(1, Ordering::Relaxed);
                }
                seen.replies.fetch_add(1, Ordering::Relaxed);
                Json(json!({"type": "conversation", "id": id}))
            }),
        )
        .route(
            "/api/conversations/search",
            post(|State(seen): State<Arc<Seen>>, Json(body): Json<Value>| async move {
                if body["query"].is_null() {
                    seen.bad.fetch_add(1, Ordering::Relaxed);
                }
                seen.searches.fetch_add(1, Ordering::Relaxed);
                Json(json!({"type": "conversation.list", "conversations": []}))
            }),
        )
        .route(
            "/api/contacts/search",
            post(|State(seen): State<Arc<Seen>>, Json(body): Json<Value>| async move {
                if body["query"].is_null() {
                    seen.bad.fetch_add(1, Ordering::Relaxed);
                }
                seen.searches.fetch_add(1, Ordering::Relaxed);
                Json(json!({"type": "list", "data": []}))
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn write_bench_alternates_creates_and_replies() {
    let (url, seen) = fake_api().await;
    // The fake server runs in this process, so this process's CPU is the server's.
    let report = bench::run_write_bench(&url, "tok", 1, 2, Some(std::process::id()), bench::ReplyContacts::PerWorker)
        .await
        .expect("write bench");
    assert_eq!(report.ops.len(), 2);
    let (creates, replies) = (&report.ops[0], &report.ops[1]);
    assert!(creates.ok > 0 && replies.ok > 0, "{report}");
    assert_eq!(creates.errors + replies.errors, 0, "{report}");
    assert!(creates.p50_ms <= creates.p99_ms && creates.p99_ms <= creates.max_ms);
    // The setup contacts (one per worker) are not counted as measured requests.
    assert_eq!(seen.contacts.load(Ordering::Relaxed), creates.ok + 2);
    assert_eq!(seen.replies.load(Ordering::Relaxed), replies.ok);
    assert_eq!(seen.bad.load(Ordering::Relaxed), 0);
    assert!(report.to_string().contains("POST /contacts"));
    let cpu = report.server_cpu.expect("the server's CPU, its pid being given");
    assert!(cpu.cores > 0.0 && cpu.ms_per_request > 0.0, "{report}");
    assert!(report.to_string().contains("server CPU: "), "{report}");
}

#[tokio::test]
async fn write_bench_refuses_a_bad_token() {
    let (url, _) = fake_api().await;
    assert!(bench::run_write_bench(&url, "wrong", 1, 1, None, bench::ReplyContacts::PerWorker).await.is_err());
}

#[tokio::test]
async fn write_bench_refuses_a_server_pid_it_cannot_read_before_writing_anything() {
    let (url, seen) = fake_api().await;
    let error = bench::run_write_bench(&url, "tok", 1, 1, Some(u32::MAX), bench::ReplyContacts::Shared)
        .await
        .expect_err("no such process");
    assert!(format!("{error:#}").contains("/proc/4294967295/stat"), "{error:#}");
    assert_eq!(seen.contacts.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn query_bench_runs_every_query() {
    let (url, seen) = fake_api().await;
    let options = bench::QueryOptions { depth: 5, word: "refund".into() };
    let report = bench::run_query_bench(&url, "tok", 1, 2, &options).await.expect("query bench");
    assert_eq!(report.ops.len(), 20, "{report}");
    for op in &report.ops {
        assert!(op.ok > 0 && op.errors == 0, "{report}");
    }
    assert!(seen.searches.load(Ordering::Relaxed) > 0);
    assert_eq!(seen.bad.load(Ordering::Relaxed), 0);

    // Asking for a cursor deeper than the data is a clear error, not a hang.
    let too_deep = bench::QueryOptions { depth: 20, word: "x".into() };
    let error = bench::run_query_bench(&url, "tok", 1, 1, &too_deep).await.unwrap_err();
    assert!(error.to_string().contains("pages of conversations"), "{error}");
}

#[test]
fn reads_resident_memory_of_a_process() {
    let (rss, hwm) = bench::read_memory(std::process::id()).expect("read /proc");
    assert!(rss > 0 && hwm >= rss);
    assert!(bench::read_memory(u32::MAX).is_err());
}

#[tokio::test]
async fn memory_bench_reports_a_server_that_never_gets_healthy() {
    // `true` exits at once: the bench must say so instead of waiting.
    let error = bench::run_memory_bench(std::path::Path::new("true"), "sqlite::memory:", 0).await.unwrap_err();
    assert!(error.to_string().contains("exited") || error.to_string().contains("at once"), "{error}");
}
