//! `rapport serve`: migrate, optionally seed the demo, then serve HTTP until SIGINT/SIGTERM.
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use rapport_http::{AppState, HttpConfig};

use crate::cli::DbArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "RAPPORT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Base URL clients use to reach this server (defaults to http:// followed by the listen address).
    #[arg(long, env = "RAPPORT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seed a demo workspace when the database has none, and print how to sign in.
    #[arg(long, env = "RAPPORT_DEMO")]
    pub demo: bool,
    /// API calls allowed per minute per credential.
    #[arg(long, env = "RAPPORT_API_CALLS_PER_MINUTE", default_value_t = 10_000)]
    pub api_calls_per_minute: u32,
    /// Messenger calls (`/messenger/…`: boot, messages, uploads, sockets) allowed per minute per
    /// client IP.
    #[arg(long, env = "RAPPORT_MESSENGER_CALLS_PER_MINUTE_PER_IP", default_value_t = 600)]
    pub messenger_calls_per_minute_per_ip: u32,
    /// Messenger calls allowed per minute per app_id (all of a workspace's visitors together).
    #[arg(long, env = "RAPPORT_MESSENGER_CALLS_PER_MINUTE_PER_APP", default_value_t = 60_000)]
    pub messenger_calls_per_minute_per_app: u32,
    /// Behind a reverse proxy: the header it puts the client's IP in (`X-Forwarded-For`, whose
    /// last entry counts, or `X-Real-IP`). Leave unset otherwise: the header is then ignored.
    #[arg(long, env = "RAPPORT_TRUSTED_CLIENT_IP_HEADER")]
    pub trusted_client_ip_header: Option<String>,
    /// Mark cookies Secure (use behind HTTPS).
    #[arg(long, env = "RAPPORT_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "RAPPORT_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Directory for stored files (attachments go in `<data-dir>/attachments`); defaults to the
    /// SQLite file's directory, or ./rapport-data with PostgreSQL. Keep it outside any web root.
    #[arg(long, env = "RAPPORT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The bus between nodes: empty for a single node (in process), or `nats://host:port`.
    #[arg(long, env = "RAPPORT_BUS", default_value = "")]
    pub bus: String,
    /// How often each node re-reads the event log of workspaces with open sockets, in
    /// milliseconds: the safety net for lost bus messages.
    #[arg(long, env = "RAPPORT_LIVE_POLL_MS", default_value_t = 1000)]
    pub live_poll_ms: u64,
    /// How often each node repeats its teammates' presence on the bus, in milliseconds; a node
    /// silent for three heartbeats no longer keeps anyone online.
    #[arg(long, env = "RAPPORT_PRESENCE_HEARTBEAT_MS", default_value_t = 10_000)]
    pub presence_heartbeat_ms: u64,
    /// Let webhook URLs reach loopback, private and link-local addresses (tests, local setups);
    /// refused by default, on create and again at every delivery.
    #[arg(long, env = "RAPPORT_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// Failures in a row after which a webhook subscription pauses until resumed.
    #[arg(long, env = "RAPPORT_WEBHOOK_PAUSE_AFTER", default_value_t = 10)]
    pub webhook_pause_after: i64,
    /// The secret of the GitHub webhook at `POST /github/webhook` (closing a linked issue reopens
    /// its conversations); unset turns the endpoint off.
    #[arg(long, env = "RAPPORT_GITHUB_WEBHOOK_SECRET")]
    pub github_webhook_secret: Option<String>,
    /// Address of the inbound SMTP listener (`127.0.0.1:2525`); no listener unless given.
    #[arg(long, env = "RAPPORT_SMTP_LISTEN")]
    pub smtp_listen: Option<String>,
    /// Largest message the SMTP listener accepts, in bytes (announced as SIZE; 552 beyond).
    #[arg(long, env = "RAPPORT_SMTP_MAX_MESSAGE_BYTES", default_value_t = rapport_mail::inbound::DEFAULT_MAX_MESSAGE_BYTES)]
    pub smtp_max_message_bytes: u64,
    /// PEM certificate chain for STARTTLS on the SMTP listener (with `--smtp-tls-key`).
    #[arg(long, env = "RAPPORT_SMTP_TLS_CERT", requires = "smtp_tls_key")]
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key of `--smtp-tls-cert`.
    #[arg(long, env = "RAPPORT_SMTP_TLS_KEY", requires = "smtp_tls_cert")]
    pub smtp_tls_key: Option<PathBuf>,
    /// How long SPF, DKIM and DMARC checks of one received message may take, in milliseconds
    /// (unreachable DNS then records `temperror`).
    #[arg(long, env = "RAPPORT_SMTP_AUTH_TIMEOUT_MS", default_value_t = 5000)]
    pub smtp_auth_timeout_ms: u64,
    #[command(flatten)]
    pub inbound: crate::cli::InboundDomainArg,
    #[command(flatten)]
    pub outbound_email: Box<crate::outbound_email::OutboundEmailArgs>,
}

