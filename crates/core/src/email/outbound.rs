//! Composing a teammate's reply as an email, without IO: the headers that keep the customer's
//! thread together (Message-ID, In-Reply-To, a capped References list, a signed Reply-To), the
//! subject, and the plain-text and branded HTML bodies. The sender (`rapport_mail::outbound`)
//! turns a [`Composed`] into MIME and talks SMTP.

use crate::conversation::plaintext;
use crate::template::escape_html;

/// Most Message-IDs a References header carries: the thread's first one and the latest ones
/// (RFC 5322 §3.6.4 lets a long list drop the middle; some servers refuse very long headers).
pub const MAX_REFERENCES: usize = 20;

/// Longest subject sent, in characters (a customer's subject is copied, and may be anything).
const MAX_SUBJECT_CHARS: usize = 200;

/// The colour of the HTML message when the workspace has none that parses.
const DEFAULT_COLOR: &str = "#2563eb";

/// What a reply is made from: the conversation's and the teammate's data, and the sender's
/// configuration.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    /// The teammate who wrote the reply (`None`: only the workspace's name is shown).
    pub teammate_name: Option<&'a str>,
    pub workspace_name: &'a str,
    /// The workspace's messenger colour (`#rrggbb`); anything else falls back to the default.
    pub color: &'a str,
    /// The relay's sender address (`--smtp-from-address`).
    pub from_address: &'a str,
    /// The customer's address.
    pub to_address: &'a str,
    /// The address replies come back to (see [`reply_to_address`]).
    pub reply_to: &'a str,
    /// The conversation's subject (its opening email's), possibly empty.
    pub subject: &'a str,
    /// The part's body, as stored (HTML).
    pub body: &'a str,
    /// This message's id, without angle brackets.
    pub message_id: &'a str,
    /// The latest message the customer sent in this thread, when there is one.
    pub in_reply_to: Option<&'a str>,
    /// The thread's Message-IDs, oldest first (see [`references`]).
    pub references: &'a [String],
    /// Written by an automation (a rule's close-with-message): `Auto-Submitted: auto-replied`,
    /// so the customer's auto-responder does not answer it.
    pub automated: bool,
}

/// A reply ready to be put into MIME: header values (ids without angle brackets) and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The From display name: "Alice at Acme".
    pub from_name: String,
    pub from_address: String,
    pub to_address: String,
    pub reply_to: String,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `Some("auto-replied")` for automations' messages.
    pub auto_submitted: Option<&'static str>,
    pub text: String,
    pub html: String,
}

/// Composes a reply.
pub fn compose(reply: &Reply<'_>) -> Composed {
    let from_name = from_name(reply.teammate_name, reply.workspace_name);
    let text = text_body(reply.body);
    let html = html_body(&text, &from_name, reply.workspace_name, reply.color);
    Composed {
        from_name,
        from_address: reply.from_address.to_string(),
        to_address: reply.to_address.to_string(),
        reply_to: reply.reply_to.to_string(),
        subject: reply_subject(reply.subject, reply.workspace_name),
        message_id: reply.message_id.to_string(),
        in_reply_to: reply.in_reply_to.filter(|id| is_message_id(id)).map(str::to_string),
        references: reply.references.iter().filter(|id| is_message_id(id)).cloned().collect(),
        auto_submitted: reply.automated.then_some("auto-replied"),
        text,
        html,
    }
}

/// "Alice at Acme" (or just "Acme"), on one line.
pub fn from_name(teammate_name: Option<&str>, workspace_name: &str) -> String {
    let workspace = single_line(workspace_name);
    match teammate_name.map(single_line).filter(|n| !n.is_empty()) {
        Some(name) if !workspace.is_empty() => format!("{name} at {workspace}"),
        Some(name) => name,
        None => workspace,
    }
}

/// `Re: <subject>`, without stacking prefixes (`Re: Re: …`), on one line, capped; a
/// conversation without a subject gets one naming the workspace.
pub fn reply_subject(subject: &str, workspace_name: &str) -> String {
    let mut subject = single_line(subject);
    loop {
        let lower = subject.to_ascii_lowercase();
        let prefix = ["re:", "aw:", "sv:"].iter().find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => subject = subject[p.len()..].trim_start().to_string(),
            None => break,
        }
    }
    if subject.is_empty() {
        let workspace = single_line(workspace_name);
        subject = if workspace.is_empty() {
            "Your conversation".to_string()
        } else {
            format!("Your conversation with {workspace}")
        };
    }
    let capped: String = subject.chars().take(MAX_SUBJECT_CHARS).collect();
    format!("Re: {capped}")
}

