//! The bus between Rapport nodes. It only rings doorbells — "workspace W advanced to seq S" — and
//! carries ephemeral signals (typing, presence) that are never stored. The database is the truth:
//! a node that hears a doorbell reads the event log, and a lost doorbell only delays delivery.
//!
//! Two implementations behind one [`Bus`]: in process (a tokio broadcast; the default, for one
//! node) and NATS core pub/sub (`nats://host:port`), subject `rapport.workspace.<W>`, JSON bodies.
//! Every node has a random id; a node delivers its own signals locally at once and ignores their
//! echoes from NATS, so each subscriber hears every signal exactly once.
#![forbid(unsafe_code)]

use std::sync::Arc;

use futures_util::StreamExt;
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

/// Signals buffered per local subscriber before it lags (it then re-reads the log).
const LOCAL_CAPACITY: usize = 8192;
const SUBJECT_PREFIX: &str = "rapport.workspace.";

/// What travels on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Signal {
    /// The workspace's event log now reaches `seq` (a doorbell: read the log to learn what).
    Advanced { workspace_id: i64, seq: i64 },
    /// Someone is typing in a conversation. `author` is `{type, id, name}`; `contact_ids` are the
    /// conversation's contacts, so nodes can pick the visitors' sockets without a query. `note`:
    /// a teammate writing an internal note (only teammates hear it).
    Typing {
        workspace_id: i64,
        conversation_id: i64,
        author: Value,
        contact_ids: Vec<i64>,
        #[serde(default)]
        note: bool,
    },
    /// A teammate's presence on node `node` (its bus id): `online`, `away` or `offline`. Nodes
    /// repeat it as a heartbeat while the teammate has sockets there.
    Presence {
        workspace_id: i64,
        admin_id: i64,
        status: String,
        #[serde(default)]
        node: String,
    },
    /// A teammate was deactivated: every node closes their open sockets.
    AdminDeactivated { workspace_id: i64, admin_id: i64 },
}

impl Signal {
    /// The workspace the signal concerns.
    pub fn workspace_id(&self) -> i64 {
        match self {
            Signal::Advanced { workspace_id, .. }
            | Signal::Typing { workspace_id, .. }
            | Signal::Presence { workspace_id, .. }
            | Signal::AdminDeactivated { workspace_id, .. } => *workspace_id,
        }
    }
}

/// A signal on the wire: the sending node's id lets it skip its own echoes.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: String,
    signal: Signal,
}

/// Why the bus could not start.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("unsupported bus URL {0:?}: leave it empty for the in-process bus or use nats://host:port")]
    UnsupportedUrl(String),
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect { url: String, message: String },
}

/// The node's bus handle. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    node_id: String,
    local: broadcast::Sender<Signal>,
    nats: Option<async_nats::Client>,
}

impl Bus {
    /// A bus for a single node: signals go to this process's subscribers only.
    pub fn in_process() -> Bus {
        Bus {
            inner: Arc::new(Inner {
                node_id: random_node_id(),
                local: broadcast::channel(LOCAL_CAPACITY).0,
                nats: None,
            }),
        }
    }

    /// Opens the bus a URL names: empty for [`Bus::in_process`], `nats://host:port` for NATS.
    pub async fn connect(url: &str) -> Result<Bus, BusError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Bus::in_process());
        }
        if !url.starts_with("nats://") {
            return Err(BusError::UnsupportedUrl(url.to_string()));
        }
        let connect_error =
            |e: &dyn std::fmt::Display| BusError::Connect { url: url.to_string(), message: e.to_string() };
        let client = async_nats::connect(url).await.map_err(|e| connect_error(&e))?;
        let mut subscriber = client.subscribe(format!("{SUBJECT_PREFIX}*")).await.map_err(|e| connect_error(&e))?;
        let node_id = random_node_id();
        // The subscription must be registered with the server before the bus is handed out, or the
        // first signals of other nodes are missed.
        registered(&client, &node_id).await.map_err(|e| connect_error(&e))?;
        let local = broadcast::channel(LOCAL_CAPACITY).0;
        let (own, sender) = (node_id.clone(), local.clone());
        tokio::spawn(async move {
            while let Some(message) = subscriber.next().await {
                match serde_json::from_slice::<Envelope>(&message.payload) {
                    Ok(envelope) if envelope.node == own => {}
                    Ok(envelope) => {
                        let _ = sender.send(envelope.signal);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, subject = %message.subject, "ignoring an unreadable bus message")
                    }
                }
            }
            tracing::warn!("the NATS subscription ended; live delivery falls back to polling the log");
        });
        Ok(Bus { inner: Arc::new(Inner { node_id, local, nats: Some(client) }) })
    }

    /// This node's random id.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// Whether signals reach other nodes (NATS) or stay in this process.
    pub fn is_shared(&self) -> bool {
        self.inner.nats.is_some()
    }

    /// Delivers `signal` to this node's subscribers at once and, on NATS, to every other node.
    /// A signal that cannot be sent is dropped with a warning: doorbells are a hint, not the truth.
    pub async fn publish(&self, signal: Signal) {
        let _ = self.inner.local.send(signal.clone());
        if let Some(client) = &self.inner.nats {
            let subject = format!("{SUBJECT_PREFIX}{}", signal.workspace_id());
            let envelope = Envelope { node: self.inner.node_id.clone(), signal };
            let body = match serde_json::to_vec(&envelope) {
                Ok(body) => body,
                Err(e) => return tracing::warn!(error = %e, "cannot encode a bus signal"),
            };
            if let Err(e) = client.publish(subject, body.into()).await {
                tracing::warn!(error = %e, "cannot publish on NATS");
            }
        }
    }

    /// Hears every signal of every workspace from now on (this node's and other nodes').
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.inner.local.subscribe()
    }

    /// Waits until signals published so far have been handed to the NATS server (no-op in process).
    pub async fn flush(&self) {
        if let Some(client) = &self.inner.nats {
            if let Err(e) = client.flush().await {
                tracing::warn!(error = %e, "cannot flush NATS");
            }
        }
    }
}

impl Default for Bus {
    fn default() -> Self {
        Bus::in_process()
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("node_id", &self.inner.node_id).field("nats", &self.is_shared()).finish()
    }
}

/// Returns once the server has processed everything this client sent before. `flush` only empties
/// our buffer; the server handles each connection's messages in order, so a message to ourselves
/// coming back proves that the subscriptions sent before it are in place.
async fn registered(client: &async_nats::Client, node_id: &str) -> Result<(), String> {
    let subject = format!("rapport.node.{node_id}.ready");
    let mut probe = client.subscribe(subject.clone()).await.map_err(|e| e.to_string())?;
    client.publish(subject, Vec::new().into()).await.map_err(|e| e.to_string())?;
    client.flush().await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(std::time::Duration::from_secs(10), probe.next()).await {
        Ok(Some(_)) => {
            let _ = probe.unsubscribe().await;
            Ok(())
        }
        Ok(None) => Err("the connection closed while subscribing".to_string()),
        Err(_) => Err("the server did not confirm the subscription within 10 s".to_string()),
    }
}

fn random_node_id() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 12)
}
