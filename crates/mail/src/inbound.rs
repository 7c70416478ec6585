//! The inbound SMTP listener: accepts mail for a workspace and stores it before answering 250.
//!
//! `command` parses lines and `session` holds the protocol's rules, both without IO; `listener`
//! drives them over TCP (and TLS after STARTTLS) with line, size, recipient and time limits;
//! `auth` records SPF, DKIM and DMARC. This file decides where mail goes and stores it through
//! `rapport_store::email::inbound`. Nothing here ever sends mail.

pub mod auth;
pub mod command;
mod listener;
pub mod session;
pub mod tls;

use rapport_core::ids::WorkspaceId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rapport_core::email::inbound as parse;
use rapport_store::email::inbound::{self as store, InboundRecord, Recipient};
use rapport_store::{Db, StoreError};
use sha2::{Digest, Sha256};

pub use listener::{serve, Listener};
use session::{Envelope, Reply};

/// How the listener behaves; [`InboundConfig::new`] gives the defaults.
#[derive(Clone)]
pub struct InboundConfig {
    /// The name the server greets with and the domain of `<app_id>@…` addresses, when set.
    pub inbound_domain: Option<String>,
    pub max_message_bytes: u64,
    pub max_recipients: usize,
    /// Longest command line, in bytes (RFC 5321 asks for at least 512).
    pub max_line_bytes: usize,
    /// How long the server waits for the next command or line of data.
    pub command_timeout: Duration,
    /// How long one connection may last in all.
    pub session_timeout: Duration,
    /// Commands refused in a row before the connection is closed.
    pub max_errors: u32,
    /// How long SPF, DKIM and DMARC checks of one message may take together.
    pub auth_timeout: Duration,
    /// Certificate and key for STARTTLS; plain text only without them.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Where attachments are stored (the same directory the HTTP API serves them from).
    pub attachments_dir: PathBuf,
}

/// Default largest message: 25 MB, as common providers accept.
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 25 * 1024 * 1024;

impl InboundConfig {
    pub fn new(attachments_dir: PathBuf) -> InboundConfig {
        InboundConfig {
            inbound_domain: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_recipients: 100,
            max_line_bytes: 4096,
            command_timeout: Duration::from_secs(300),
            session_timeout: Duration::from_secs(1800),
            max_errors: 20,
            auth_timeout: Duration::from_secs(10),
            tls: None,
            attachments_dir,
        }
    }

    fn hostname(&self) -> String {
        self.inbound_domain.clone().unwrap_or_else(|| "rapport.invalid".into())
    }
}

/// Where accepted mail goes: the database, the attachment files, the authentication checks.
pub struct Inbox {
    db: Db,
    config: InboundConfig,
    pub verifier: auth::Verifier,
}

impl Inbox {
    pub fn new(db: Db, config: InboundConfig) -> Inbox {
        let verifier = auth::Verifier::new(&config.hostname(), config.auth_timeout);
        Inbox { db, config, verifier }
    }

    /// The workspace an address leads to; an error is a temporary failure (451).
    async fn recipient(&self, address: &str) -> Result<Option<Recipient>, StoreError> {
        store::find_recipient(&self.db, address, self.config.inbound_domain.as_deref()).await
    }

    /// Stores a message for every workspace among its recipients and says how it went: 250
    /// only once everything is durable.
    async fn deliver(&self, envelope: &Envelope<Recipient>, raw: &[u8], client: &auth::Client) -> Reply {
        let email = match parse::parse(raw, &envelope.sender) {
            Ok(email) => email,
            Err(e) => return Reply::new(554, format!("5.6.0 Message refused: {e}")),
        };
        // One copy per workspace; a reply token, when any recipient has one, picks the thread.
        let mut targets: BTreeMap<WorkspaceId, Recipient> = BTreeMap::new();
        for (_, recipient) in &envelope.recipients {
            let entry = targets.entry(recipient.workspace_id).or_insert(*recipient);
            entry.conversation_id = entry.conversation_id.or(recipient.conversation_id);
        }
        let mut auth_results = self.verifier.check(raw, &envelope.sender, client).await;
        if let Some(kind) = email.automatic {
            auth_results["automatic"] = kind.as_str().into();
        }
        let record = InboundRecord {
            message_id: email.message_id.clone().unwrap_or_else(|| made_up_message_id(raw, &self.config.hostname())),
            in_reply_to: email.in_reply_to.clone(),
            reference_ids: email.references.join(" "),
            from_address: email.from.address.clone(),
            to_addresses: serde_json::to_string(&email.to).unwrap_or_else(|_| "[]".into()),
            subject: email.subject.clone(),
            raw: raw.to_vec(),
            auth_results: auth_results.to_string(),
            automatic: email.automatic,
        };
        for recipient in targets.into_values() {
            match store::receive(&self.db, &self.config.attachments_dir, recipient, &email, &record).await {
                Ok(received) => tracing::info!(
                    workspace_id = recipient.workspace_id.get(),
                    conversation_id = received.conversation_id.get(),
                    duplicate = received.duplicate,
                    "email received"
                ),
                Err(StoreError::Invalid(why) | StoreError::InvalidField { message: why, .. }) => {
                    return Reply::new(554, format!("5.6.0 Message refused: {why}"))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "storing an email failed");
                    return Reply::new(451, "4.3.0 Temporary failure storing the message, try again later");
                }
            }
        }
        Reply::new(250, "2.0.0 Message accepted")
    }
}

/// A stable id for a message without one, so a sender retrying it is recognised.
fn made_up_message_id(raw: &[u8], hostname: &str) -> String {
    let digest = Sha256::digest(raw);
    format!("rapport-{}@{hostname}", hex::encode(&digest[..16]))
}
