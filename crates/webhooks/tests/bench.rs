//! Benchmark (ignored by default; figures go in docs/BENCHMARKS.md): webhook deliveries per second
//! to a slow receiver that takes 50 ms per request, for 1 and for 10 subscriptions.
//! `cargo test -p rapport-webhooks --test bench -- --ignored --nocapture`
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::conversations::{self, Change, SendOptions};
use rapport_store::{event_log, testing, webhooks, Db};
use rapport_webhooks::{deliver_due, Config};

async fn slow_receiver(count: Arc<AtomicUsize>) -> String {
    async fn hook(State(count): State<Arc<AtomicUsize>>) -> StatusCode {
        tokio::time::sleep(Duration::from_millis(50)).await;
        count.fetch_add(1, Ordering::SeqCst);
        StatusCode::OK
    }
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(count);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn run(db: &Db, subscriptions: usize, events: usize) {
    let (ws, owner) = testing::workspace(db).await;
    let count = Arc::new(AtomicUsize::new(0));
    let url = slow_receiver(count.clone()).await;
    let topics = vec!["conversation.admin.noted".to_string()];
    let mut ids = Vec::new();
    for _ in 0..subscriptions {
        ids.push(webhooks::create(db, ws.id, &url, &topics, "bench secret").await.unwrap().id);
    }
    let contact = testing::contact(db, ws.id, "user", Some("bench"), None).await.unwrap();
    let new = conversations::NewConversation {
        contact_id: contact,
        body: "hi",
        subject: None,
        created_at: None,
        options: SendOptions::default(),
    };
    let conversation = conversations::create(db, ws.id, new).await.unwrap().conversation.id;
    for _ in 0..events {
        let note = Change::AdminNote { admin_id: owner.id, body: "bench" };
        conversations::send(db, ws.id, conversation, note, SendOptions::default()).await.unwrap();
    }
    let config = Arc::new(Config { allow_private: true, ..Config::default() });
    let last = event_log::last_seq(db, ws.id).await.unwrap();
    let started = Instant::now();
    loop {
        deliver_due(db, &config).await.unwrap();
        let mut done = true;
        for id in &ids {
            done &= webhooks::find(db, ws.id, *id).await.unwrap().cursor_seq == last;
        }
        if done {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let delivered = count.load(Ordering::SeqCst);
    assert_eq!(delivered, subscriptions * events);
    println!(
        "{:?}: {subscriptions} subscription(s) × {events} events, 50 ms receiver: {delivered} deliveries in {seconds:.2} s = {:.0}/s",
        db.backend(),
        delivered as f64 / seconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn deliveries_per_second_with_a_slow_receiver() {
    for db in testing::all().await {
        run(&db, 1, 100).await;
        run(&db, 10, 100).await;
    }
}
