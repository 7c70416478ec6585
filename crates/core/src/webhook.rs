//! Webhooks, the pure part: which Intercom topic an event-log event is, which addresses a
//! webhook may never reach (SSRF), the `X-Hub-Signature`, and the retry schedule. The store keeps
//! subscriptions; the `rapport-webhooks` crate resolves, connects and posts.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;

use crate::conversation::{AuthorType, PartType};
use crate::event::EventKind;

/// The topics a subscription may name, in Intercom's spelling.
pub const TOPICS: &[&str] = &[
    "conversation.user.created",
    "conversation.user.replied",
    "conversation.admin.replied",
    "conversation.admin.assigned",
    "conversation.admin.closed",
    "conversation.admin.snoozed",
    "conversation.admin.opened",
    "conversation.admin.noted",
    "conversation.deleted",
    "contact.user.created",
    "contact.lead.created",
    "conversation.sla.at_risk",
    "conversation.sla.breached",
];

/// The topic of an event-log event (`kind` plus its payload), or `None` when no topic covers it.
pub fn topic_for(kind: EventKind, payload: &Value) -> Option<&'static str> {
    let author_is_admin = || {
        payload["part"]["author"]["type"]
            .as_str()
            .and_then(|a| a.parse::<AuthorType>().ok())
            .is_some_and(AuthorType::is_teammate)
    };
    match kind {
        EventKind::ConversationCreated if !author_is_admin() => Some("conversation.user.created"),
        EventKind::PartCreated => match payload["part"]["part_type"].as_str()?.parse::<PartType>().ok()? {
            PartType::Comment if author_is_admin() => Some("conversation.admin.replied"),
            PartType::Comment => Some("conversation.user.replied"),
            PartType::Note => Some("conversation.admin.noted"),
            PartType::Assignment => Some("conversation.admin.assigned"),
            PartType::Close => Some("conversation.admin.closed"),
            PartType::Open => Some("conversation.admin.opened"),
            PartType::Snoozed => Some("conversation.admin.snoozed"),
        },
        EventKind::ConversationDeleted => Some("conversation.deleted"),
        // Rapport's SLA events (Intercom has no SLA topics): the payload names the target.
        EventKind::SlaAtRisk => Some("conversation.sla.at_risk"),
        EventKind::SlaBreached => Some("conversation.sla.breached"),
        EventKind::ContactCreated => match payload["contact"]["role"].as_str()? {
            "lead" => Some("contact.lead.created"),
            _ => Some("contact.user.created"),
        },
        _ => None,
    }
}

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("url is not a valid absolute URL")]
    Invalid,
    #[error("url must use http or https")]
    Scheme,
    #[error("url must name a host")]
    NoHost,
    #[error("url must not carry a user name or password")]
    Credentials,
}

/// Checks a webhook URL's form (not where it resolves to): absolute, http(s), with a host and
/// without credentials.
pub fn parse_url(raw: &str) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(raw.trim()).map_err(|_| UrlError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    Ok(url)
}

/// Whether a webhook must never connect to `ip`: loopback, private (RFC 1918, fc00::/7),
/// link-local (169.254/16 with the cloud metadata address, fe80::/10), unspecified, multicast,
/// broadcast, CGNAT (100.64/10), documentation, benchmarking and reserved ranges. IPv4 written
/// inside IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
/// `2002::/16`) is judged by the IPv4 address it carries.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0                                   // "this network"
        || (a == 100 && (64..128).contains(&b))     // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0)           // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19))       // benchmarking 198.18/15
        || a >= 240 // reserved 240/4
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks) and NAT64 64:ff9b::/96.
    if segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified()
        || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        return forbidden_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return forbidden_v4(embedded_v4(segments[1], segments[2]));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only 100::/64
}

/// The `X-Hub-Signature` header value for `body`: `sha1=` and the hex HMAC-SHA1 under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before retry number `failures` (1 = after the first failure): `base_ms` doubled per
/// failure, capped at `cap_ms`, then scaled by `jitter` in [0.5, 1] so many subscribers that failed
/// together do not retry together.
pub fn backoff_ms(failures: u32, base_ms: u64, cap_ms: u64, jitter: f64) -> u64 {
    let doubled = base_ms.saturating_mul(1u64 << failures.saturating_sub(1).min(32));
    let capped = doubled.min(cap_ms) as f64;
    (capped * jitter.clamp(0.5, 1.0)) as u64
}

