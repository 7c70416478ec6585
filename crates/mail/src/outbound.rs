//! The outbound sender: delivers teammates' replies to email conversations through the SMTP
//! relay. `conversations::send` queues each reply (`rapport_store::email::outbound`) in the
//! same transaction as its part; this loop, which `rapport serve` starts when a relay is
//! configured, leases due rows (so one node sends each), composes the message
//! (`rapport_core::email::outbound`), sends it, and records the outcome:
//!
//! - accepted (2xx): `sent`, with `sent_at`;
//! - refused for now (4xx) or no answer (connection, TLS, timeout): retried after an exponential
//!   backoff with jitter, still `queued` with the error shown, until `max_attempts`;
//! - refused for good (5xx), an unusable address, or `max_attempts` reached: `failed` with the
//!   reason.
//!
//! The Message-ID and threading headers are fixed (stored) on the first attempt, so a retry
//! sends the same message. A reply is sent once in normal operation: only the lease holder sends,
//! and the state changes right after the relay's answer; a node dying between the two can send
//! it again once its lease runs out, never lose it.
use std::sync::Arc;
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::Rng;
use rapport_core::email::{outbound as compose, reply_token};
use rapport_store::email::outbound::{self as queue, Headers, Outbound, NO_ADDRESS};
use rapport_store::webhooks::now_ms;
use rapport_store::{Db, StoreResult};

mod message;
mod relay;

pub use message::Dkim;
pub use relay::{Relay, TlsMode};

/// How the sender behaves; see [`Config::new`] for the defaults.
#[derive(Debug)]
pub struct Config {
    pub relay: Relay,
    /// The sender address of every reply (`--smtp-from-address`); the From name is the teammate's.
    pub from_address: String,
    /// The domain of Reply-To addresses (`<app_id>+<token>@<reply_domain>`), which must reach
    /// the inbound listener.
    pub reply_domain: String,
    /// The domain of the Message-IDs we generate.
    pub message_id_domain: String,
    pub dkim: Option<Dkim>,
    /// This node's name in leases (unique per process).
    pub node: String,
    /// How long the relay has to answer each SMTP command.
    pub timeout: Duration,
    /// How long a lease lasts; longer than a whole attempt can take.
    pub lease: Duration,
    /// First retry delay, doubled per attempt up to `backoff_cap`, jittered down to half.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Attempts after which a reply the relay keeps deferring is marked failed.
    pub max_attempts: i64,
    /// How often to look for due replies when nothing rings (other nodes' writes, retries).
    pub poll: Duration,
    /// Rows leased per pass, and how many are sent at once.
    pub batch: i64,
    pub concurrency: usize,
}

impl Config {
    /// Production defaults for a relay and a sender address; the Reply-To and Message-ID domain
    /// is the sender address's.
    pub fn new(relay: Relay, from_address: &str) -> Result<Config, String> {
        let domain = compose::domain_of(from_address)
            .ok_or_else(|| format!("--smtp-from-address {from_address:?} is not an address with a domain"))?;
        from_address
            .parse::<lettre::Address>()
            .map_err(|e| format!("--smtp-from-address {from_address:?} is not valid: {e}"))?;
        Ok(Config {
            relay,
            from_address: from_address.trim().to_string(),
            reply_domain: domain.clone(),
            message_id_domain: domain,
            dkim: None,
            node: format!("node-{:016x}", rand::random::<u64>()),
            timeout: Duration::from_secs(60),
            lease: Duration::from_secs(300),
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3600),
            max_attempts: 12,
            poll: Duration::from_secs(1),
            batch: 100,
            concurrency: 4,
        })
    }
}

