//! The inbound MIME reader (`rapport_core::email::inbound::parse`): raw bytes as an SMTP client
//! or a relay delivers them. Asserts the bounds the reader promises on what the inbox keeps.
use rapport_core::email::inbound::{self, MAX_BODY_BYTES, MAX_MESSAGE_ID_LEN, MAX_REFERENCES, MAX_SUBJECT_CHARS};

use crate::Target;

pub const TARGET: Target = Target {
    name: "inbound_mime",
    check,
    json: false,
    dictionary: &[
        "\r\n",
        "\r\n\r\n",
        "From: ",
        "To: ",
        "Cc: ",
        "Subject: ",
        "Message-ID: <",
        "In-Reply-To: <",
        "References: <",
        "Auto-Submitted: auto-replied",
        "Content-Type: multipart/mixed; boundary=\"b\"",
        "Content-Type: multipart/alternative; boundary=\"b\"",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"",
        "Content-Type: text/html; charset=utf-8",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Disposition: attachment; filename=\"a.txt\"",
        "=?utf-8?B?",
        "=?iso-8859-1?Q?",
        "?=",
        "--b\r\n",
        "--b--",
        "<blockquote>",
        "On Tue, 3 Mar 2026, Ann wrote:",
    ],
};

pub fn check(data: &[u8]) {
    for envelope in ["", "ann@example.com"] {
        let Ok(email) = inbound::parse(data, envelope) else { return };
        assert!(email.from.address.contains('@') && email.from.address.len() <= 254);
        assert!(email.subject.chars().count() <= MAX_SUBJECT_CHARS);
        assert!(!email.subject.chars().any(char::is_control), "a control character in {:?}", email.subject);
        assert!(email.body.len() <= MAX_BODY_BYTES);
        assert!(email.references.len() <= MAX_REFERENCES);
        for id in email.message_id.iter().chain(&email.in_reply_to).chain(&email.references) {
            assert!(!id.is_empty() && id.len() <= MAX_MESSAGE_ID_LEN, "a bad id {id:?}");
            assert!(!id.chars().any(|c| c.is_control() || c.is_whitespace()), "a bad id {id:?}");
        }
        let thread = email.thread_ids();
        assert!(thread.len() <= MAX_REFERENCES + 1);
        if envelope.is_empty() {
            assert!(email.automatic.is_some(), "a message with an empty envelope sender is a bounce");
        }
        // The display body is HTML the agent app renders: sanitized, so no script survives.
        assert!(!email.body.to_ascii_lowercase().contains("<script"), "a script in {:?}", email.body);
    }
}
