//! `rapport serve`'s outbound email options: the SMTP relay that teammates' replies to email
//! conversations go through, the sender address and DKIM signing. Without `--smtp-relay` no
//! email is sent (replies stay queued and go out once a relay is configured).
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use rapport_mail::outbound::{Config, Dkim, Relay, Sender, TlsMode};

/// A secret option: shown as `***` by `Debug`, so it cannot reach a log.
#[derive(Clone)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[derive(Args, Debug)]
pub struct OutboundEmailArgs {
    /// The SMTP relay replies to email conversations go through: `smtp://host:port` (STARTTLS
    /// per `--smtp-relay-tls`) or `smtps://host:port` (TLS from the start). Unset: no email is sent.
    #[arg(long, env = "RAPPORT_SMTP_RELAY")]
    pub smtp_relay: Option<String>,
    /// The relay's user name (AUTH PLAIN/LOGIN); needs `--smtp-relay-password`.
    #[arg(long, env = "RAPPORT_SMTP_RELAY_USERNAME")]
    pub smtp_relay_username: Option<String>,
    /// The relay's password. Prefer the environment variable; it is never logged.
    #[arg(long, env = "RAPPORT_SMTP_RELAY_PASSWORD", hide_env_values = true)]
    pub smtp_relay_password: Option<Secret>,
    /// STARTTLS on an `smtp://` relay: `required` (no delivery without it), `opportunistic`
    /// (when offered) or `off` (a trusted local relay).
    #[arg(long, env = "RAPPORT_SMTP_RELAY_TLS", default_value = "required",
          value_parser = ["off", "opportunistic", "required"])]
    pub smtp_relay_tls: String,
    /// The sender address of every reply (e.g. `support@<inbound domain>`); the From name is
    /// "`<teammate>` at `<workspace>`". Its domain is also the Reply-To domain
    /// (`<app_id>+<reply token>@domain`, which must reach the inbound listener) and the
    /// Message-ID domain.
    #[arg(long, env = "RAPPORT_SMTP_FROM_ADDRESS")]
    pub smtp_from_address: Option<String>,
    /// DKIM selector (the key is published at `<selector>._domainkey.<from domain>`); needs
    /// `--dkim-private-key`.
    #[arg(long, env = "RAPPORT_DKIM_SELECTOR")]
    pub dkim_selector: Option<String>,
    /// DKIM private key: an RSA key in PKCS#1 PEM (`openssl genrsa -traditional 2048`).
    #[arg(long, env = "RAPPORT_DKIM_PRIVATE_KEY")]
    pub dkim_private_key: Option<PathBuf>,
    /// Attempts after which a reply the relay keeps deferring (4xx, no connection) is marked failed.
    #[arg(long, env = "RAPPORT_SMTP_MAX_ATTEMPTS", default_value_t = 12)]
    pub smtp_max_attempts: i64,
    /// The first retry's delay in milliseconds, doubled per attempt up to an hour.
    #[arg(long, env = "RAPPORT_SMTP_RETRY_BASE_MS", default_value_t = 30_000)]
    pub smtp_retry_base_ms: u64,
}

impl OutboundEmailArgs {
    /// The sender, when a relay is configured; a bad option stops the server with its reason.
    /// Reply-To addresses use `inbound_domain` when the listener has one (so customers' replies
    /// come back to it), else the from-address's domain.
    pub fn sender(&self, inbound_domain: Option<&str>) -> anyhow::Result<Option<Sender>> {
        let Some(url) = &self.smtp_relay else {
            if self.smtp_from_address.is_some() || self.dkim_selector.is_some() {
                bail!("--smtp-from-address and --dkim-* need --smtp-relay");
            }
            return Ok(None);
        };
        let tls: TlsMode = self.smtp_relay_tls.parse().map_err(anyhow::Error::msg)?;
        let password = self.smtp_relay_password.clone().map(|s| s.0);
        let relay = Relay::parse(url, tls, self.smtp_relay_username.clone(), password).map_err(anyhow::Error::msg)?;
        let Some(from) = &self.smtp_from_address else {
            bail!("--smtp-relay needs --smtp-from-address (e.g. support@mail.example.com)");
        };
        let mut config = Config::new(relay, from).map_err(anyhow::Error::msg)?;
        if let Some(domain) = inbound_domain.map(str::trim).filter(|d| !d.is_empty()) {
            config.reply_domain = domain.to_ascii_lowercase();
        }
        if self.smtp_max_attempts < 1 {
            bail!("--smtp-max-attempts must be at least 1");
        }
        config.max_attempts = self.smtp_max_attempts;
        config.backoff_base = std::time::Duration::from_millis(self.smtp_retry_base_ms.max(1));
        config.dkim = match (&self.dkim_selector, &self.dkim_private_key) {
            (Some(selector), Some(path)) => {
                let pem = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --dkim-private-key {}", path.display()))?;
                Some(Dkim::new(selector, &config.message_id_domain, &pem).map_err(anyhow::Error::msg)?)
            }
            (None, None) => None,
            _ => bail!("--dkim-selector and --dkim-private-key go together"),
        };
        Ok(Some(Sender::new(config).map_err(anyhow::Error::msg)?))
    }
}