/// The sender: the configuration and one pooled connection to the relay.
#[derive(Clone)]
pub struct Sender {
    config: Arc<Config>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Sender {
    pub fn new(config: Config) -> Result<Sender, String> {
        let transport = config.relay.transport(config.timeout)?;
        Ok(Sender { config: Arc::new(config), transport })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs forever: after every commit of this process, and every `poll`, sends what is due.
    pub async fn run(self, db: Db) {
        tracing::info!(relay = %self.config.relay, from = %self.config.from_address, "outbound email: on");
        let mut committed = db.committed();
        loop {
            match self.send_due(&db).await {
                // A full batch: more may be waiting.
                Ok(n) if n as i64 >= self.config.batch => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbound email pass failed"),
            }
            tokio::select! {
                _ = committed.recv() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// One pass: leases and sends every due reply, `concurrency` at a time. Returns how many
    /// were due.
    pub async fn send_due(&self, db: &Db) -> StoreResult<usize> {
        let due = queue::due(db, &self.config.node, now_ms(), self.config.batch).await?;
        let count = due.len();
        let limit = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for row in due {
            let (db, sender, limit) = (db.clone(), self.clone(), limit.clone());
            tasks.spawn(async move {
                let Ok(_turn) = limit.acquire_owned().await else { return };
                let (ws, id) = (row.workspace_id.get(), row.id);
                if let Err(e) = sender.send_one(&db, row).await {
                    tracing::warn!(workspace_id = ws, email_message_id = id, error = %e, "sending a reply failed");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(count)
    }

    /// Leases, composes and sends one reply, and records the outcome.
    async fn send_one(&self, db: &Db, mut row: Outbound) -> StoreResult<()> {
        let config = &self.config;
        let lease_until = now_ms() + config.lease.as_millis() as i64;
        if !queue::lease(db, row.workspace_id, row.id, &config.node, lease_until).await? {
            return Ok(());
        }
        let context = queue::context(db, &row).await?;
        // The first attempt fixes the Message-ID and the thread it answers.
        let began = if row.headers_fixed() {
            queue::begin_attempt(db, row.workspace_id, row.id, &config.node, None).await?
        } else {
            let thread = queue::thread(db, row.workspace_id, row.conversation_id, row.id).await?;
            let parent = thread.iter().rev().find(|m| m.direction == "inbound");
            let parent_references: Vec<String> =
                parent.map(|m| m.reference_ids.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
            let ids: Vec<String> = thread.iter().map(|m| m.message_id.clone()).collect();
            row.reference_ids = compose::references(&parent_references, &ids).join(" ");
            row.in_reply_to = parent.map(|m| m.message_id.clone());
            row.message_id = compose::message_id(&row.message_id, &config.message_id_domain);
            row.from_address = config.from_address.clone();
            let references = row.references();
            let headers = Headers {
                message_id: &row.message_id,
                from_address: &row.from_address,
                in_reply_to: row.in_reply_to.as_deref(),
                references: &references,
            };
            queue::begin_attempt(db, row.workspace_id, row.id, &config.node, Some(headers)).await?
        };
        if !began {
            return Ok(());
        }
        row.attempts += 1;
        let Some(to) = row.to_addresses().into_iter().next() else {
            queue::mark_failed(db, &row, NO_ADDRESS).await?;
            return Ok(());
        };
        let token = reply_token(&context.identity_secret, row.conversation_id);
        let reply_to = compose::reply_to_address(&context.app_id, &token, &config.reply_domain);
        let references = row.references();
        let composed = compose::compose(&compose::Reply {
            teammate_name: context.author_name.as_deref(),
            workspace_name: &context.workspace_name,
            color: &context.color,
            from_address: &row.from_address,
            to_address: &to,
            reply_to: &reply_to,
            subject: &row.subject,
            body: context.body.as_deref().unwrap_or_default(),
            message_id: &row.message_id,
            in_reply_to: row.in_reply_to.as_deref(),
            references: &references,
            automated: row.automated,
        });
        let message = match message::build(&composed, config.dkim.as_ref()) {
            Ok(message) => message,
            Err(reason) => {
                queue::mark_failed(db, &row, &reason).await?;
                return Ok(());
            }
        };
        match self.transport.send(message).await {
            Ok(_) => {
                queue::mark_sent(db, &row).await?;
                tracing::info!(workspace_id = row.workspace_id.get(), part_id = row.part_id, "reply sent by email");
            }
            Err(error) if error.is_permanent() => {
                queue::mark_failed(db, &row, &format!("the relay refused it: {error}")).await?;
            }
            Err(error) if row.attempts >= config.max_attempts => {
                let reason = format!("gave up after {} attempts: {error}", row.attempts);
                queue::mark_failed(db, &row, &reason).await?;
            }
            Err(error) => {
                let jitter = rand::thread_rng().gen_range(0.5..=1.0);
                let wait = rapport_core::webhook::backoff_ms(
                    row.attempts as u32,
                    config.backoff_base.as_millis() as u64,
                    config.backoff_cap.as_millis() as u64,
                    jitter,
                );
                let reason = format!("will retry: {error}");
                queue::retry_later(db, &row, &config.node, &reason, now_ms() + wait as i64).await?;
            }
        }
        Ok(())
    }
}
