// Segment's own Node library (@segment/analytics-node 3.1.0) sends identify, track, page,
// group and alias calls to a running Rapport server's `/segment/v1/batch`; the results are then
// read back through Rapport's REST API. Bad requests (wrong key, oversize, malformed JSON) are
// refused with Segment's codes and write nothing. Started by run.sh, which sets RAPPORT_URL,
// RAPPORT_TOKEN (an API token) and RAPPORT_TRACKING_KEY (the workspace's write key).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Analytics } from "@segment/analytics-node";

const BASE = process.env.RAPPORT_URL;
const TOKEN = process.env.RAPPORT_TOKEN;
const KEY = process.env.RAPPORT_TRACKING_KEY;

async function api(method, path, body) {
  const response = await fetch(`${BASE}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function contactByUserId(userId) {
  const found = await api("POST", "/contacts/search", {
    query: { field: "external_id", operator: "=", value: userId },
  });
  assert.equal(found.status, 200);
  return found.body.data[0];
}

async function eventNames(contactId) {
  const events = await api("GET", `/events?type=user&intercom_user_id=${contactId}`);
  assert.equal(events.status, 200);
  return events.body.events.map((e) => e.event_name).sort();
}

function client(writeKey) {
  const analytics = new Analytics({
    writeKey,
    host: BASE,
    path: "/segment/v1/batch",
    flushInterval: 200,
    maxRetries: 2,
  });
  const errors = [];
  analytics.on("error", (e) => errors.push(e));
  return { analytics, errors };
}

test("the Node library's calls land on contacts, events and companies", async () => {
  for (const [model, name] of [["contact", "node_plan_tier"], ["company", "node_tier"]]) {
    const created = await api("POST", "/data_attributes", { name, model, data_type: "string" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
  }
  const { analytics, errors } = client(KEY);
  analytics.track({ anonymousId: "node-anon", event: "Browsed Anonymously", properties: { page: "home" } });
  analytics.identify({
    userId: "node-u1",
    traits: { email: "node.user@example.com", name: "Node User", createdAt: "2024-05-01T10:00:00Z", node_plan_tier: "gold" },
  });
  analytics.track({ userId: "node-u1", event: "Signed Up", properties: { plan: "pro", seats: 3 } });
  analytics.page({ userId: "node-u1", name: "Pricing", properties: { url: "https://example.test/pricing", title: "Pricing" } });
  analytics.group({ userId: "node-u1", groupId: "node-acme", traits: { name: "Acme (Node)", plan: "pro", node_tier: "gold" } });
  analytics.alias({ previousId: "node-anon", userId: "node-u1" });
  await analytics.closeAndFlush();
  assert.deepEqual(errors, []);

  const contact = await contactByUserId("node-u1");
  assert.equal(contact.role, "user");
  assert.equal(contact.email, "node.user@example.com");
  assert.equal(contact.name, "Node User");
  assert.equal(contact.signed_up_at, Date.parse("2024-05-01T10:00:00Z") / 1000);
  assert.equal(contact.custom_attributes.node_plan_tier, "gold");
  assert.ok(contact.last_seen_at > 0);
  // The anonymous visitor's lead was merged into the user by the alias: its event moved along.
  assert.deepEqual(await eventNames(contact.id), ["browsed anonymously", "signed up", "viewed-page"]);
  const leads = await api("POST", "/contacts/search", { query: { field: "role", operator: "=", value: "lead" } });
  assert.equal(leads.body.total_count, 0);

  const company = await api("GET", "/companies?company_id=node-acme");
  assert.equal(company.status, 200);
  assert.equal(company.body.name, "Acme (Node)");
  assert.equal(company.body.plan.name, "pro");
  assert.equal(company.body.custom_attributes.node_tier, "gold");
  const attached = await api("GET", `/contacts/${contact.id}/companies`);
  assert.deepEqual(attached.body.companies.map((c) => c.company_id), ["node-acme"]);
});

test("a wrong write key is refused and writes nothing", async () => {
  const before = (await api("GET", "/contacts")).body.total_count;
  const { analytics, errors } = client("not-the-key");
  analytics.identify({ userId: "node-intruder", traits: { email: "intruder@example.com" } });
  await analytics.closeAndFlush();
  assert.ok(errors.length > 0, "the library reports the refusal");
  assert.equal((await api("GET", "/contacts")).body.total_count, before);
});

test("bad requests get Segment's codes and write nothing", async () => {
  const before = (await api("GET", "/contacts")).body.total_count;
  const basic = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;
  const post = (path, body, authorization = basic) =>
    fetch(`${BASE}/segment/v1/${path}`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body,
    });
  const track = JSON.stringify({ userId: "node-bad", event: "x" });
  assert.equal((await post("track", track, `Basic ${Buffer.from("wrong:").toString("base64")}`)).status, 401);
  assert.equal((await post("track", track, `Bearer ${TOKEN}`)).status, 401);
  assert.equal((await post("track", "{not json")).status, 400);
  const big = JSON.stringify({ userId: "node-bad", event: "x", properties: { blob: "x".repeat(40 * 1024) } });
  assert.equal((await post("track", big)).status, 400);
  const items = Array.from({ length: 40 }, () => ({ type: "track", userId: "node-bad", event: "x", properties: { blob: "x".repeat(15_000) } }));
  const oversize = await post("batch", JSON.stringify({ batch: items }));
  assert.equal(oversize.status, 400);
  assert.equal((await oversize.json()).errors[0].code, "request_too_large");
  assert.equal((await api("GET", "/contacts")).body.total_count, before);
});