/// The data directory: the flag, else the SQLite file's directory, else ./rapport-data.
fn data_dir(flag: Option<&Path>, database_url: &str) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .filter(|p| !p.starts_with(":memory:"));
    let file = sqlite_file.map(|p| PathBuf::from(p.split('?').next().unwrap_or(p)));
    match file.as_ref().and_then(|f| f.parent()) {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => PathBuf::from("./rapport-data"),
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Raised before any socket is open; reported on stderr (the log) after the first line of
    // stdout, the address, which scripts and tests read.
    let open_files = crate::open_files::raise();
    let email_sender = args.outbound_email.sender(args.inbound.inbound_domain.as_deref())?;
    let db = args.db.open().await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
    if args.demo {
        crate::demo::seed_if_empty(&db, &public_url).await?;
    }
    // Keep the query planner's statistics in step with the data (a no-op on PostgreSQL).
    let planner_db = db.clone();
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            if let Err(e) = planner_db.optimize().await {
                tracing::warn!(error = %e, "refreshing planner statistics failed");
            }
        }
    });
    let attachments_dir = data_dir(args.data_dir.as_deref(), &args.db.database_url).join("attachments");
    tokio::spawn(sweep_unsent_uploads(db.clone(), attachments_dir.clone()));
    tokio::spawn(sweep_slas(db.clone()));
    tokio::spawn(sweep_overdue_rules(db.clone()));
    if let Some(smtp_listen) = &args.smtp_listen {
        start_smtp(&args, smtp_listen, db.clone(), attachments_dir.clone()).await?;
    }
    let config = HttpConfig {
        public_url: public_url.clone(),
        api_calls_per_minute: args.api_calls_per_minute,
        secure_cookies: args.secure_cookies,
        max_body_bytes: args.max_body_bytes,
        attachments_dir,
        live_poll_interval: std::time::Duration::from_millis(args.live_poll_ms),
        presence_heartbeat: std::time::Duration::from_millis(args.presence_heartbeat_ms),
        messenger_calls_per_minute_per_ip: args.messenger_calls_per_minute_per_ip,
        messenger_calls_per_minute_per_app: args.messenger_calls_per_minute_per_app,
        trusted_client_ip_header: args.trusted_client_ip_header.clone(),
        allow_private_webhooks: args.allow_private_webhooks,
        github_webhook_secret: args.github_webhook_secret.clone(),
        ..HttpConfig::default()
    };
    let webhooks = rapport_webhooks::Config {
        allow_private: args.allow_private_webhooks,
        pause_after: args.webhook_pause_after,
        public_url: public_url.to_string(),
        ..rapport_webhooks::Config::default()
    };
    tokio::spawn(rapport_webhooks::run(db.clone(), webhooks));
    if let Some(sender) = email_sender {
        tokio::spawn(sender.run(db.clone()));
    }
    let bus = rapport_bus::Bus::connect(&args.bus).await?;
    if bus.is_shared() {
        tracing::info!(node = bus.node_id(), "bus: NATS");
    }
    let app = rapport_http::router(AppState::with_bus(db.clone(), config, bus));
    println!("Rapport is listening on {public_url}");
    match open_files {
        Some(limits) if limits.is_low() => tracing::warn!(
            soft = limits.soft,
            hard = limits.hard,
            "{} is low: each socket holds one; raise the hard limit (systemd LimitNOFILE, \
             container --ulimit nofile), see docs/REALTIME.md",
            limits.describe()
        ),
        Some(limits) => tracing::info!(soft = limits.soft, hard = limits.hard, "{}", limits.describe()),
        None => tracing::warn!("could not read the open files limit"),
    }
    tracing::info!(%address, "listening");
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.context("server error")?;
    db.close().await;
    Ok(())
}

