//! Webhook delivery. Each subscription reads its workspace's event log from its own durable
//! cursor (`rapport_store::webhooks`), turns each event whose topic it wants into Intercom's
//! `notification_event`, signs it (`X-Hub-Signature: sha1=…`) and POSTs it, one event at a time
//! in log order, so a receiver sees every conversation's events in order. The cursor moves past an
//! event only once the receiver answered 2xx: delivery is at least once, and exactly once unless
//! a node dies between the answer and the cursor write. Failures are retried with capped
//! exponential backoff and jitter; after `pause_after` failures in a row the subscription pauses
//! until resumed, and then continues from the same event.
//!
//! Every request goes to an address resolved and checked just before it
//! ([`rapport_http::routes::webhooks::resolve_public`]) and pinned for the connection, so DNS
//! rebinding cannot swap it; the address actually connected to is checked again, and redirects
//! are not followed.
#![forbid(unsafe_code)]

use rapport_core::event::EventKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use rapport_core::ids::{ContactId, ConversationId};
use rapport_core::webhook;
use rapport_http::routes::contacts::one_contact_json;
use rapport_http::routes::conversations::json::{conversation_json, Display};
use rapport_http::routes::webhooks::resolve_public;
use rapport_store::event_log::{self, Event};
use rapport_store::webhooks::{self, now_ms, Subscription};
use rapport_store::{contacts, conversations, workspaces, Db, StoreResult};
use serde_json::{json, Value};

/// How the worker behaves; [`Config::default`] is production's.
#[derive(Debug, Clone)]
pub struct Config {
    /// This node's name in leases (unique per process).
    pub node: String,
    /// Allow loopback, private and link-local receivers (tests, local setups).
    pub allow_private: bool,
    /// How long a receiver has to answer (Intercom gives 5 s).
    pub timeout: Duration,
    /// First retry delay, doubled per failure up to `backoff_cap`, jittered down to half.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Failures in a row after which a subscription pauses.
    pub pause_after: i64,
    /// How often to look for due subscriptions when nothing rings (other nodes' writes, retries).
    pub poll: Duration,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// Events read from the log per query.
    pub batch: i64,
    /// The server's public URL: attachments in `data.item` link under `{public_url}/api/attachments`.
    pub public_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            node: format!("node-{:016x}", rand::random::<u64>()),
            allow_private: false,
            timeout: Duration::from_secs(5),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(3600),
            pause_after: 10,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            batch: 100,
            public_url: String::new(),
        }
    }
}

