//! Rapport's HTTP layer: the Intercom-compatible REST API under `/api`, sign-in for the web app,
//! authentication extractors, the one mapping from errors to `error.list` bodies, and the OpenAPI
//! document generated from the handlers.
//!
//! Handlers are thin: extract -> authorize -> call `rapport_store` -> shape the Intercom JSON.
//! No SQL here; no business rules that belong in `rapport_core`.
#![forbid(unsafe_code)]

pub mod error;
pub mod extract;
pub mod live;
mod openapi;
pub mod pagination;
mod rate_limit;
mod router;
pub mod routes;
mod text;
pub mod visitor;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::{AppError, AppResult};
pub use router::{openapi, router};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: rapport_store::Db,
    pub config: Arc<HttpConfig>,
    pub limits: Arc<rate_limit::RateLimits>,
    /// The node's real-time hub (WebSocket fan-out, bus doorbells, presence).
    pub live: Arc<live::Hub>,
}

/// Settings of the HTTP layer that the binary passes in.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Absolute base URL of this server as clients reach it (used in `pages.next` URLs).
    pub public_url: String,
    /// API calls allowed per minute per credential (Intercom allows 10,000 per app).
    pub api_calls_per_minute: u32,
    /// Sign-in attempts allowed per 15 minutes per email.
    pub login_attempts_per_window: u32,
    /// Set the `Secure` attribute on cookies (off only for plain-HTTP local use).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes (uploads have their own 10 MB limit).
    pub max_body_bytes: usize,
    /// Where attachment bytes are stored: a directory outside any web root.
    pub attachments_dir: PathBuf,
    /// How often the live hub re-reads the log of workspaces with open sockets, whatever the bus
    /// says (the safety net that makes a lost doorbell only a delay).
    pub live_poll_interval: std::time::Duration,
    /// How often each node repeats its teammates' presence on the bus; a node silent for three
    /// heartbeats (it died) no longer keeps anyone online.
    pub presence_heartbeat: std::time::Duration,
    /// Messenger calls (`/messenger/…`) allowed per minute per client IP.
    pub messenger_calls_per_minute_per_ip: u32,
    /// Messenger calls allowed per minute per app_id (all visitors of a workspace together).
    pub messenger_calls_per_minute_per_app: u32,
    /// The header a trusted reverse proxy puts the client's IP in (`X-Forwarded-For`,
    /// `X-Real-IP`); `None` (the default) uses the TCP peer and ignores such headers.
    pub trusted_client_ip_header: Option<String>,
    /// Let webhook URLs reach loopback, private and link-local addresses (tests, local setups).
    pub allow_private_webhooks: bool,
    /// The secret GitHub signs its webhooks with (`X-Hub-Signature-256`); `None` turns
    /// `POST /github/webhook` off.
    pub github_webhook_secret: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            api_calls_per_minute: 10_000,
            login_attempts_per_window: 10,
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            attachments_dir: std::env::temp_dir().join("rapport-attachments"),
            live_poll_interval: std::time::Duration::from_secs(1),
            presence_heartbeat: std::time::Duration::from_secs(10),
            messenger_calls_per_minute_per_ip: 600,
            messenger_calls_per_minute_per_app: 60_000,
            trusted_client_ip_header: None,
            allow_private_webhooks: false,
            github_webhook_secret: None,
        }
    }
}

impl AppState {
    /// The state of a single node: its hub rings an in-process bus. Call it inside a tokio runtime.
    pub fn new(db: rapport_store::Db, config: HttpConfig) -> Self {
        Self::with_bus(db, config, rapport_bus::Bus::in_process())
    }

    /// The state of a node on a shared bus (`rapport_bus::Bus::connect("nats://…")`).
    pub fn with_bus(db: rapport_store::Db, config: HttpConfig, bus: rapport_bus::Bus) -> Self {
        let limits = Arc::new(rate_limit::RateLimits::new(&config));
        let live = live::Hub::start(db.clone(), bus, config.live_poll_interval, config.presence_heartbeat);
        Self { db, config: Arc::new(config), limits, live }
    }
}
