//! The SMTP conversation's state (RFC 5321 §4.1.4 command order), without IO. The listener
//! feeds it parsed commands and performs what it asks for (look up a recipient, read the
//! message, start TLS); the rules about what may come when live here and are tested alone.

use super::command::Command;

/// A reply: the code and its lines (more than one makes a multi-line reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    /// The reply as sent: `250-first\r\n250 last\r\n`.
    pub fn to_wire(&self) -> String {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            let separator = if i + 1 == self.lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{}{separator}{line}\r\n", self.code));
        }
        out
    }
}

/// What the listener must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Reply(Reply),
    /// Look the address up, then call [`Session::recipient_checked`].
    CheckRecipient(String),
    /// Answer 354 and read the message, then call [`Session::take_envelope`].
    ReadData,
    /// Answer 220 and start the TLS handshake, then call [`Session::tls_started`].
    StartTls,
    /// Send the reply and close the connection.
    Close(Reply),
}

/// The limits and abilities a session announces.
#[derive(Debug, Clone)]
pub struct Limits {
    pub hostname: String,
    pub max_message_bytes: u64,
    pub max_recipients: usize,
    /// Whether STARTTLS can be offered (a certificate is configured).
    pub tls_available: bool,
}

/// A message's envelope: the `MAIL FROM` path (empty for bounces) and the accepted recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<R> {
    pub sender: String,
    pub recipients: Vec<(String, R)>,
}

/// One SMTP session; `R` is what a recipient address resolved to.
#[derive(Debug)]
pub struct Session<R> {
    limits: Limits,
    greeted: bool,
    tls: bool,
    sender: Option<String>,
    recipients: Vec<(String, R)>,
}

impl<R> Session<R> {
    pub fn new(limits: Limits) -> Session<R> {
        Session { limits, greeted: false, tls: false, sender: None, recipients: Vec::new() }
    }

    pub fn greeting(&self) -> Reply {
        Reply::new(220, format!("{} ESMTP Rapport ready", self.limits.hostname))
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    fn reset(&mut self) {
        self.sender = None;
        self.recipients.clear();
    }

    /// Advances the session by one command.
    pub fn handle(&mut self, command: Command) -> Next {
        let reply = |code, text: &str| Next::Reply(Reply::new(code, text));
        match command {
            Command::Ehlo(_) => {
                self.reset();
                self.greeted = true;
                let mut lines = vec![
                    self.limits.hostname.clone(),
                    format!("SIZE {}", self.limits.max_message_bytes),
                    "8BITMIME".into(),
                    "PIPELINING".into(),
                    "ENHANCEDSTATUSCODES".into(),
                    "SMTPUTF8".into(),
                ];
                if self.limits.tls_available && !self.tls {
                    lines.push("STARTTLS".into());
                }
                Next::Reply(Reply { code: 250, lines })
            }
            Command::Helo(_) => {
                self.reset();
                self.greeted = true;
                Next::Reply(Reply::new(250, self.limits.hostname.clone()))
            }
            Command::Mail { .. } if !self.greeted => reply(503, "5.5.1 Send EHLO or HELO first"),
            Command::Mail { .. } if self.sender.is_some() => reply(503, "5.5.1 Nested MAIL command"),
            Command::Mail { size: Some(size), .. } if size > self.limits.max_message_bytes => {
                reply(552, "5.3.4 Message size exceeds the fixed limit")
            }
            Command::Mail { from, .. } => {
                self.sender = Some(from);
                reply(250, "2.1.0 Sender OK")
            }
            Command::Rcpt { .. } if self.sender.is_none() => reply(503, "5.5.1 Need MAIL before RCPT"),
            Command::Rcpt { .. } if self.recipients.len() >= self.limits.max_recipients => {
                reply(452, "4.5.3 Too many recipients")
            }
            Command::Rcpt { to } => Next::CheckRecipient(to),
            Command::Data if self.sender.is_none() => reply(503, "5.5.1 Need MAIL before DATA"),
            Command::Data if self.recipients.is_empty() => reply(554, "5.5.1 No valid recipients"),
            Command::Data => Next::ReadData,
            Command::Rset => {
                self.reset();
                reply(250, "2.0.0 OK")
            }
            Command::Noop => reply(250, "2.0.0 OK"),
            Command::Quit => Next::Close(Reply::new(221, "2.0.0 Bye")),
            Command::StartTls if self.tls => reply(503, "5.5.1 TLS already active"),
            Command::StartTls if !self.limits.tls_available => reply(454, "4.7.0 TLS not available"),
            Command::StartTls => Next::StartTls,
            Command::Vrfy => reply(252, "2.5.0 Cannot VRFY user, but will accept message"),
            Command::Help => reply(214, "2.0.0 See RFC 5321"),
        }
    }

    /// Records a looked-up recipient: `None` when the address leads nowhere (550).
    pub fn recipient_checked(&mut self, to: String, resolved: Option<R>) -> Reply {
        match resolved {
            Some(resolved) => {
                self.recipients.push((to, resolved));
                Reply::new(250, "2.1.5 Recipient OK")
            }
            None => Reply::new(550, "5.1.1 No such mailbox here"),
        }
    }

    /// The TLS handshake succeeded: the client must greet again (RFC 3207).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.greeted = false;
        self.reset();
    }