/// Binds the inbound SMTP listener and serves it in the background.
async fn start_smtp(
    args: &ServeArgs,
    address: &str,
    db: rapport_store::Db,
    attachments_dir: PathBuf,
) -> anyhow::Result<()> {
    let mut config = rapport_mail::inbound::InboundConfig::new(attachments_dir);
    config.inbound_domain = args.inbound.inbound_domain.clone();
    config.max_message_bytes = args.smtp_max_message_bytes;
    config.auth_timeout = std::time::Duration::from_millis(args.smtp_auth_timeout_ms);
    if let (Some(cert), Some(key)) = (&args.smtp_tls_cert, &args.smtp_tls_key) {
        config.tls = Some(rapport_mail::inbound::tls::load(cert, key).context("cannot load the SMTP TLS certificate")?);
    }
    let listener = rapport_mail::inbound::Listener::bind(address)
        .await
        .with_context(|| format!("cannot listen for SMTP on {address}"))?;
    let bound = listener.local_addr()?;
    println!("Rapport receives mail on smtp://{bound}");
    tracing::info!(address = %bound, tls = config.tls.is_some(), "SMTP listening");
    let inbox = std::sync::Arc::new(rapport_mail::inbound::Inbox::new(db, config));
    tokio::spawn(rapport_mail::inbound::serve(listener, inbox));
    Ok(())
}

/// How long an upload may wait to be sent with a message before the sweep deletes it.
const UNSENT_UPLOAD_GRACE_SECONDS: i64 = 24 * 3600;

/// Every hour, deletes uploads (row and file) that no message claimed within the grace period.
async fn sweep_unsent_uploads(db: rapport_store::Db, dir: PathBuf) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let cutoff = rapport_store::now() - UNSENT_UPLOAD_GRACE_SECONDS;
        match rapport_store::attachments::delete_unsent(&db, &dir, cutoff).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted unsent uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping unsent uploads failed"),
        }
    }
}

/// Every few seconds, runs the assignment rules of new conversations whose first run failed (see
/// `rapport_store::routing::run_overdue`).
async fn sweep_overdue_rules(db: rapport_store::Db) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(SLA_SWEEP_SECONDS));
    loop {
        tick.tick().await;
        if let Err(e) = rapport_store::routing::run_overdue(&db, rapport_store::now(), 100).await {
            tracing::warn!(error = %e, "running overdue assignment rules failed");
        }
    }
}

/// How often the SLA sweep looks for conversations whose SLA may have changed state.
const SLA_SWEEP_SECONDS: u64 = 5;

/// Every few seconds, evaluates the SLAs whose next at-risk or breach instant has come (emitting
/// `sla.at_risk` / `sla.breached`; safe with several nodes, see `rapport_store::sla`).
async fn sweep_slas(db: rapport_store::Db) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(SLA_SWEEP_SECONDS));
    loop {
        tick.tick().await;
        // Batches of 500 until nothing more is due.
        loop {
            match rapport_store::sla::sweep(&db, rapport_store::now(), 500).await {
                Ok(500) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "sweeping SLAs failed");
                    break;
                }
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_directory_defaults_next_to_the_sqlite_file() {
        assert_eq!(data_dir(Some(Path::new("/srv/rapport")), "sqlite://x.db"), PathBuf::from("/srv/rapport"));
        assert_eq!(data_dir(None, "sqlite:///var/lib/rapport/rapport.db?mode=rwc"), PathBuf::from("/var/lib/rapport"));
        assert_eq!(data_dir(None, "sqlite://./rapport-data/rapport.db"), PathBuf::from("./rapport-data"));
        assert_eq!(data_dir(None, "sqlite://rapport.db"), PathBuf::from("."));
        assert_eq!(data_dir(None, "sqlite::memory:"), PathBuf::from("./rapport-data"));
        assert_eq!(data_dir(None, "postgres://db/rapport"), PathBuf::from("./rapport-data"));
    }
}
