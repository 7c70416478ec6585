use super::*;

fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\r\n\r\n{body}").replace('\n', "\r\n").replace("\r\r\n", "\r\n").into_bytes()
}

#[test]
fn reads_a_plain_message_with_its_threading_headers() {
    let raw = mail(
        "From: Ann Example <Ann@Example.com>\nTo: abc123@in.example.com, Other <o@example.org>\nSubject: Help  \nMessage-ID: <m2@example.com>\nIn-Reply-To: <m1@example.com>\nReferences: <m0@example.com> <m1@example.com>",
        "Hello,\nit broke.\n\nOn Mon, 2 Mar 2026 at 10:00, Support <s@example.com> wrote:\n> earlier\n",
    );
    let email = parse(&raw, "ann@example.com").unwrap();
    assert_eq!(email.message_id.as_deref(), Some("m2@example.com"));
    assert_eq!(email.in_reply_to.as_deref(), Some("m1@example.com"));
    assert_eq!(email.references, ["m0@example.com", "m1@example.com"]);
    assert_eq!(email.thread_ids(), ["m1@example.com", "m0@example.com"]);
    assert_eq!(email.from, Mailbox { address: "Ann@Example.com".into(), name: Some("Ann Example".into()) });
    assert_eq!(email.to, ["abc123@in.example.com", "o@example.org"]);
    assert_eq!(email.subject, "Help");
    assert_eq!(email.body, "<p>Hello,<br>it broke.</p>");
    assert_eq!(email.automatic, None);
}

#[test]
fn prefers_plain_text_and_sanitizes_html_only_mail() {
    let alternative = mail(
        "From: a@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b",
        "--b\nContent-Type: text/plain\n\nplain words\n--b\nContent-Type: text/html\n\n<p>html words</p>\n--b--\n",
    );
    assert_eq!(parse(&alternative, "a@example.com").unwrap().body, "<p>plain words</p>");
    let html = mail(
        "From: a@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/html",
        "<p onclick=\"steal()\">Hi <script>alert(1)</script><a href=\"javascript:alert(1)\">x</a> \
         <a href=\"https://example.com/\">ok</a><img src=\"https://tracker.example/p.gif\"></p>\
         <div class=\"gmail_quote\">On Monday someone wrote:<blockquote>old</blockquote></div>",
    );
    let body = parse(&html, "a@example.com").unwrap().body;
    for bad in ["script", "onclick", "javascript:", "alert", "tracker", "old", "gmail_quote"] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    assert!(body.contains("href=\"https://example.com/\""), "{body}");
    assert!(body.contains("Hi"), "{body}");
}

#[test]
fn trims_quotes_and_signatures() {
    assert_eq!(trim_text("Thanks!\n\n-- \nAnn\nACME"), "Thanks!");
    assert_eq!(trim_text("Yes\n> quoted\n> more\nafter"), "Yes\nafter");
    assert_eq!(
        trim_text("Fine by me.\n\nFrom: Support <s@example.com>\nSent: Monday\nTo: Ann\nSubject: Re: x\n\nold text"),
        "Fine by me."
    );
    assert_eq!(trim_text("Ok\n-----Original Message-----\nFrom: x"), "Ok");
    assert_eq!(trim_text("Sure\nOn Tue, 3 Mar 2026, Support <s@example.com>\nwrote:\n> q"), "Sure");
    // A message that is nothing but a quote is kept rather than shown empty.
    assert_eq!(trim_text("> only a quote"), "> only a quote");
    assert_eq!(
        trim_html("<p>new</p><blockquote><div>old<blockquote>older</blockquote></div></blockquote><p>tail</p>"),
        "<p>new</p><p>tail</p>"
    );
    assert_eq!(text_to_html("a < b\nc\n\n\nd & e"), "<p>a &lt; b<br>c</p>\n<p>d &amp; e</p>");
}