/// Runs forever: after every commit of this process, and every `poll`, delivers what is due.
pub async fn run(db: Db, config: Config) {
    let config = Arc::new(config);
    let mut committed = db.committed();
    loop {
        if let Err(e) = deliver_due(&db, &config).await {
            tracing::warn!(error = %e, "webhook delivery pass failed");
        }
        tokio::select! {
            _ = committed.recv() => {}
            _ = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// One pass: every due subscription (in parallel, each in order) is brought up to the end of its
/// log or to its first failure. Returns how many subscriptions were worked on.
pub async fn deliver_due(db: &Db, config: &Arc<Config>) -> StoreResult<usize> {
    let due = webhooks::due(db, &config.node, now_ms(), 1000).await?;
    let count = due.len();
    let mut tasks = tokio::task::JoinSet::new();
    for subscription in due {
        let (db, config) = (db.clone(), config.clone());
        tasks.spawn(async move {
            let (ws, id) = (subscription.workspace_id.get(), subscription.id);
            if let Err(e) = deliver_subscription(&db, &config, subscription).await {
                tracing::warn!(workspace_id = ws, subscription_id = id, error = %e, "webhook delivery failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(count)
}

/// Delivers one subscription's backlog under a lease.
async fn deliver_subscription(db: &Db, config: &Config, mut sub: Subscription) -> StoreResult<()> {
    let lease_ms = config.lease.as_millis() as i64;
    if !webhooks::lease(db, sub.workspace_id, sub.id, &config.node, now_ms() + lease_ms).await? {
        return Ok(());
    }
    let result = drain(db, config, &mut sub, lease_ms).await;
    webhooks::release(db, sub.workspace_id, sub.id, &config.node).await?;
    result
}

async fn drain(db: &Db, config: &Config, sub: &mut Subscription, lease_ms: i64) -> StoreResult<()> {
    let app_id = workspaces::find(db, sub.workspace_id).await?.app_id;
    let mut cursor = sub.cursor_seq;
    loop {
        let events = event_log::after(db, sub.workspace_id, cursor, config.batch).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(());
        };
        for event in &events {
            let Some(topic) =
                event.known_kind().and_then(|kind| webhook::topic_for(kind, &event.payload())).filter(|t| sub.wants(t))
            else {
                continue;
            };
            // Events before this one matched nothing: record that before trying this one.
            if event.seq - 1 > cursor
                && !webhooks::advance(db, sub.workspace_id, sub.id, &config.node, event.seq - 1).await?
            {
                return Ok(());
            }
            if !webhooks::lease(db, sub.workspace_id, sub.id, &config.node, now_ms() + lease_ms).await? {
                return Ok(());
            }
            match post(db, config, sub, &app_id, event, topic).await? {
                Ok(()) => {
                    if !webhooks::advance(db, sub.workspace_id, sub.id, &config.node, event.seq).await? {
                        return Ok(());
                    }
                    cursor = event.seq;
                }
                Err(error) => {
                    let failures = sub.consecutive_failures as u32 + 1;
                    let jitter = rand::thread_rng().gen_range(0.5..=1.0);
                    let wait = webhook::backoff_ms(
                        failures,
                        config.backoff_base.as_millis() as u64,
                        config.backoff_cap.as_millis() as u64,
                        jitter,
                    );
                    *sub = webhooks::fail(
                        db,
                        sub.workspace_id,
                        sub.id,
                        &config.node,
                        &error,
                        now_ms() + wait as i64,
                        config.pause_after,
                    )
                    .await?;
                    return Ok(());
                }
            }
        }
        if last > cursor {
            if !webhooks::advance(db, sub.workspace_id, sub.id, &config.node, last).await? {
                return Ok(());
            }
            cursor = last;
        }
    }
}

/// The notification's id: the same for every attempt and every subscriber of one event.
pub fn notification_id(app_id: &str, seq: i64) -> String {
    format!("notif_{app_id}_{seq}")
}

/// Intercom's `notification_event` envelope around `item`.
pub fn envelope(app_id: &str, seq: i64, topic: &str, created_at: i64, attempt: i64, item: Value) -> Value {
    json!({
        "type": "notification_event",
        "app_id": app_id,
        "id": notification_id(app_id, seq),
        "topic": topic,
        "created_at": created_at,
        "delivery_status": "pending",
        "delivery_attempts": attempt,
        "delivered_at": 0,
        "first_sent_at": created_at,
        "self": null,
        "links": {},
        "data": {"type": "notification_event_data", "item": item},
    })
}

/// `data.item`: the conversation (with the event's part as its only part) or the contact as the
/// REST API shows them now; for something since deleted, the id-only form.
async fn item(db: &Db, config: &Config, app_id: &str, event: &Event) -> StoreResult<Value> {
    let payload = event.payload();
    if event.known_kind() == Some(EventKind::ContactCreated) {
        let id = ContactId::new(payload["contact"]["id"].as_i64().unwrap_or_default());
        return match contacts::find(db, event.workspace_id, id).await {
            Ok(contact) => Ok(one_contact_json(db, event.workspace_id, app_id, &contact)
                .await
                .unwrap_or_else(|_| json!({"type": "contact", "id": id.to_string()}))),
            Err(rapport_store::StoreError::NotFound { .. }) => Ok(json!({"type": "contact", "id": id.to_string()})),
            Err(e) => Err(e),
        };
    }
    let id = event.conversation_id.unwrap_or(ConversationId::new(0));
    let gone = json!({"type": "conversation", "id": id.to_string()});
    if event.known_kind() == Some(EventKind::ConversationDeleted) {
        return Ok(gone);
    }
    match conversations::find_detail(db, event.workspace_id, id).await {
        Ok(detail) => {
            let part_id = payload["part"]["id"].as_i64();
            let parts: Vec<_> = detail.parts.into_iter().filter(|p| Some(p.id) == part_id).collect();
            let files = format!("{}/api/attachments", config.public_url);
            Ok(conversation_json(&detail.conversation, &detail.related, Some(&parts), Display::Html, &files))
        }
        Err(rapport_store::StoreError::NotFound { .. }) => Ok(gone),
        Err(e) => Err(e),
    }
}

/// One attempt: builds, signs and posts the notification and logs the attempt. The outer result
/// is the database's; the inner one is the receiver's (an error message when not 2xx).
async fn post(
    db: &Db,
    config: &Config,
    sub: &Subscription,
    app_id: &str,
    event: &Event,
    topic: &str,
) -> StoreResult<Result<(), String>> {
    let attempt = webhooks::attempts(db, sub.workspace_id, sub.id, event.seq).await? + 1;
    let body = envelope(app_id, event.seq, topic, event.created_at, attempt, item(db, config, app_id, event).await?)
        .to_string();
    let started = Instant::now();
    let (status, outcome) = send(config, &sub.url, &sub.secret, body).await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let id = notification_id(app_id, event.seq);
    let error = outcome.as_ref().err().map(String::as_str);
    webhooks::log_delivery(db, sub, event.seq, &id, topic, attempt, status, latency_ms, error).await?;
    Ok(outcome)
}

/// Posts `body` to `url` at a freshly resolved, checked and pinned address. Returns the status
/// code (when an answer came) and whether it counts as delivered.
pub async fn send(config: &Config, url: &str, secret: &str, body: String) -> (Option<i64>, Result<(), String>) {
    let url = match webhook::parse_url(url) {
        Ok(url) => url,
        Err(e) => return (None, Err(e.to_string())),
    };
    let address = match resolve_public(&url, config.allow_private).await {
        Ok(address) => address,
        Err(e) => return (None, Err(format!("refused: {e}"))),
    };
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let client = reqwest::Client::builder()
        .resolve(&host, address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .no_proxy()
        .build();
    let client = match client {
        Ok(client) => client,
        Err(e) => return (None, Err(format!("client: {e}"))),
    };
    let signature = webhook::signature(secret, body.as_bytes());
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("user-agent", "rapport-webhooks/1.0")
        .header("x-hub-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Err(e) if e.is_timeout() => (None, Err("timed out".into())),
        Err(e) => (None, Err(format!("request failed: {e}"))),
        Ok(response) => {
            let status = response.status().as_u16() as i64;
            if let Some(peer) = response.remote_addr() {
                if !config.allow_private && webhook::is_forbidden(peer.ip()) {
                    return (Some(status), Err(format!("refused: connected to {}, a private address", peer.ip())));
                }
            }
            if response.status().is_success() {
                (Some(status), Ok(()))
            } else {
                (Some(status), Err(format!("HTTP {status}")))
            }
        }
    }
}
