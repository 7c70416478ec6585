"""Segment's own Python library (segment-analytics-python 2.4.0) sends identify, track, page,
screen, group and alias calls to a running Rapport server (host ending in `/segment`, so the
library posts to `/segment/v1/batch`); the results are read back through Rapport's REST API.
Started by run.sh, which sets RAPPORT_URL, RAPPORT_TOKEN and RAPPORT_TRACKING_KEY."""
import json
import os
import unittest
import urllib.request

from segment.analytics import Client
from segment.analytics.request import APIError

BASE = os.environ["RAPPORT_URL"]
TOKEN = os.environ["RAPPORT_TOKEN"]
KEY = os.environ["RAPPORT_TRACKING_KEY"]


def api(method, path, body=None):
    request = urllib.request.Request(
        f"{BASE}/api{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def contact_by_user_id(user_id):
    status, body = api("POST", "/contacts/search", {"query": {"field": "external_id", "operator": "=", "value": user_id}})
    assert status == 200, body
    return body["data"][0] if body["data"] else None


def event_names(contact_id):
    status, body = api("GET", f"/events?type=user&intercom_user_id={contact_id}")
    assert status == 200, body
    return sorted(e["event_name"] for e in body["events"])


class SegmentPythonLibrary(unittest.TestCase):
    def test_calls_land_on_contacts_events_and_companies(self):
        errors = []
        # The library's usual path: a consumer thread batching calls to /segment/v1/batch.
        client = Client(KEY, host=f"{BASE}/segment", max_retries=1, on_error=lambda error, batch: errors.append(error))
        client.page(anonymous_id="py-anon", name="Docs", properties={"url": "https://example.test/docs"})
        client.identify("py-u1", {"email": "py.user@example.com", "firstName": "Py", "lastName": "User",
                                  "phone": "+44 20 0000"})
        client.track("py-u1", "Order Completed", {"order_id": "A-1", "revenue": 42.5})
        client.screen("py-u1", name="Settings")
        client.group("py-u1", "py-co", {"name": "Py Co", "plan": "team", "employees": 12})
        client.alias("py-anon", "py-u1")
        # A retry of an applied call (same messageId) changes nothing.
        client.track("py-u1", "Order Completed", {"order_id": "A-2", "revenue": 10}, message_id="py-fixed-id")
        client.track("py-u1", "Order Completed", {"order_id": "A-2", "revenue": 10}, message_id="py-fixed-id")
        client.flush()
        client.shutdown()
        self.assertEqual(errors, [])

        contact = contact_by_user_id("py-u1")
        self.assertEqual(contact["email"], "py.user@example.com")
        self.assertEqual(contact["name"], "Py User")
        self.assertEqual(contact["phone"], "+44 20 0000")
        self.assertEqual(event_names(contact["id"]),
                         ["order completed", "order completed", "viewed-page", "viewed-screen"])
        status, company = api("GET", "/companies?company_id=py-co")
        self.assertEqual(status, 200, company)
        self.assertEqual((company["name"], company["plan"]["name"], company["size"]), ("Py Co", "team", 12))
        status, attached = api("GET", f"/contacts/{contact['id']}/companies")
        self.assertEqual([c["company_id"] for c in attached["companies"]], ["py-co"])

    def test_a_wrong_key_is_refused_and_writes_nothing(self):
        _, before = api("GET", "/contacts")
        # Sync mode posts each call at once and raises what the server answered.
        client = Client("not-the-key", host=f"{BASE}/segment", sync_mode=True, max_retries=0)
        with self.assertRaises(APIError) as refused:
            client.identify("py-intruder", {"email": "intruder@example.com"})
        self.assertEqual(refused.exception.status, 401)
        self.assertIsNone(contact_by_user_id("py-intruder"))
        _, after = api("GET", "/contacts")
        self.assertEqual(after["total_count"], before["total_count"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