#[test]
fn finds_attachments_with_their_names_as_sent() {
    let raw = mail(
        "From: a@example.com\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b",
        "--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"../../etc/passwd.txt\"\n\nroot:x\n--b--\n",
    );
    let email = parse(&raw, "a@example.com").unwrap();
    assert_eq!(email.body, "<p>see attached</p>");
    assert_eq!(email.attachments.len(), 1);
    assert_eq!(email.attachments[0].name, "../../etc/passwd.txt");
    assert_eq!(email.attachments[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(email.attachments[0].bytes, b"root:x");
    // The stored name is made safe by core::attachment.
    assert_eq!(crate::attachment::safe_name(&email.attachments[0].name), "passwd.txt");
}

#[test]
fn refuses_mail_without_sender_or_headers() {
    assert_eq!(parse(b"", "a@example.com"), Err(InboundError::Unparseable));
    assert_eq!(parse(&mail("Subject: x", "body"), "a@example.com"), Err(InboundError::NoSender));
    assert_eq!(parse(&mail("From: not an address", "body"), "a@example.com"), Err(InboundError::NoSender));
}

#[test]
fn survives_malformed_mime() {
    let raw = mail(
        "From: a@example.com\nSubject: broken\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=never",
        "no boundary ever appears\n--wrong\nContent-Type: text/html\n\n<script>x</script>",
    );
    let email = parse(&raw, "a@example.com").unwrap();
    assert!(!email.body.contains("<script"), "{}", email.body);
}

#[test]
fn recognises_automatic_mail() {
    let cases = [
        ("Auto-Submitted: auto-replied", "a@example.com", Some(Automatic::AutoReply)),
        ("Auto-Submitted: no", "a@example.com", None),
        ("X-Autoreply: yes", "a@example.com", Some(Automatic::AutoReply)),
        ("X-Autorespond: 1", "a@example.com", Some(Automatic::AutoReply)),
        ("Precedence: bulk", "a@example.com", Some(Automatic::Bulk)),
        ("Precedence: list", "a@example.com", Some(Automatic::Bulk)),
        ("Precedence: junk", "a@example.com", Some(Automatic::Bulk)),
        ("Precedence: auto_reply", "a@example.com", Some(Automatic::AutoReply)),
        ("Precedence: first-class", "a@example.com", None),
        ("X-Other: 1", "", Some(Automatic::NullSender)),
        ("X-Other: 1", "<>", Some(Automatic::NullSender)),
        ("X-Other: 1", "MAILER-DAEMON@example.com", Some(Automatic::Bounce)),
    ];
    for (header, envelope, expected) in cases {
        let raw = mail(&format!("From: a@example.com\nSubject: x\n{header}"), "text");
        assert_eq!(parse(&raw, envelope).unwrap().automatic, expected, "{header} / {envelope:?}");
    }
    let from_postmaster = mail("From: Postmaster <postmaster@example.com>\nSubject: x", "text");
    assert_eq!(parse(&from_postmaster, "x@example.com").unwrap().automatic, Some(Automatic::Bounce));
    let report = mail(
        "From: a@example.com\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b",
        "--b\nContent-Type: text/plain\n\nfailed\n--b--\n",
    );
    assert_eq!(parse(&report, "a@example.com").unwrap().automatic, Some(Automatic::Bounce));
}

#[test]
fn drops_bad_message_ids() {
    let raw = mail("From: a@example.com\nSubject: x\nMessage-ID: <>\nReferences: <ok@x> <bad id> junk", "t");
    let email = parse(&raw, "a@example.com").unwrap();
    assert_eq!(email.message_id, None);
    assert!(email.references.contains(&"ok@x".to_string()));
}

#[test]
fn a_message_part_whose_parts_never_close_is_read_or_refused_without_panicking() {
    // Found by the `inbound_mime` fuzz target (fuzz/corpus/inbound_mime/crash-nested-rfc822-in-multipart.eml):
    // mail-parser asserts in debug builds on this nesting.
    let raw = b"F\r\nContent-Type: multipart/d;boundary=b1\"\r\n\r\n---b1\r\nContent-Type:message/rfc822\r\n\r \nContent-Type: message/rfc822\n\r\nF\r\n\r\nne\n--b1--\r\n";
    match parse(raw, "") {
        Ok(email) => assert!(email.from.address.contains('@')),
        Err(error) => assert!(matches!(error, InboundError::Unparseable | InboundError::NoSender)),
    }
}
