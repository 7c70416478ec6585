//! A composed reply ([`rapport_core::email::outbound::Composed`]) as a MIME message
//! (multipart/alternative: text and HTML), optionally DKIM-signed.
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use rapport_core::email::outbound::Composed;

/// `Auto-Submitted` (RFC 3834), which lettre does not define.
#[derive(Debug, Clone)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The headers a DKIM signature covers, those that are present. (The multipart `Content-Type`
/// is written by lettre after signing, so it cannot be covered; the body hash covers the parts.)
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "MIME-Version",
];

/// DKIM signing for the sender's domain: `d=` the From address's domain, `s=` the selector.
pub struct Dkim {
    selector: String,
    domain: String,
    /// The PKCS#1 PEM; parsed per message because lettre's key is not `Clone`.
    private_key_pem: String,
}

impl std::fmt::Debug for Dkim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dkim").field("selector", &self.selector).field("domain", &self.domain).finish()
    }
}

impl Dkim {
    /// Checks the key once at start-up: an RSA private key in PKCS#1 PEM
    /// (`-----BEGIN RSA PRIVATE KEY-----`, e.g. `openssl genrsa -traditional 2048`).
    pub fn new(selector: &str, domain: &str, private_key_pem: &str) -> Result<Dkim, String> {
        let selector = selector.trim();
        let valid_selector =
            !selector.is_empty() && selector.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid_selector {
            return Err(format!("--dkim-selector {selector:?} is not a valid DNS label"));
        }
        if private_key_pem.contains("BEGIN PRIVATE KEY") {
            return Err("--dkim-private-key is PKCS#8; convert it with `openssl rsa -in key.pem -traditional`".into());
        }
        DkimSigningKey::new(private_key_pem, DkimSigningAlgorithm::Rsa)
            .map_err(|e| format!("--dkim-private-key is not an RSA private key in PKCS#1 PEM: {e:?}"))?;
        Ok(Dkim { selector: selector.to_string(), domain: domain.to_string(), private_key_pem: private_key_pem.into() })
    }

    fn sign(&self, message: &mut Message) -> Result<(), String> {
        let key = DkimSigningKey::new(&self.private_key_pem, DkimSigningAlgorithm::Rsa)
            .map_err(|e| format!("DKIM key: {e:?}"))?;
        let headers = SIGNED_HEADERS.iter().copied().map(HeaderName::new_from_ascii_str).collect();
        let canonicalization =
            DkimCanonicalization { header: DkimCanonicalizationType::Relaxed, body: DkimCanonicalizationType::Relaxed };
        let config = DkimConfig::new(self.selector.clone(), self.domain.clone(), key, headers, canonicalization);
        message.sign(&config);
        Ok(())
    }
}

fn mailbox(name: Option<&str>, address: &str, what: &str) -> Result<Mailbox, String> {
    let address = address.parse().map_err(|e| format!("{what} address {address:?} is not valid: {e}"))?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// Builds the MIME message. An error is about the data (an unusable address) and will not go
/// away by retrying.
pub fn build(composed: &Composed, dkim: Option<&Dkim>) -> Result<Message, String> {
    let mut builder = Message::builder()
        .from(mailbox(Some(&composed.from_name), &composed.from_address, "from")?)
        .reply_to(mailbox(None, &composed.reply_to, "reply-to")?)
        .to(mailbox(None, &composed.to_address, "the contact's")?)
        .subject(composed.subject.clone())
        .message_id(Some(format!("<{}>", composed.message_id)))
        .date_now();
    if let Some(parent) = &composed.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !composed.references.is_empty() {
        let references: Vec<String> = composed.references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(references.join(" "));
    }
    if let Some(value) = composed.auto_submitted {
        builder = builder.header(AutoSubmitted(value.to_string()));
    }
    let mut message = builder
        .multipart(MultiPart::alternative_plain_html(composed.text.clone(), composed.html.clone()))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    if let Some(dkim) = dkim {
        dkim.sign(&mut message)?;
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composed() -> Composed {
        Composed {
            from_name: "Alice at Acme".into(),
            from_address: "support@acme.test".into(),
            to_address: "bob@client.test".into(),
            reply_to: "app1+c1-0123@acme.test".into(),
            subject: "Re: Help".into(),
            message_id: "r1@acme.test".into(),
            in_reply_to: Some("m2@client.test".into()),
            references: vec!["m1@client.test".into(), "m2@client.test".into()],
            auto_submitted: Some("auto-replied"),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
        }
    }

    #[test]
    fn the_message_carries_the_threading_headers_and_both_parts() {
        let raw = String::from_utf8(build(&composed(), None).unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <r1@acme.test>"), "{raw}");
        assert!(raw.contains("In-Reply-To: <m2@client.test>"));
        assert!(raw.contains("References: <m1@client.test> <m2@client.test>"));
        assert!(raw.contains("Reply-To: app1+c1-0123@acme.test"));
        assert!(raw.contains("Auto-Submitted: auto-replied"));
        assert!(raw.contains("From: \"Alice at Acme\" <support@acme.test>"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        let manual = Composed { auto_submitted: None, in_reply_to: None, references: vec![], ..composed() };
        let raw = String::from_utf8(build(&manual, None).unwrap().formatted()).unwrap();
        assert!(!raw.contains("Auto-Submitted") && !raw.contains("In-Reply-To") && !raw.contains("References"));
    }

    #[test]
    fn an_unusable_address_is_an_error() {
        let bad = Composed { to_address: "not an address".into(), ..composed() };
        assert!(build(&bad, None).unwrap_err().contains("not valid"));
    }

    #[test]
    fn dkim_keys_are_checked_at_start() {
        assert!(Dkim::new("s1", "acme.test", "nonsense").is_err());
        assert!(Dkim::new("bad selector", "acme.test", "nonsense").unwrap_err().contains("selector"));
        assert!(Dkim::new("s1", "acme.test", "-----BEGIN PRIVATE KEY-----\n").unwrap_err().contains("PKCS#8"));
    }
}