/// A GitHub issue URL (`https://github.com/owner/name/issues/42`) as `("owner/name", 42)`, the
/// repository in lower case (GitHub names are case-insensitive).
pub fn parse_github_issue(raw: &str) -> Option<(String, i64)> {
    let url = url::Url::parse(raw.trim()).ok()?;
    if url.scheme() != "https" || url.host_str()? != "github.com" {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let [owner, name, "issues", number] = segments.as_slice() else { return None };
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    (valid(owner) && valid(name)).then(|| (format!("{owner}/{name}").to_lowercase(), number))
}

/// Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) is the HMAC-SHA256 of `body` under
/// `secret`, compared in constant time.
pub fn github_signature_valid(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(Ok(given)) = header.strip_prefix("sha256=").map(hex::decode) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_v4_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "192.0.2.1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "100.63.255.255", "93.184.216.34"] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn private_and_special_v6_addresses_are_forbidden_including_v4_in_v6() {
        for ip in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "fec0::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::ffff:7f00:1",
            "::127.0.0.1",
            "::10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
            "2002:7f00:1::",
            "100::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
        for ip in
            ["2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]
        {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn urls_must_be_absolute_http_with_a_host_and_no_credentials() {
        assert!(parse_url("https://hooks.example.com/x?y=1").is_ok());
        assert!(parse_url(" http://example.com ").is_ok());
        assert_eq!(parse_url("ftp://example.com").unwrap_err(), UrlError::Scheme);
        assert_eq!(parse_url("file:///etc/passwd").unwrap_err(), UrlError::Scheme);
        assert_eq!(parse_url("/relative").unwrap_err(), UrlError::Invalid);
        assert_eq!(parse_url("http://user:pw@example.com").unwrap_err(), UrlError::Credentials);
        assert_eq!(parse_url("").unwrap_err(), UrlError::Invalid);
    }

    #[test]
    fn events_map_to_intercom_topics() {
        let part =
            |part_type: &str, author: &str| json!({"part": {"part_type": part_type, "author": {"type": author}}});
        assert_eq!(
            topic_for(EventKind::ConversationCreated, &part("comment", "user")),
            Some("conversation.user.created")
        );
        assert_eq!(
            topic_for(EventKind::ConversationCreated, &part("comment", "lead")),
            Some("conversation.user.created")
        );
        let cases = [
            ("comment", "user", "conversation.user.replied"),
            ("comment", "admin", "conversation.admin.replied"),
            ("note", "admin", "conversation.admin.noted"),
            ("assignment", "admin", "conversation.admin.assigned"),
            ("close", "admin", "conversation.admin.closed"),
            ("open", "admin", "conversation.admin.opened"),
            ("snoozed", "admin", "conversation.admin.snoozed"),
        ];
        for (part_type, author, topic) in cases {
            assert_eq!(topic_for(EventKind::PartCreated, &part(part_type, author)), Some(topic));
        }
        assert_eq!(
            topic_for(EventKind::ContactCreated, &json!({"contact": {"role": "lead"}})),
            Some("contact.lead.created")
        );
        assert_eq!(
            topic_for(EventKind::ContactCreated, &json!({"contact": {"role": "user"}})),
            Some("contact.user.created")
        );
        assert_eq!(topic_for(EventKind::ConversationRead, &json!({})), None);
        let sla = json!({"target": "first_response"});
        assert_eq!(topic_for(EventKind::SlaAtRisk, &sla), Some("conversation.sla.at_risk"));
        assert_eq!(topic_for(EventKind::SlaBreached, &sla), Some("conversation.sla.breached"));
        assert!(TOPICS.iter().all(|t| t.starts_with("conversation.") || t.starts_with("contact.")));
    }

    #[test]
    fn github_issue_urls_and_signatures() {
        assert_eq!(parse_github_issue("https://github.com/Acme/App/issues/42"), Some(("acme/app".into(), 42)));
        assert_eq!(parse_github_issue("https://github.com/acme/app/issues/42/"), Some(("acme/app".into(), 42)));
        for bad in [
            "http://github.com/a/b/issues/1",
            "https://gitlab.com/a/b/issues/1",
            "https://github.com/a/b/pull/1",
            "https://github.com/a/b/issues/0",
            "https://github.com/a/b/issues/x",
            "https://github.com/a/issues/1",
        ] {
            assert_eq!(parse_github_issue(bad), None, "{bad}");
        }
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(github_signature_valid("It's a Secret to Everybody", b"Hello, World!", header));
        assert!(!github_signature_valid("It's a Secret to Everybody", b"Hello, World?", header));
        assert!(!github_signature_valid("other", b"Hello, World!", header));
        assert!(!github_signature_valid("It's a Secret to Everybody", b"Hello, World!", "sha1=00"));
    }

    #[test]
    fn signature_matches_a_known_hmac_sha1() {
        // RFC 2202 test case 2.
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_down_to_half() {
        assert_eq!(backoff_ms(1, 100, 10_000, 1.0), 100);
        assert_eq!(backoff_ms(2, 100, 10_000, 1.0), 200);
        assert_eq!(backoff_ms(4, 100, 10_000, 1.0), 800);
        assert_eq!(backoff_ms(30, 100, 10_000, 1.0), 10_000);
        assert_eq!(backoff_ms(200, 100, 10_000, 0.5), 5_000);
        assert_eq!(backoff_ms(1, 100, 10_000, 0.0), 50);
    }
}
