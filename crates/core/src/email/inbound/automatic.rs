//! Recognising mail a machine sent: out-of-office replies, bounces, list and bulk mail. Such
//! mail is kept but never answered, assigned or allowed to open conversations that notify, so
//! two auto-responders cannot talk to each other forever (RFC 3834, RFC 3464).

/// Why a message counts as automatic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// A delivery report (`multipart/report`) or mail from a mailer daemon or postmaster.
    Bounce,
    /// `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply`.
    AutoReply,
    /// `Precedence: bulk`, `junk` or `list`.
    Bulk,
    /// The envelope sender is empty (`MAIL FROM:<>`), which only notifications use.
    NullSender,
}

impl Automatic {
    pub fn as_str(self) -> &'static str {
        match self {
            Automatic::Bounce => "bounce",
            Automatic::AutoReply => "auto_reply",
            Automatic::Bulk => "bulk",
            Automatic::NullSender => "null_sender",
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let name = name.to_string();
    headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(&name)).map(|(_, v)| v.trim())
}

/// Local parts that only machines send from.
fn is_daemon(address: &str) -> bool {
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l).to_ascii_lowercase();
    matches!(local.as_str(), "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon")
}

/// Whether a message is automatic, from its headers (name, unfolded value), its envelope
/// sender, its `From` address and whether its top-level type is `multipart/report`.
pub fn automatic(
    headers: &[(String, String)],
    envelope_sender: &str,
    from: &str,
    is_report: bool,
) -> Option<Automatic> {
    let envelope = envelope_sender.trim().trim_start_matches('<').trim_end_matches('>');
    if is_report || is_daemon(from) || (!envelope.is_empty() && is_daemon(envelope)) {
        return Some(Automatic::Bounce);
    }
    let auto_submitted = header(headers, "Auto-Submitted").any(|v| {
        let kind = v.split(';').next().unwrap_or("").trim();
        !kind.eq_ignore_ascii_case("no")
    });
    if auto_submitted
        || header(headers, "X-Autoreply").next().is_some()
        || header(headers, "X-Autorespond").next().is_some()
    {
        return Some(Automatic::AutoReply);
    }
    for precedence in header(headers, "Precedence") {
        match precedence.to_ascii_lowercase().as_str() {
            "auto_reply" => return Some(Automatic::AutoReply),
            "bulk" | "junk" | "list" => return Some(Automatic::Bulk),
            _ => {}
        }
    }
    if envelope.is_empty() {
        return Some(Automatic::NullSender);
    }
    None
}
