//! The SMTP relay replies go through: parsed from `--smtp-relay` and its options, and turned into
//! lettre's pooled async transport.
use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// STARTTLS on a `smtp://` relay (an `smtps://` relay is TLS from the first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text only: a trusted relay on the same host or network.
    Off,
    /// STARTTLS when the relay offers it, plain text otherwise.
    Opportunistic,
    /// STARTTLS or no delivery (the default).
    Required,
}

impl std::str::FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(TlsMode::Off),
            "opportunistic" => Ok(TlsMode::Opportunistic),
            "required" => Ok(TlsMode::Required),
            other => Err(format!("unknown TLS mode {other:?} (off, opportunistic or required)")),
        }
    }
}

/// Where and how to reach the relay. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    /// `smtps://`: TLS from the first byte (port 465 by default).
    pub implicit_tls: bool,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("implicit_tls", &self.implicit_tls)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Display for Relay {
    /// The relay as logs show it: scheme, host and port, no credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.implicit_tls { "smtps" } else { "smtp" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

impl Relay {
    /// Parses `smtp://host[:port]` (port 25 by default; 587 is the usual submission port) or
    /// `smtps://host[:port]` (465). Credentials come from their own options, never the URL, so
    /// the URL can be logged.
    pub fn parse(url: &str, tls: TlsMode, username: Option<String>, password: Option<String>) -> Result<Relay, String> {
        let (implicit_tls, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (false, rest)
        } else {
            return Err(format!("--smtp-relay must start with smtp:// or smtps://, not {url:?}"));
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('@') {
            return Err("--smtp-relay must not carry credentials: use --smtp-relay-username/-password".into());
        }
        if rest.contains('/') || rest.contains('?') {
            return Err(format!("--smtp-relay takes a host and port only, not {url:?}"));
        }
        let default_port = if implicit_tls { 465 } else { 25 };
        let (host, port) = match rest.rsplit_once(':') {
            // `[::1]:2525` or `host:2525`; a bare IPv6 address has more colons than that.
            Some((host, port)) if !host.contains(':') || host.ends_with(']') => {
                let port = port.parse::<u16>().map_err(|_| format!("--smtp-relay: bad port {port:?}"))?;
                (host, port)
            }
            _ => (rest, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(format!("--smtp-relay needs a host and port, not {url:?}"));
        }
        if username.is_some() != password.is_some() {
            return Err("--smtp-relay-username and --smtp-relay-password go together".into());
        }
        Ok(Relay { host: host.to_string(), port, implicit_tls, tls, username, password })
    }

    /// A pooled transport to the relay; each command waits at most `timeout`. Needs a Tokio
    /// runtime (the pool runs a task).
    pub fn transport(&self, timeout: Duration) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let parameters = || TlsParameters::new(self.host.clone()).map_err(|e| format!("TLS setup: {e}"));
        let tls = if self.implicit_tls {
            Tls::Wrapper(parameters()?)
        } else {
            match self.tls {
                TlsMode::Off => Tls::None,
                TlsMode::Opportunistic => Tls::Opportunistic(parameters()?),
                TlsMode::Required => Tls::Required(parameters()?),
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls() {
        let relay = Relay::parse("smtp://127.0.0.1:2525", TlsMode::Off, None, None).unwrap();
        assert_eq!((relay.host.as_str(), relay.port, relay.implicit_tls), ("127.0.0.1", 2525, false));
        let relay = Relay::parse("smtps://mail.example.com", TlsMode::Off, None, None).unwrap();
        assert_eq!((relay.port, relay.implicit_tls), (465, true));
        assert_eq!(Relay::parse("smtp://relay.test/", TlsMode::Required, None, None).unwrap().port, 25);
        let relay = Relay::parse("smtp://[::1]:2525", TlsMode::Off, None, None).unwrap();
        assert_eq!((relay.host.as_str(), relay.port), ("::1", 2525));
        for bad in ["http://x", "smtp://", "smtp://u:p@host:25", "smtp://host:x", "smtp://host:0", "smtp://h/path"] {
            assert!(Relay::parse(bad, TlsMode::Off, None, None).is_err(), "{bad}");
        }
        assert!(Relay::parse("smtp://h", TlsMode::Off, Some("u".into()), None).is_err());
        assert_eq!("opportunistic".parse::<TlsMode>(), Ok(TlsMode::Opportunistic));
        assert!("on".parse::<TlsMode>().is_err());
    }

    #[tokio::test]
    async fn the_password_never_shows() {
        let relay =
            Relay::parse("smtp://relay.test:587", TlsMode::Required, Some("me".into()), Some("s3cret".into())).unwrap();
        assert!(!format!("{relay:?}").contains("s3cret"));
        assert_eq!(relay.to_string(), "smtp://relay.test:587");
        assert!(relay.transport(Duration::from_secs(5)).is_ok());
    }
}