/// The address a customer's reply comes back to: `<app_id>+<reply token>@<domain>`.
pub fn reply_to_address(app_id: &str, token: &str, domain: &str) -> String {
    format!("{app_id}+{token}@{domain}")
}

/// A new Message-ID (without angle brackets) from a unique value the caller draws.
pub fn message_id(unique: &str, domain: &str) -> String {
    format!("{unique}@{domain}")
}

/// The domain of an address (`support@example.com` → `example.com`), lower-cased.
pub fn domain_of(address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    valid.then(|| domain.to_ascii_lowercase())
}

/// Whether a stored Message-ID (without brackets) can go into a header as it is: `left@right`,
/// printable ASCII, no spaces or brackets. Anything else (a broken inbound header) is left out.
pub fn is_message_id(id: &str) -> bool {
    let Some((left, right)) = id.split_once('@') else { return false };
    !left.is_empty()
        && !right.is_empty()
        && id.len() <= 250
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\' | b'(' | b')' | b','))
}

/// The References of a reply: the references of the message it answers (the customer's side of
/// the thread, which may predate us), then the conversation's own Message-IDs, oldest first,
/// each once. Past [`MAX_REFERENCES`] the first one and the latest ones are kept.
pub fn references(parent_references: &[String], thread: &[String]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for id in parent_references.iter().chain(thread) {
        if is_message_id(id) && !all.contains(id) {
            all.push(id.clone());
        }
    }
    if all.len() > MAX_REFERENCES {
        let tail = all.split_off(all.len() - (MAX_REFERENCES - 1));
        all.truncate(1);
        all.extend(tail);
    }
    all
}

