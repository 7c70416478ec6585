//! The config file: a TOML table whose keys are the long flag names with `_` for `-`
//! (`database_url = "postgres://…"`, `listen = "0.0.0.0:8080"`). Each key becomes the default of
//! its `RAPPORT_<KEY>` environment variable, so flags and the environment still win.
use anyhow::{bail, Context};

/// Keys the config file may set.
const KEYS: &[&str] = &[
    "database_url",
    "listen",
    "public_url",
    "api_calls_per_minute",
    "secure_cookies",
    "max_body_bytes",
    "data_dir",
    "log",
    "bus",
    "live_poll_ms",
    "allow_private_webhooks",
    "webhook_pause_after",
    "github_webhook_secret",
    "smtp_listen",
    "smtp_max_message_bytes",
    "smtp_tls_cert",
    "smtp_tls_key",
    "smtp_auth_timeout_ms",
    "inbound_domain",
    "smtp_relay",
    "smtp_relay_username",
    "smtp_relay_password",
    "smtp_relay_tls",
    "smtp_from_address",
    "dkim_selector",
    "dkim_private_key",
    "smtp_max_attempts",
    "smtp_retry_base_ms",
];

pub fn load_config_file_into_env() -> anyhow::Result<()> {
    let path = explicit_config_path().or_else(|| std::env::var("RAPPORT_CONFIG").ok());
    let Some(path) = path else { return Ok(()) };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read config file {path}"))?;
    let table: toml::Table = text.parse().with_context(|| format!("config file {path} is not valid TOML"))?;
    for (key, value) in table {
        if !KEYS.contains(&key.as_str()) {
            bail!("config file {path}: unknown key {key:?} (known: {})", KEYS.join(", "));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!("config file {path}: {key} must be a string, integer or boolean, not {other}"),
        };
        let var = format!("RAPPORT_{}", key.to_uppercase());
        if std::env::var_os(&var).is_none() {
            // Runs before the runtime starts: no other thread reads the environment yet.
            std::env::set_var(var, value);
        }
    }
    Ok(())
}

/// `--config PATH` or `--config=PATH` on the command line (read before clap parses the rest).
fn explicit_config_path() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next();
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(path.to_string());
        }
    }
    None
}
