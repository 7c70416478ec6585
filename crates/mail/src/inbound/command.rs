//! SMTP commands (RFC 5321) parsed from one line, without IO, so the protocol is tested alone.

/// One client command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    /// `MAIL FROM:<path>`; the path is empty for bounces. `size` is the declared `SIZE=`.
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt {
        to: String,
    },
    Data,
    Rset,
    Noop,
    Quit,
    StartTls,
    Vrfy,
    Help,
}

/// Why a line is not a command we take: the reply code and text to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub text: &'static str,
}

const fn refuse(code: u16, text: &'static str) -> Refusal {
    Refusal { code, text }
}

/// The address inside `<…>` after `FROM:`/`TO:` and the ESMTP parameters that follow.
fn path_and_params(rest: &str) -> Result<(String, Vec<&str>), Refusal> {
    let rest = rest.trim_start();
    let Some(inner) = rest.strip_prefix('<') else {
        return Err(refuse(501, "5.5.4 Syntax: address must be in angle brackets"));
    };
    let Some(end) = inner.find('>') else {
        return Err(refuse(501, "5.5.4 Syntax: missing '>'"));
    };
    let mut path = &inner[..end];
    // A source route (`<@a,@b:user@host>`) is obsolete; keep the mailbox.
    if path.starts_with('@') {
        path = path.split_once(':').map_or("", |(_, mailbox)| mailbox);
    }
    if path.chars().any(|c| c.is_control() || c == ' ' || c == '<') || path.len() > 254 {
        return Err(refuse(501, "5.1.3 Bad address syntax"));
    }
    Ok((path.to_string(), inner[end + 1..].split_whitespace().collect()))
}

impl Command {
    /// Parses one line without its CRLF.
    pub fn parse(line: &str) -> Result<Command, Refusal> {
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb, rest),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        let domain = || {
            let d = rest.trim();
            if d.is_empty() || d.len() > 255 {
                Err(refuse(501, "5.5.4 Syntax: a domain is required"))
            } else {
                Ok(d.to_string())
            }
        };
        match verb.as_str() {
            "EHLO" => domain().map(Command::Ehlo),
            "HELO" => domain().map(Command::Helo),
            "MAIL" => {
                let Some(rest) = strip_prefix_ignore_case(rest.trim_start(), "FROM:") else {
                    return Err(refuse(501, "5.5.4 Syntax: MAIL FROM:<address>"));
                };
                let (from, params) = path_and_params(rest)?;
                let mut size = None;
                for param in params {
                    let (key, value) = param.split_once('=').unwrap_or((param, ""));
                    match key.to_ascii_uppercase().as_str() {
                        "SIZE" => size = Some(value.parse().map_err(|_| refuse(501, "5.5.4 Syntax: SIZE=<number>"))?),
                        "BODY" | "SMTPUTF8" | "AUTH" | "RET" | "ENVID" => {}
                        _ => return Err(refuse(555, "5.5.4 Unsupported MAIL parameter")),
                    }
                }
                Ok(Command::Mail { from, size })
            }
            "RCPT" => {
                let Some(rest) = strip_prefix_ignore_case(rest.trim_start(), "TO:") else {
                    return Err(refuse(501, "5.5.4 Syntax: RCPT TO:<address>"));
                };
                let (to, params) = path_and_params(rest)?;
                if to.is_empty() {
                    return Err(refuse(501, "5.1.3 A recipient address is required"));
                }
                for param in params {
                    let key = param.split_once('=').map_or(param, |(k, _)| k).to_ascii_uppercase();
                    if !matches!(key.as_str(), "NOTIFY" | "ORCPT") {
                        return Err(refuse(555, "5.5.4 Unsupported RCPT parameter"));
                    }
                }
                Ok(Command::Rcpt { to })
            }
            "DATA" => no_argument(rest, Command::Data),
            "RSET" => no_argument(rest, Command::Rset),
            "NOOP" => Ok(Command::Noop),
            "QUIT" => no_argument(rest, Command::Quit),
            "STARTTLS" => no_argument(rest, Command::StartTls),
            "VRFY" => Ok(Command::Vrfy),
            "HELP" => Ok(Command::Help),
            _ => Err(refuse(500, "5.5.2 Command not recognized")),
        }
    }
}

fn no_argument(rest: &str, command: Command) -> Result<Command, Refusal> {
    if rest.trim().is_empty() {
        Ok(command)
    } else {
        Err(refuse(501, "5.5.4 Syntax: no parameters allowed"))
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_commands_we_take() {
        assert_eq!(Command::parse("EHLO client.example"), Ok(Command::Ehlo("client.example".into())));
        assert_eq!(Command::parse("helo x"), Ok(Command::Helo("x".into())));
        assert_eq!(
            Command::parse("MAIL FROM:<a@example.com> SIZE=1200 BODY=8BITMIME"),
            Ok(Command::Mail { from: "a@example.com".into(), size: Some(1200) })
        );
        assert_eq!(Command::parse("mail from: <>"), Ok(Command::Mail { from: "".into(), size: None }));
        assert_eq!(Command::parse("RCPT TO:<abc@in.example>"), Ok(Command::Rcpt { to: "abc@in.example".into() }));
        assert_eq!(
            Command::parse("RCPT TO:<@relay.example:abc@in.example>"),
            Ok(Command::Rcpt { to: "abc@in.example".into() })
        );
        for (line, command) in [
            ("DATA", Command::Data),
            ("rset", Command::Rset),
            ("NOOP anything", Command::Noop),
            ("QUIT", Command::Quit),
            ("STARTTLS", Command::StartTls),
        ] {
            assert_eq!(Command::parse(line), Ok(command), "{line}");
        }
    }

    #[test]
    fn refuses_bad_syntax_with_the_right_code() {
        for (line, code) in [
            ("EHLO", 501),
            ("MAIL FROM:a@example.com", 501),
            ("MAIL TO:<a@example.com>", 501),
            ("MAIL FROM:<a@example.com> SIZE=lots", 501),
            ("MAIL FROM:<a@example.com> X-EVIL=1", 555),
            ("RCPT TO:<>", 501),
            ("RCPT TO:<a b@example.com>", 501),
            ("RCPT TO:<a@example.com", 501),
            ("DATA now", 501),
            ("XYZZY", 500),
            ("", 500),
        ] {
            assert_eq!(Command::parse(line).map_err(|r| r.code), Err(code), "{line}");
        }
    }
}
