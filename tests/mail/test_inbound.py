"""Inbound email against a real `rapport serve` (see run.sh): Python's smtplib sends, the REST API
shows what was stored. Only the standard library is used."""

import hashlib
import hmac
import json
import os
import smtplib
import socket
import ssl
import time
import unittest
import urllib.error
import urllib.request
import uuid
from email.message import EmailMessage

API = os.environ["RAPPORT_URL"] + "/api"
TOKEN = os.environ["RAPPORT_TOKEN"]
APP_ID = os.environ["RAPPORT_APP_ID"]
WORKSPACE = json.loads(os.environ["RAPPORT_WORKSPACE_JSON"])
SMTP_HOST = os.environ["RAPPORT_SMTP_HOST"]
SMTP_PORT = int(os.environ["RAPPORT_SMTP_PORT_FOR_TESTS"])
MAX_BYTES = int(os.environ["RAPPORT_SMTP_MAX_FOR_TESTS"])
INBOX = WORKSPACE["inbound_email"]
DOMAIN = INBOX.split("@")[1]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def api(method, path, body=None, raw=False):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(API + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            payload = response.read()
            if raw:
                return response.status, response.headers, payload
            return response.status, json.loads(payload or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        if raw:
            return error.code, error.headers, payload
        return error.code, json.loads(payload or b"null")


def reply_token(conversation_id):
    secret = WORKSPACE["identity_verification_secret"].encode()
    mac = hmac.new(secret, b"rapport reply token:" + str(conversation_id).encode(), hashlib.sha256)
    return "c%d-%s" % (conversation_id, mac.hexdigest()[:16])


def new_id():
    return "<%s@client.example>" % uuid.uuid4()


def send(message, to=INBOX, sender=None):
    with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
        smtp.send_message(message, from_addr=sender, to_addrs=[to])


def plain_message(subject, body, sender="Alice Example <alice@example.com>", message_id=None, **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = INBOX
    message["Subject"] = subject
    message["Message-ID"] = message_id or new_id()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def conversations_with_subject(subject):
    status, page = api("GET", "/conversations?per_page=150")
    assert status == 200, page
    return [c for c in page["conversations"] if c["source"]["subject"] == subject]


def only_conversation(subject):
    found = conversations_with_subject(subject)
    assert len(found) == 1, "%d conversations with subject %r" % (len(found), subject)
    status, conversation = api("GET", "/conversations/%s" % found[0]["id"])
    assert status == 200, conversation
    return conversation


def parts(conversation):
    return conversation["conversation_parts"]["conversation_parts"]


def me():
    status, body = api("GET", "/me")
    assert status == 200, body
    return body["id"]


class InboundEmail(unittest.TestCase):
    def test_plain_mail_becomes_an_email_conversation_from_a_new_lead(self):
        subject = "Plain %s" % uuid.uuid4()
        body = "My invoice is wrong.\n\nOn Mon, 2 Mar 2026, Support <s@x.example> wrote:\n> old\n\n-- \nAlice\n"
        message = plain_message(subject, body, sender="Alice Plain <alice.plain@example.com>")
        send(message)
        conversation = only_conversation(subject)
        self.assertEqual(conversation["source"]["type"], "email")
        self.assertEqual(conversation["source"]["body"], "<p>My invoice is wrong.</p>")
        contact_id = conversation["contacts"]["contacts"][0]["id"]
        status, contact = api("GET", "/contacts/%s" % contact_id)
        self.assertEqual(status, 200)
        self.assertEqual(contact["email"], "alice.plain@example.com")
        self.assertEqual(contact["name"], "Alice Plain")
        self.assertEqual(contact["role"], "lead")
        # The email behind the opening message: headers, auth results, the raw original.
        part_id = conversation["source"]["id"]
        status, email = api("GET", "/conversations/%s/parts/%s/email" % (conversation["id"], part_id))
        self.assertEqual(status, 200, email)
        self.assertEqual(email["message_id"], message["Message-ID"].strip("<>"))
        self.assertEqual(email["from"], "alice.plain@example.com")
        self.assertEqual(set(email["auth_results"]) >= {"spf", "dkim", "dmarc"}, True, email)
        self.assertIsNone(email["automatic"])
        status, headers, raw = api("GET", email["raw_url"][len("/api"):], raw=True)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "message/rfc822")
        self.assertTrue(headers["Content-Disposition"].startswith("attachment"))
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertIn(b"On Mon, 2 Mar 2026", raw)  # the full original is kept
        self.assertIn(b"Alice\r\n", raw)

    def test_html_mail_is_sanitized(self):
        subject = "HTML %s" % uuid.uuid4()
        message = EmailMessage()
        message["From"] = "html.sender@example.com"
        message["To"] = INBOX
        message["Subject"] = subject
        message["Message-ID"] = new_id()
        message.set_content(
            '<p onmouseover="steal()">Hello <b>there</b><script>alert(document.cookie)</script>'
            '<a href="javascript:alert(1)">click</a><iframe src="https://evil.example/"></iframe></p>',
            subtype="html")
        send(message)
        body = only_conversation(subject)["source"]["body"]
        for bad in ("<script", "onmouseover", "javascript:", "<iframe", "alert("):
            self.assertNotIn(bad, body)
        self.assertIn("Hello", body)

    def test_attachments_are_stored_with_safe_names_and_served_safely(self):
        subject = "Files %s" % uuid.uuid4()
        message = plain_message(subject, "Two files attached.", sender="files@example.com")
        message.add_attachment(b"name,amount\nx,1\n", maintype="text", subtype="csv", filename="../../etc/report.csv")
        message.add_attachment(PNG, maintype="image", subtype="png", filename="..\\..\\shot.png")
        message.add_attachment(b"<html><script>alert(1)</script></html>", maintype="text", subtype="html",
                               filename="evil.html")
        send(message)
        conversation = only_conversation(subject)
        attachments = conversation["source"]["attachments"]
        self.assertEqual(sorted(a["name"] for a in attachments), ["report.csv", "shot.png"])
        self.assertIn("evil.html not kept", conversation["source"]["body"])
        for attachment in attachments:
            path = attachment["url"].split("/api", 1)[1]
            status, headers, content = api("GET", path, raw=True)
            self.assertEqual(status, 200)
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
            self.assertEqual(headers["Content-Security-Policy"], "sandbox")
            if attachment["name"] == "report.csv":
                self.assertTrue(headers["Content-Disposition"].startswith("attachment"))
                self.assertEqual(content, b"name,amount\nx,1\n")
            else:
                self.assertEqual(content, PNG)

    def test_replies_thread_by_headers_and_reopen_a_closed_conversation(self):
        subject = "Thread %s" % uuid.uuid4()
        first = plain_message(subject, "First message.", sender="thread@example.com")
        send(first)
        conversation = only_conversation(subject)
        status, closed = api("POST", "/conversations/%s/parts" % conversation["id"],
                             {"message_type": "close", "type": "admin", "admin_id": me()})
        self.assertEqual(status, 200, closed)
        self.assertEqual(closed["state"], "closed")
        reply = plain_message("Re: " + subject, "Second message.\n\n> First message.", sender="thread@example.com",
                              In_Reply_To=first["Message-ID"], References=first["Message-ID"])
        send(reply)
        # References alone (a client that drops In-Reply-To) threads too.
        third = plain_message("Re: " + subject, "Third message.", sender="thread@example.com",
                              References="<unknown@x> " + reply["Message-ID"])
        send(third)
        conversation = only_conversation(subject)
        self.assertEqual(conversation["state"], "open")
        comments = [p["body"] for p in parts(conversation) if p["part_type"] == "comment"]
        self.assertEqual(comments, ["<p>Second message.</p>", "<p>Third message.</p>"])
        self.assertEqual(conversations_with_subject("Re: " + subject), [])

    def test_replies_thread_by_reply_token(self):
        subject = "Token %s" % uuid.uuid4()
        send(plain_message(subject, "Opening.", sender="token@example.com"))
        conversation = only_conversation(subject)
        address = "%s+%s@%s" % (APP_ID, reply_token(int(conversation["id"])), DOMAIN)
        reply = plain_message("Re: something else", "By token.", sender="token@example.com")
        del reply["To"]
        reply["To"] = address
        send(reply, to=address)
        conversation = only_conversation(subject)
        self.assertEqual([p["body"] for p in parts(conversation)], ["<p>By token.</p>"])
        # A forged token is not a way into that conversation: the mail starts a new one.
        forged = "%s+c%s-0000000000000000@%s" % (APP_ID, conversation["id"], DOMAIN)
        other = plain_message("Forged %s" % uuid.uuid4(), "Forged.", sender="token@example.com")
        send(other, to=forged)
        self.assertEqual(len(parts(only_conversation(subject))), 1)
        self.assertEqual(len(conversations_with_subject(other["Subject"])), 1)

    def test_the_same_message_id_is_stored_once(self):
        subject = "Twice %s" % uuid.uuid4()
        message = plain_message(subject, "Once only.", sender="twice@example.com")
        send(message)
        send(message)
        self.assertEqual(len(conversations_with_subject(subject)), 1)
        self.assertEqual(parts(only_conversation(subject)), [])

    def test_auto_replies_and_bounces_never_reopen_or_start_storms(self):
        subject = "Loop %s" % uuid.uuid4()
        first = plain_message(subject, "Please help.", sender="loop@example.com")
        send(first)
        conversation = only_conversation(subject)
        status, _ = api("POST", "/conversations/%s/parts" % conversation["id"],
                        {"message_type": "close", "type": "admin", "admin_id": me()})
        self.assertEqual(status, 200)
        auto = plain_message("Out of office", "I am away.", sender="loop@example.com",
                             In_Reply_To=first["Message-ID"], Auto_Submitted="auto-replied")
        send(auto)
        # A delivery report (multipart/report) from the mailer daemon, with the null sender.
        bounce = ("From: Mail Delivery System <MAILER-DAEMON@example.com>\r\nTo: %s\r\n"
                  "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: %s\r\nReferences: %s\r\n"
                  "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
                  "\r\n--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
                  "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n"
                  "--b--\r\n" % (INBOX, new_id(), first["Message-ID"]))
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            smtp.sendmail("", [INBOX], bounce.encode())
        conversation = only_conversation(subject)
        self.assertEqual(conversation["state"], "closed")
        notes = [p for p in parts(conversation) if p["part_type"] == "note"]
        self.assertEqual(len(notes), 2, parts(conversation))
        self.assertTrue(notes[0]["body"].startswith("<p>[automatic email: auto_reply]</p>"))
        self.assertTrue(notes[1]["body"].startswith("<p>[automatic email: bounce]</p>"))
        status, email = api("GET", "/conversations/%s/parts/%s/email" % (conversation["id"], notes[1]["id"]))
        self.assertEqual(status, 200)
        self.assertEqual(email["automatic"], "bounce")

    def test_starttls(self):
        subject = "TLS %s" % uuid.uuid4()
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            smtp.ehlo()
            self.assertTrue(smtp.has_extn("starttls"))
            smtp.starttls(context=context)
            smtp.ehlo()
            self.assertFalse(smtp.has_extn("starttls"))
            smtp.send_message(plain_message(subject, "Sent over TLS.", sender="tls@example.com"))
        self.assertEqual(only_conversation(subject)["source"]["body"], "<p>Sent over TLS.</p>")

    def test_unknown_recipients_are_refused_at_rcpt(self):
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.send_message(plain_message("nobody", "x"), to_addrs=["nobody@%s" % DOMAIN])
            self.assertEqual(refused.exception.recipients["nobody@%s" % DOMAIN][0], 550)
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(plain_message("elsewhere", "x"), to_addrs=[APP_ID + "@elsewhere.example"])

    def test_oversize_mail_is_refused_with_552(self):
        big = plain_message("Big %s" % uuid.uuid4(), "x" * (MAX_BYTES + 1000), sender="big@example.com")
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            # smtplib announces SIZE, so the refusal comes at MAIL FROM.
            with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
                smtp.send_message(big)
            self.assertEqual(refused.exception.smtp_code, 552)
        # Without SIZE the limit holds at the end of DATA.
        raw = big.as_bytes().replace(b"\n", b"\r\n")
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            smtp.helo("client.example")  # HELO: no extensions, so no SIZE parameter is sent
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("big@example.com", [INBOX], raw)
            self.assertEqual(refused.exception.smtp_code, 552)
        self.assertEqual(conversations_with_subject(big["Subject"]), [])

    def test_hostile_mail_is_stored_safely_or_refused_cleanly(self):
        # Malformed MIME: a boundary that never comes, a part with broken headers.
        subject = "Malformed %s" % uuid.uuid4()
        malformed = ("From: broken@example.com\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/mixed; boundary=\"never\"\r\n\r\n--wrong\r\nContent-Type text/html\r\n"
                     "\r\n<script>alert(1)</script>broken body\r\n" % (INBOX, subject, new_id()))
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            smtp.sendmail("broken@example.com", [INBOX], malformed.encode())
        self.assertNotIn("<script", only_conversation(subject)["source"]["body"])
        # Huge headers (one 100 kB header line).
        subject = "Huge %s" % uuid.uuid4()
        huge = plain_message(subject, "Small body.", sender="huge@example.com")
        huge["X-Padding"] = "y" * 100_000
        send(huge)
        self.assertEqual(only_conversation(subject)["source"]["body"], "<p>Small body.</p>")
        # No From at all: refused with a 5xx, nothing stored.
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("x@example.com", [INBOX], b"Subject: no sender\r\n\r\nbody\r\n")
            self.assertEqual(refused.exception.smtp_code, 554)
        # Binary junk: refused or stored, and the listener keeps working.
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            try:
                smtp.sendmail("x@example.com", [INBOX], bytes(range(256)) * 10)
            except smtplib.SMTPDataError as error:
                self.assertGreaterEqual(error.smtp_code, 500)
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            self.assertEqual(smtp.noop()[0], 250)

    def test_pipelined_commands_are_answered_in_order(self):
        subject = "Pipelined %s" % uuid.uuid4()
        message = plain_message(subject, "Pipelined body.", sender="pipe@example.com")
        data = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with socket.create_connection((SMTP_HOST, SMTP_PORT), timeout=30) as s:
            reader = s.makefile("rb")
            self.assertTrue(reader.readline().startswith(b"220"))
            s.sendall(b"EHLO client.example\r\n")
            while True:
                line = reader.readline()
                if line[3:4] == b" ":
                    break
            s.sendall(b"MAIL FROM:<pipe@example.com>\r\nRCPT TO:<nobody@%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                      % (DOMAIN.encode(), INBOX.encode()))
            codes = [reader.readline()[:3] for _ in range(4)]
            self.assertEqual(codes, [b"250", b"550", b"250", b"354"])
            s.sendall(data + b"\r\n.\r\nQUIT\r\n")
            self.assertEqual(reader.readline()[:3], b"250")
            self.assertEqual(reader.readline()[:3], b"221")
        self.assertEqual(only_conversation(subject)["source"]["body"], "<p>Pipelined body.</p>")

    def test_support_addresses(self):
        status, settings = api("PUT", "/email_settings", {"support_addresses": ["Help@Acme.test", "help@acme.test"]})
        self.assertEqual(status, 200, settings)
        self.assertEqual(settings["support_addresses"], ["help@acme.test"])
        status, error = api("PUT", "/email_settings", {"support_addresses": ["help@acme.test", "not an address"]})
        self.assertEqual(status, 400, error)
        self.assertEqual(error["type"], "error.list")
        status, settings = api("GET", "/email_settings")
        self.assertEqual(settings["support_addresses"], ["help@acme.test"])
        subject = "Support %s" % uuid.uuid4()
        message = plain_message(subject, "Via the support address.", sender="customer@example.com")
        send(message, to="HELP@acme.test")
        self.assertEqual(only_conversation(subject)["source"]["body"], "<p>Via the support address.</p>")


if __name__ == "__main__":
    unittest.main(verbosity=2)