    /// The envelope of the message just read; the session is ready for the next one.
    pub fn take_envelope(&mut self) -> Envelope<R> {
        let sender = self.sender.take().unwrap_or_default();
        Envelope { sender, recipients: std::mem::take(&mut self.recipients) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tls_available: bool) -> Session<u8> {
        Session::new(Limits { hostname: "mx.test".into(), max_message_bytes: 1000, max_recipients: 2, tls_available })
    }

    fn code(next: Next) -> u16 {
        match next {
            Next::Reply(r) | Next::Close(r) => r.code,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn walks_a_transaction_in_order() {
        let mut s = session(true);
        assert_eq!(code(s.handle(Command::Mail { from: "a@x".into(), size: None })), 503);
        let Next::Reply(ehlo) = s.handle(Command::Ehlo("c".into())) else { panic!() };
        assert!(ehlo.lines.contains(&"STARTTLS".to_string()));
        assert!(ehlo.lines.contains(&"SIZE 1000".to_string()));
        assert_eq!(code(s.handle(Command::Rcpt { to: "r@x".into() })), 503);
        assert_eq!(code(s.handle(Command::Data)), 503);
        assert_eq!(code(s.handle(Command::Mail { from: "a@x".into(), size: Some(1001) })), 552);
        assert_eq!(code(s.handle(Command::Mail { from: "".into(), size: Some(10) })), 250);
        assert_eq!(code(s.handle(Command::Mail { from: "a@x".into(), size: None })), 503);
        assert_eq!(code(s.handle(Command::Data)), 554);
        assert_eq!(s.handle(Command::Rcpt { to: "r@x".into() }), Next::CheckRecipient("r@x".into()));
        assert_eq!(s.recipient_checked("r@x".into(), None).code, 550);
        assert_eq!(s.recipient_checked("r@x".into(), Some(1)).code, 250);
        assert_eq!(s.recipient_checked("q@x".into(), Some(2)).code, 250);
        assert_eq!(code(s.handle(Command::Rcpt { to: "z@x".into() })), 452);
        assert_eq!(s.handle(Command::Data), Next::ReadData);
        let envelope = s.take_envelope();
        assert_eq!(envelope.sender, "");
        assert_eq!(envelope.recipients, [("r@x".to_string(), 1), ("q@x".to_string(), 2)]);
        // The next transaction starts clean.
        assert_eq!(code(s.handle(Command::Rcpt { to: "r@x".into() })), 503);
        assert_eq!(code(s.handle(Command::Quit)), 221);
    }

    #[test]
    fn rset_clears_and_starttls_resets_the_greeting() {
        let mut s = session(true);
        s.handle(Command::Helo("c".into()));
        s.handle(Command::Mail { from: "a@x".into(), size: None });
        assert_eq!(code(s.handle(Command::Rset)), 250);
        assert_eq!(code(s.handle(Command::Data)), 503);
        assert_eq!(s.handle(Command::StartTls), Next::StartTls);
        s.tls_started();
        assert!(s.is_tls());
        assert_eq!(code(s.handle(Command::Mail { from: "a@x".into(), size: None })), 503);
        let Next::Reply(ehlo) = s.handle(Command::Ehlo("c".into())) else { panic!() };
        assert!(!ehlo.lines.contains(&"STARTTLS".to_string()));
        assert_eq!(code(s.handle(Command::StartTls)), 503);
        let mut plain = session(false);
        assert_eq!(code(plain.handle(Command::StartTls)), 454);
    }

    #[test]
    fn multi_line_replies_use_dashes() {
        let reply = Reply { code: 250, lines: vec!["a".into(), "b".into()] };
        assert_eq!(reply.to_wire(), "250-a\r\n250 b\r\n");
    }
}
