//! Reading a received email, without IO: the threading headers, the sender, the body to show
//! (plain text preferred, HTML sanitized, quoted history and signature trimmed), the attachments,
//! and whether a machine sent it (auto-replies and bounces must never start a reply storm).
//! The raw message is kept elsewhere untouched; everything here is only what the inbox shows.

mod automatic;
mod trim;

pub use automatic::{automatic, Automatic};
pub use trim::{trim_html, trim_text};

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};

/// Most threading ids kept from `References` (the newest ones): enough to find any thread.
pub const MAX_REFERENCES: usize = 50;
/// Longest Message-ID kept; a longer one is replaced by a generated id.
pub const MAX_MESSAGE_ID_LEN: usize = 250;
/// Longest subject kept, in characters.
pub const MAX_SUBJECT_CHARS: usize = 500;
/// Longest display body kept, in bytes (the raw message keeps everything).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a message cannot become a conversation message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the message could not be parsed as MIME")]
    Unparseable,
    #[error("the message has no sender address (From)")]
    NoSender,
}

/// A sender or recipient: the address (lowercased domain kept as written) and a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

/// An attached file as received; whether it is accepted is `core::attachment::accept`'s call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAttachment {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// What the inbox needs from a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// Without angle brackets; `None` when the message has none (the caller makes one up).
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Oldest first, at most [`MAX_REFERENCES`].
    pub references: Vec<String>,
    pub from: Mailbox,
    pub to: Vec<String>,
    pub subject: String,
    /// The trimmed message as HTML, like every part body: the text part escaped into paragraphs
    /// when there is one, else the sanitized HTML part.
    pub body: String,
    pub attachments: Vec<ReceivedAttachment>,
    /// Set when a machine wrote it (auto-reply, bounce, list mail).
    pub automatic: Option<Automatic>,
}

impl InboundEmail {
    /// Every Message-ID this message answers, the most specific first (In-Reply-To, then the
    /// References from newest to oldest), without repeats.
    pub fn thread_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.in_reply_to.iter().map(String::as_str).chain(self.references.iter().rev().map(String::as_str)) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// Strips angle brackets and whitespace; refuses empty, overlong or control-character ids.
fn clean_id(raw: &str) -> Option<String> {
    let id = raw.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && id.len() <= MAX_MESSAGE_ID_LEN && !id.chars().any(|c| c.is_control() || c.is_whitespace()))
        .then(|| id.to_string())
}

fn ids_of(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => t.split_whitespace().filter_map(clean_id).collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else { return Vec::new() };
    address
        .iter()
        .filter_map(|a| {
            let email = a.address()?.trim();
            (email.contains('@') && email.len() <= 254).then(|| Mailbox {
                address: email.to_string(),
                name: a.name().map(|n| n.trim().chars().take(255).collect::<String>()).filter(|n| !n.is_empty()),
            })
        })
        .collect()
}

/// Plain text as HTML: escaped, blank lines separating paragraphs, line breaks kept.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", p.lines().map(crate::template::escape_html).collect::<Vec<_>>().join("<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn truncate_bytes(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// The MIME tree of a raw message. mail-parser 0.11.9 has a `debug_assert!` on a path that
/// malformed nesting reaches (a `message/rfc822` part whose own parts never close, found by the
/// `inbound_mime` fuzz target): release builds recover the parts, builds with debug assertions
/// panic. A panic there makes the message unparseable instead of ending the SMTP session.
fn mime(raw: &[u8]) -> Option<mail_parser::Message<'_>> {
    std::panic::catch_unwind(|| MessageParser::default().parse(raw)).ok().flatten()
}

/// Reads a raw message. `envelope_sender` is the SMTP `MAIL FROM` (empty for bounces), which
/// counts in loop detection.
pub fn parse(raw: &[u8], envelope_sender: &str) -> Result<InboundEmail, InboundError> {
    let message = mime(raw).ok_or(InboundError::Unparseable)?;
    if message.headers().is_empty() {
        return Err(InboundError::Unparseable);
    }
    let from = mailboxes(message.from()).into_iter().next().ok_or(InboundError::NoSender)?;
    let to = mailboxes(message.to()).into_iter().chain(mailboxes(message.cc())).map(|m| m.address).collect();
    let mut references = ids_of(message.references());
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let subject: String = message
        .subject()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SUBJECT_CHARS)
        .collect::<String>()
        .trim()
        .to_string();
    let body = if let Some(text) = message.text_bodies().find(|p| !p.is_text_html()).and_then(|p| p.text_contents()) {
        text_to_html(&trim_text(text))
    } else if let Some(html) = message.body_html(0) {
        trim_html(&html)
    } else {
        String::new()
    };
    let attachments = message
        .attachments()
        .filter(|part| !part.is_message() || part.attachment_name().is_some())
        .map(|part| ReceivedAttachment {
            name: part.attachment_name().unwrap_or("attachment").to_string(),
            content_type: part.content_type().map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            }),
            bytes: part.contents().to_vec(),
        })
        .collect();
    let headers: Vec<(String, String)> =
        message.headers_raw().map(|(name, value)| (name.to_string(), value.trim().to_string())).collect();
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let automatic = automatic(&headers, envelope_sender, &from.address, is_report);
    Ok(without_nul(InboundEmail {
        message_id: message.message_id().and_then(clean_id),
        in_reply_to: ids_of(message.in_reply_to()).into_iter().next(),
        references,
        from,
        to,
        subject,
        body: truncate_bytes(body, MAX_BODY_BYTES),
        attachments,
        automatic,
    }))
}

/// Mail may carry NUL characters (a raw NUL byte from a broken mailer, `=00` in quoted-printable,
/// an encoded word), which PostgreSQL cannot hold in text. A mail server does not refuse a message
/// for that: the NULs are dropped from every text we keep (the raw message is stored as bytes,
/// untouched). Ids and the subject already lose every control character.
fn without_nul(mut email: InboundEmail) -> InboundEmail {
    let clean = |text: &mut String| {
        if text.contains('\0') {
            *text = crate::text::without_nul(text).into_owned();
        }
    };
    clean(&mut email.body);
    clean(&mut email.from.address);
    if let Some(name) = email.from.name.as_mut() {
        clean(name);
    }
    email.to.iter_mut().for_each(clean);
    for attachment in &mut email.attachments {
        clean(&mut attachment.name);
        if let Some(content_type) = attachment.content_type.as_mut() {
            clean(content_type);
        }
    }
    email
}

#[cfg(test)]
mod tests;