/// The plain-text part: the body's text (tags dropped, entities decoded), lines trimmed at the
/// end, runs of blank lines collapsed.
pub fn text_body(body_html: &str) -> String {
    let text = plaintext(body_html).replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// The HTML part, built from the plain text (so nothing of the stored body's markup, scripts
/// or styles can reach the customer's mail client): escaped paragraphs in a simple branded frame
/// with the workspace's colour and name.
pub fn html_body(text: &str, from_name: &str, workspace_name: &str, color: &str) -> String {
    let color = crate::messenger::parse_color(color).unwrap_or_else(|_| DEFAULT_COLOR.to_string());
    let paragraphs: String = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(escape_html).collect();
            format!("<p style=\"margin:0 0 12px 0\">{}</p>\n", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{workspace}</title></head>\n\
         <body style=\"margin:0;padding:0;background:#f6f7f9\">\n\
         <div style=\"max-width:600px;margin:0 auto;padding:24px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2933\">\n\
         <div style=\"border-top:4px solid {color};background:#ffffff;padding:20px 24px;border-radius:4px\">\n\
         {paragraphs}</div>\n\
         <p style=\"margin:12px 0 0 0;font-size:13px;color:#6b7280\">{from}</p>\n\
         </div>\n</body></html>\n",
        workspace = escape_html(&single_line(workspace_name)),
        from = escape_html(from_name),
    )
}

/// A header-safe single line: control characters (CR, LF, tabs…) become spaces, trimmed.
pub fn single_line(text: &str) -> String {
    let replaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("m{i}@example.com")).collect()
    }

    #[test]
    fn subjects_get_one_re_prefix_and_stay_on_one_line() {
        assert_eq!(reply_subject("Refund", "Acme"), "Re: Refund");
        assert_eq!(reply_subject("RE: re:  Refund", "Acme"), "Re: Refund");
        assert_eq!(reply_subject("AW: Rechnung", "Acme"), "Re: Rechnung");
        assert_eq!(reply_subject("Broken\r\nBcc: x@evil.test", "Acme"), "Re: Broken Bcc: x@evil.test");
        assert_eq!(reply_subject("  ", "Acme"), "Re: Your conversation with Acme");
        assert_eq!(reply_subject("", ""), "Re: Your conversation");
        assert_eq!(reply_subject(&"x".repeat(500), "Acme").chars().count(), 4 + 200);
        // "Regarding" is not a prefix.
        assert_eq!(reply_subject("Regarding my order", "Acme"), "Re: Regarding my order");
    }

    #[test]
    fn the_sender_is_the_teammate_at_the_workspace() {
        assert_eq!(from_name(Some("Alice"), "Acme"), "Alice at Acme");
        assert_eq!(from_name(Some("  "), "Acme"), "Acme");
        assert_eq!(from_name(None, "Acme\n"), "Acme");
        assert_eq!(from_name(Some("Al\rice"), ""), "Al ice");
    }

    #[test]
    fn references_keep_the_first_and_latest_ids_once_each() {
        assert_eq!(references(&[], &ids(3)), ids(3));
        let parent = vec!["old@client.test".to_string(), "m1@example.com".to_string()];
        let refs = references(&parent, &ids(2));
        assert_eq!(refs, vec!["old@client.test", "m1@example.com", "m2@example.com"]);
        let long = references(&[], &ids(50));
        assert_eq!(long.len(), MAX_REFERENCES);
        assert_eq!(long[0], "m1@example.com");
        assert_eq!(long[1], "m32@example.com");
        assert_eq!(long.last().unwrap(), "m50@example.com");
        let broken = vec!["no-at-sign".to_string(), "a b@c".to_string(), "<x@y>".to_string(), "ok@y".to_string()];
        assert_eq!(references(&broken, &[]), vec!["ok@y"]);
    }

    #[test]
    fn addresses_and_domains() {
        assert_eq!(reply_to_address("abc123", "c7-0011", "mail.acme.test"), "abc123+c7-0011@mail.acme.test");
        assert_eq!(domain_of("Support@Mail.Acme.Test").as_deref(), Some("mail.acme.test"));
        assert_eq!(domain_of("nobody"), None);
        assert_eq!(domain_of("a@localhost"), None);
        assert_eq!(domain_of("a@exa mple.com"), None);
        assert_eq!(message_id("r-1", "acme.test"), "r-1@acme.test");
        assert!(is_message_id("r-1@acme.test"));
        assert!(!is_message_id("r-1@acme.test>\r\nBcc: x"));
    }

    #[test]
    fn the_html_part_is_built_from_escaped_text_only() {
        let body = "<p>Hi <b>Bob</b> &amp; co,</p><p>see <a href=\"javascript:alert(1)\">this</a></p>\
                    <script>alert('x')</script><img src=x onerror=alert(1)>";
        let text = text_body(body);
        assert_eq!(text, "Hi Bob & co,\nsee this\nalert('x')");
        let html = html_body(&text, "Alice at Acme <Inc>", "Acme <Inc>", "#FF0000");
        assert!(html.contains("Hi Bob &amp; co,<br>\nsee this<br>\nalert(&#39;x&#39;)"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<b>") && !html.contains("javascript:"));
        assert!(!html.contains("onerror"));
        assert!(html.contains("border-top:4px solid #ff0000"));
        assert!(html.contains("Alice at Acme &lt;Inc&gt;"));
        // A colour that is not `#rrggbb` cannot inject CSS.
        let html = html_body("x", "A", "Acme", "red;background:url(http://evil.test)");
        assert!(html.contains("solid #2563eb") && !html.contains("evil"));
    }

    #[test]
    fn text_paragraphs_become_html_paragraphs() {
        let text = text_body("Line one\nline two\n\n\n\nNext paragraph   \n");
        assert_eq!(text, "Line one\nline two\n\nNext paragraph");
        let html = html_body(&text, "A", "W", "#000000");
        assert!(html.contains(">Line one<br>\nline two</p>"));
        assert!(html.contains(">Next paragraph</p>"));
    }

    #[test]
    fn compose_fills_every_header() {
        let references = vec!["first@client.test".to_string(), "bad id".to_string()];
        let reply = Reply {
            teammate_name: Some("Alice"),
            workspace_name: "Acme",
            color: "#112233",
            from_address: "support@acme.test",
            to_address: "bob@client.test",
            reply_to: "app+c1-00@acme.test",
            subject: "Help",
            body: "<p>Hello</p>",
            message_id: "r1@acme.test",
            in_reply_to: Some("first@client.test"),
            references: &references,
            automated: true,
        };
        let composed = compose(&reply);
        assert_eq!(composed.from_name, "Alice at Acme");
        assert_eq!(composed.subject, "Re: Help");
        assert_eq!(composed.in_reply_to.as_deref(), Some("first@client.test"));
        assert_eq!(composed.references, vec!["first@client.test"]);
        assert_eq!(composed.auto_submitted, Some("auto-replied"));
        assert_eq!(composed.text, "Hello");
        assert!(composed.html.contains("Hello"));
        let manual = compose(&Reply { automated: false, in_reply_to: Some("<broken>"), ..reply });
        assert_eq!(manual.auto_submitted, None);
        assert_eq!(manual.in_reply_to, None);
    }
}
