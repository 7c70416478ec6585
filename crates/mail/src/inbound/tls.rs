//! The STARTTLS certificate: PEM files read once at start-up into a rustls server config.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_rustls::rustls::{self, ServerConfig};

/// Reads a PEM certificate chain and its PEM private key.
pub fn load(cert_path: &Path, key_path: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let cert_pem = std::fs::read(cert_path).with_context(|| format!("cannot read {}", cert_path.display()))?;
    let key_pem = std::fs::read(key_path).with_context(|| format!("cannot read {}", key_path.display()))?;
    from_pem(&cert_pem, &key_pem)
}

/// Builds the server config from PEM bytes (TLS 1.2 and 1.3, ring's algorithms).
pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<Arc<ServerConfig>> {
    let certs =
        rustls_pemfile::certs(&mut &cert_pem[..]).collect::<Result<Vec<_>, _>>().context("bad certificate PEM")?;
    anyhow::ensure!(!certs.is_empty(), "the certificate file holds no certificate");
    let key = rustls_pemfile::private_key(&mut &key_pem[..])
        .context("bad private key PEM")?
        .context("the key file holds no private key")?;
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not fit together")?;
    Ok(Arc::new(config))
}
