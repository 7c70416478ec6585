//! SPF, DKIM and DMARC checks of a received message (mail-auth), recorded with the message as
//! facts for the team, never used to refuse mail. DNS answers go through [`TxtCache`], a small
//! TTL cache that also lets a test publish a DKIM key without DNS. When DNS is unreachable the
//! results are `temperror`, which is a real result.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters, ResolverCache, Txt};
use serde_json::{json, Value};

/// Entries kept at most; the oldest expire first and a full cache is cleared.
const MAX_ENTRIES: usize = 10_000;

/// TXT answers by name (`selector._domainkey.example.com.`), until they expire.
#[derive(Default)]
pub struct TxtCache(Mutex<HashMap<String, (Txt, Instant)>>);

impl TxtCache {
    /// Publishes a DKIM key record (`v=DKIM1; k=ed25519; p=…`) for `selector._domainkey.domain`,
    /// as if DNS had answered it.
    pub fn publish_dkim_key(&self, selector: &str, domain: &str, record: &str, ttl: Duration) -> Result<(), String> {
        let key = DomainKey::parse(record.as_bytes()).map_err(|e| e.to_string())?;
        let name = format!("{selector}._domainkey.{}.", domain.trim_end_matches('.'));
        self.insert(name, Txt::from(key), Instant::now() + ttl);
        Ok(())
    }

    /// Publishes an SPF record (`v=spf1 …`) for `domain`.
    pub fn publish_spf(&self, domain: &str, record: &str, ttl: Duration) -> Result<(), String> {
        let spf = mail_auth::spf::Spf::parse(record.as_bytes()).map_err(|e| e.to_string())?;
        self.insert(format!("{}.", domain.trim_end_matches('.')), Txt::from(spf), Instant::now() + ttl);
        Ok(())
    }

    /// Publishes a DMARC record (`v=DMARC1; p=…`) for `domain`.
    pub fn publish_dmarc(&self, domain: &str, record: &str, ttl: Duration) -> Result<(), String> {
        let dmarc = mail_auth::dmarc::Dmarc::parse(record.as_bytes()).map_err(|e| e.to_string())?;
        let name = format!("_dmarc.{}.", domain.trim_end_matches('.'));
        self.insert(name, Txt::from(dmarc), Instant::now() + ttl);
        Ok(())
    }
}

impl ResolverCache<String, Txt> for TxtCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(name) {
            Some((txt, until)) if *until > Instant::now() => Some(txt.clone()),
            Some(_) => {
                entries.remove(name);
                None
            }
            None => None,
        }
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(name).map(|(txt, _)| txt)
    }

    fn insert(&self, key: String, value: Txt, valid_until: Instant) {
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (value, valid_until));
    }
}

/// Who handed us the message: the connecting address and the name it greeted with.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub helo: String,
}

/// Checks messages; one per listener.
pub struct Verifier {
    authenticator: Option<MessageAuthenticator>,
    pub cache: TxtCache,
    hostname: String,
    timeout: Duration,
}

/// A result's keyword as Authentication-Results writes it (`pass`, `fail`, `temperror`, …),
/// without mail-auth's explanation after the `;`.
fn short(result: impl std::fmt::Display) -> String {
    let text = result.to_string().to_lowercase();
    text.split(';').next().unwrap_or("").replace(' ', "")
}

impl Verifier {
    /// Uses the system's DNS configuration; all checks of one message together take at most
    /// `timeout` (past it every result is `temperror`).
    pub fn new(hostname: &str, timeout: Duration) -> Verifier {
        let authenticator =
            MessageAuthenticator::new_system_conf().or_else(|_| MessageAuthenticator::new_cloudflare()).ok();
        if authenticator.is_none() {
            tracing::warn!("no DNS resolver: SPF, DKIM and DMARC results will be temperror");
        }
        Verifier { authenticator, cache: TxtCache::default(), hostname: hostname.to_string(), timeout }
    }

    /// `{"spf": …, "dkim": …, "dkim_domains": […], "dmarc": …}` for a raw message. Each check
    /// that has not finished by the deadline is `temperror`; the others keep their result.
    pub async fn check(&self, raw: &[u8], envelope_sender: &str, client: &Client) -> Value {
        let Some(authenticator) = &self.authenticator else {
            return json!({"spf": "temperror", "dkim": "temperror", "dkim_domains": [], "dmarc": "temperror"});
        };
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return json!({"spf": "none", "dkim": "permerror", "dkim_domains": [], "dmarc": "none"});
        };
        let deadline = tokio::time::Instant::now() + self.timeout;
        let dkim = tokio::time::timeout_at(
            deadline,
            authenticator.verify_dkim(Parameters::new(&message).with_txt_cache(&self.cache)),
        )
        .await
        .ok();
        let helo = if client.helo.is_empty() { "unknown" } else { client.helo.as_str() };
        let sender =
            if envelope_sender.is_empty() { format!("postmaster@{helo}") } else { envelope_sender.to_string() };
        let spf = tokio::time::timeout_at(
            deadline,
            authenticator.verify_spf(
                Parameters::new(SpfParameters::verify_mail_from(client.ip, helo, &self.hostname, &sender))
                    .with_txt_cache(&self.cache),
            ),
        )
        .await
        .ok();
        let mail_from_domain = sender.rsplit_once('@').map_or(helo, |(_, d)| d);
        let dmarc = match (&dkim, &spf) {
            (Some(dkim), Some(spf)) => tokio::time::timeout_at(
                deadline,
                authenticator.verify_dmarc(
                    Parameters::new(DmarcParameters::new(&message, dkim, mail_from_domain, spf))
                        .with_txt_cache(&self.cache),
                ),
            )
            .await
            .ok(),
            _ => None,
        };
        let dkim_result = match &dkim {
            None => "temperror".to_string(),
            // One passing signature authenticates the message.
            Some(all) if all.iter().any(|d| d.result() == &mail_auth::DkimResult::Pass) => "pass".to_string(),
            Some(all) => all.first().map_or("none".to_string(), |d| short(d.result())),
        };
        let domains: Vec<String> = dkim.iter().flatten().filter_map(|d| d.signature().map(|s| s.d.clone())).collect();
        let dmarc_result = match &dmarc {
            None => "temperror".to_string(),
            Some(d)
                if d.dkim_result() == &mail_auth::DmarcResult::Pass
                    || d.spf_result() == &mail_auth::DmarcResult::Pass =>
            {
                "pass".to_string()
            }
            // Neither identifier aligned and passed: fail when the domain publishes a policy or
            // an identifier failed, else what was learnt (no record is `none`, unreachable DNS
            // `temperror`).
            Some(d) => {
                let (dkim, spf) = (short(d.dkim_result()), short(d.spf_result()));
                if dkim == "fail" || spf == "fail" || (d.dmarc_record().is_some() && dkim == "none" && spf == "none") {
                    "fail".to_string()
                } else if dkim != "none" {
                    dkim
                } else {
                    spf
                }
            }
        };
        json!({
            "spf": spf.map_or("temperror".to_string(), |s| short(s.result())),
            "dkim": dkim_result,
            "dkim_domains": domains,
            "dmarc": dmarc_result,
        })
    }
}
