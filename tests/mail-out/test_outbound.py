"""Outbound email end to end (run by tests/mail-out/run.sh against a real `rapport serve` whose
relay is the aiosmtpd sink). Until the inbound listener exists, a conversation becomes an email
conversation by writing what the listener would store into the SQLite file."""
import base64
import email
import email.policy
import glob
import json
import os
import re
import sqlite3
import time
import unittest
import urllib.error
import urllib.request

import dkim

URL = os.environ["RAPPORT_URL"]
TOKEN = os.environ["RAPPORT_TOKEN"]
APP_ID = os.environ["RAPPORT_APP_ID"]
ADMIN_ID = os.environ["RAPPORT_ADMIN_ID"]
SQLITE = os.environ["RAPPORT_SQLITE"]
SINK_OUT = os.environ["SINK_OUT"]
DKIM_PUBLIC_KEY = os.environ["DKIM_PUBLIC_KEY"]


def api(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(URL + "/api" + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def email_conversation(customer, subject, message_id):
    status, contact = api("POST", "/contacts", {"role": "user", "email": customer, "name": "Bob"})
    assert status == 200, contact
    status, conversation = api(
        "POST", "/conversations", {"from": {"type": "user", "id": contact["id"]}, "body": "Where is my order?"}
    )
    assert status == 200, conversation
    cid = int(conversation["conversation_id"] if "conversation_id" in conversation else conversation["id"])
    db = sqlite3.connect(SQLITE, timeout=10)
    with db:
        db.execute("UPDATE conversations SET source_type = 'email', source_subject = ? WHERE id = ?", (subject, cid))
        db.execute(
            "INSERT INTO email_messages (workspace_id, conversation_id, direction, message_id, reference_ids, "
            "from_address, delivery_state, created_at, updated_at) "
            "SELECT workspace_id, id, 'inbound', ?, '', ?, 'received', 0, 0 FROM conversations WHERE id = ?",
            (message_id, customer, cid),
        )
    db.close()
    return cid


def reply(cid, body):
    status, conversation = api(
        "POST", f"/conversations/{cid}/reply", {"message_type": "comment", "type": "admin", "admin_id": ADMIN_ID, "body": body}
    )
    assert status == 200, conversation
    return conversation["conversation_parts"]["conversation_parts"][-1]


def settled_delivery(cid, part_id):
    """The part's email_delivery once it is no longer queued (bounded wait)."""
    for _ in range(300):
        status, conversation = api("GET", f"/conversations/{cid}")
        assert status == 200, conversation
        part = next(p for p in conversation["conversation_parts"]["conversation_parts"] if p["id"] == part_id)
        if part["email_delivery"]["state"] != "queued":
            return part["email_delivery"]
        time.sleep(0.1)
    raise AssertionError("the reply was never settled")


def received():
    found = []
    for path in sorted(glob.glob(os.path.join(SINK_OUT, "*.eml")), key=lambda p: int(os.path.basename(p)[:-4])):
        with open(path, "rb") as f:
            found.append(f.read())
    return found


def dns_txt(name, timeout=5):
    """The DKIM key record the test publishes for s1._domainkey.acme.test."""
    if name != b"s1._domainkey.acme.test.":
        return None
    with open(DKIM_PUBLIC_KEY) as f:
        pem = f.read()
    key = "".join(line for line in pem.splitlines() if "-----" not in line)
    return ("v=DKIM1; k=rsa; p=" + key).encode()


class OutboundEmail(unittest.TestCase):
    def test_a_reply_is_sent_threaded_signed_and_shown_as_sent(self):
        cid = email_conversation("bob@client.test", "Order 42", "first@client.test")
        before = len(received())
        part = reply(cid, "<p>Hi Bob,</p><p>It ships <b>today</b> &amp; arrives Friday.</p><script>x()</script>")
        self.assertEqual(part["email_delivery"]["state"], "queued")
        delivery = settled_delivery(cid, part["id"])
        self.assertEqual(delivery["state"], "sent", delivery)
        self.assertIsNone(delivery["error"])
        self.assertEqual(delivery["attempts"], 1)
        self.assertIsInstance(delivery["sent_at"], int)

        messages = received()
        self.assertEqual(len(messages), before + 1)
        raw = messages[-1]
        self.assertTrue(dkim.verify(raw, dnsfunc=dns_txt), "the DKIM signature verifies")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        sender = message["From"].addresses[0]
        self.assertEqual((sender.display_name, sender.addr_spec), ("Alice at Acme", "support@acme.test"))
        self.assertEqual(str(message["To"]), "bob@client.test")
        self.assertEqual(str(message["Subject"]), "Re: Order 42")
        self.assertRegex(str(message["Message-ID"]), r"^<rapport\.\d+\.[0-9a-f]{24}@acme\.test>$")
        self.assertEqual(str(message["In-Reply-To"]), "<first@client.test>")
        self.assertEqual(str(message["References"]), "<first@client.test>")
        self.assertRegex(str(message["Reply-To"]), r"^%s\+c%d-[0-9a-f]{16}@acme\.test$" % (APP_ID, cid))
        self.assertIsNone(message["Auto-Submitted"])
        self.assertIn(f"rapport.{part['id']}.", str(message["Message-ID"]))
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        self.assertIn("It ships today & arrives Friday.", text)
        self.assertIn("It ships today &amp; arrives Friday.", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("<b>", html)
        self.assertIn("Alice at Acme", html)

        # The next reply references ours.
        first_id = str(message["Message-ID"])
        part = reply(cid, "One more thing.")
        self.assertEqual(settled_delivery(cid, part["id"])["state"], "sent")
        second = email.message_from_bytes(received()[-1], policy=email.policy.default)
        self.assertEqual(str(second["References"]), "<first@client.test> " + first_id)
        self.assertEqual(str(second["In-Reply-To"]), "<first@client.test>")

    def test_a_refused_address_shows_failed_with_the_relays_reason(self):
        cid = email_conversation("gone@client.test", "Refund", "refund-1@client.test")
        before = len(received())
        part = reply(cid, "Your refund is on its way.")
        delivery = settled_delivery(cid, part["id"])
        self.assertEqual(delivery["state"], "failed")
        self.assertIn("550", delivery["error"])
        self.assertIn("mailbox unavailable", delivery["error"])
        self.assertEqual(len(received()), before)

    def test_notes_and_chat_replies_send_nothing(self):
        cid = email_conversation("carol@client.test", "Hello", "hello-1@client.test")
        status, conversation = api(
            "POST", f"/conversations/{cid}/reply", {"message_type": "note", "type": "admin", "admin_id": ADMIN_ID, "body": "internal"}
        )
        self.assertEqual(status, 200, conversation)
        self.assertIsNone(conversation["conversation_parts"]["conversation_parts"][-1]["email_delivery"])
        status, contact = api("POST", "/contacts", {"role": "user", "email": "dan@client.test"})
        status, chat = api("POST", "/conversations", {"from": {"type": "user", "id": contact["id"]}, "body": "hi"})
        chat_id = chat.get("conversation_id", chat.get("id"))
        part = reply(chat_id, "Hello from chat")
        self.assertIsNone(part["email_delivery"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
