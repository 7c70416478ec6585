// Drives a running Rapport server through the official Intercom Node SDK (intercom-client 7.0.3)
// and asserts on what comes back. Needs RAPPORT_URL (server root) and RAPPORT_TOKEN (an API token
// of an admin who may write); tests/sdk/run.sh sets everything up. The steps share state and run
// in order (node:test runs a file's top-level tests one after another).
import assert from "node:assert/strict";
import { test } from "node:test";
import { IntercomClient, IntercomError } from "intercom-client";

const URL = process.env.RAPPORT_URL;
const TOKEN = process.env.RAPPORT_TOKEN;
const skip = !URL || !TOKEN ? "RAPPORT_URL and RAPPORT_TOKEN are not set (use tests/sdk/run.sh)" : false;
const client = skip ? null : new IntercomClient({ token: TOKEN, baseUrl: URL.replace(/\/$/, "") + "/api", maxRetries: 0 });

// Unique per run, so the suite can run again on the same database.
const run = Date.now().toString(36);
const s = {}; // state shared by the steps
const now = () => Math.floor(Date.now() / 1000);

/** Asserts that `promise` rejects with an SDK error of HTTP `status`. */
async function rejectsWith(status, promise) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof IntercomError, `expected an IntercomError, got ${err}`);
    assert.equal(err.statusCode, status, JSON.stringify(err.body));
    assert.equal(err.body?.type, "error.list");
    return true;
  });
}

/** Collects every item of an SDK pager (`for await` follows the pages). */
async function all(pager) {
  const items = [];
  for await (const item of await pager) items.push(item);
  return items;
}

const sameId = (a, b) => assert.equal(String(a), String(b));

test("admins: identify, list, find, away", { skip }, async () => {
  const me = await client.admins.identify();
  assert.equal(me.type, "admin");
  assert.ok(me.id && me.email);
  assert.equal(me.app?.type, "app");
  assert.ok(me.app.id_code);
  s.me = me;

  const list = await client.admins.list();
  assert.equal(list.type, "admin.list");
  assert.ok(list.admins.some((a) => String(a.id) === String(me.id)));

  const found = await client.admins.find({ admin_id: me.id });
  assert.equal(found.email, me.email);

  const away = await client.admins.away({ admin_id: me.id, away_mode_enabled: true, away_mode_reassign: false });
  assert.equal(away.away_mode_enabled, true);
  const back = await client.admins.away({ admin_id: me.id, away_mode_enabled: false, away_mode_reassign: false });
  assert.equal(back.away_mode_enabled, false);
  await rejectsWith(404, client.admins.find({ admin_id: 987654321 }));
});

test("teams: list, find", { skip }, async () => {
  // Intercom has no team-creation endpoint; Rapport's own POST /teams makes one to look at.
  const res = await fetch(`${URL}/api/teams`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `SDK team ${run}`, admin_ids: [s.me.id] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const created = await res.json();

  const teams = await client.teams.list();
  assert.equal(teams.type, "team.list");
  const team = teams.teams.find((t) => String(t.id) === String(created.id));
  assert.ok(team, "the new team is listed");
  const found = await client.teams.find({ team_id: String(team.id) });
  assert.equal(found.type, "team");
  assert.equal(found.name, `SDK team ${run}`);
  assert.ok(found.admin_ids.map(String).includes(String(s.me.id)));
  s.team = found;
});

test("dataAttributes: create, list, update", { skip }, async () => {
  const attr = await client.dataAttributes.create({
    name: `tier_${run}`,
    model: "contact",
    data_type: "string",
    description: "Support tier",
  });
  assert.equal(attr.type, "data_attribute");
  assert.equal(attr.name, `tier_${run}`);
  assert.equal(attr.full_name, `custom_attributes.tier_${run}`);
  assert.equal(attr.custom, true);
  s.attr = attr;

  const list = await client.dataAttributes.list({ model: "contact" });
  assert.equal(list.type, "list");
  assert.ok(list.data.some((a) => a.name === `tier_${run}`));
  assert.ok(list.data.some((a) => a.name === "email"), "built-in attributes are listed too");

  const updated = await client.dataAttributes.update({ data_attribute_id: attr.id, body: { description: "Tier" } });
  assert.equal(updated.description, "Tier");
  await rejectsWith(400, client.dataAttributes.create({ name: `tier_${run}`, model: "contact", data_type: "string" }));
});

test("contacts: create, find, update, find by external id", { skip }, async () => {
  const user = await client.contacts.create({
    role: "user",
    external_id: `ext-${run}`,
    email: `user-${run}@sdk.example`,
    name: "Sdk User",
    custom_attributes: { [`tier_${run}`]: "gold" },
  });
  assert.equal(user.type, "contact");
  assert.equal(user.role, "user");
  assert.equal(user.email, `user-${run}@sdk.example`);
  assert.equal(user.email_domain, "sdk.example");
  assert.equal(typeof user.id, "string");
  assert.equal(user.custom_attributes[`tier_${run}`], "gold");
  s.user = user;

  const lead = await client.contacts.create({ role: "lead", email: `lead-${run}@sdk.example`, name: "Sdk Lead" });
  assert.equal(lead.role, "lead");
  s.lead = lead;
  s.extra = [];
  for (let i = 0; i < 3; i++) {
    s.extra.push(await client.contacts.create({ role: "user", email: `extra-${i}-${run}@sdk.example` }));
  }

  const found = await client.contacts.find({ contact_id: user.id });
  assert.equal(found.id, user.id);
  assert.equal(found.external_id, `ext-${run}`);
  assert.equal(found.location?.type, "location");

  const updated = await client.contacts.update({ contact_id: user.id, name: "Sdk User Renamed", phone: "+15550100" });
  assert.equal(updated.name, "Sdk User Renamed");
  assert.equal(updated.phone, "+15550100");
  assert.equal(updated.custom_attributes[`tier_${run}`], "gold", "untouched fields stay");

  const byExternal = await client.contacts.showContactByExternalId({ external_id: `ext-${run}` });
  assert.equal(byExternal.id, user.id);
  await rejectsWith(404, client.contacts.find({ contact_id: "999999999" }));
});

test("contacts: list every page with for await, nested search", { skip }, async () => {
  const listed = await all(client.contacts.list({ per_page: 2 }));
  const ids = new Set(listed.map((c) => c.id));
  assert.equal(ids.size, listed.length, "no contact is listed twice across pages");
  for (const c of [s.user, s.lead, ...s.extra]) assert.ok(ids.has(c.id), `${c.email} is listed`);

  const found = await all(
    client.contacts.search({
      query: {
        operator: "AND",
        value: [
          { field: "email", operator: "~", value: run },
          {
            operator: "OR",
            value: [
              { field: "role", operator: "=", value: "lead" },
              { field: `custom_attributes.tier_${run}`, operator: "=", value: "gold" },
            ],
          },
        ],
      },
      pagination: { per_page: 1 },
    }),
  );
  assert.deepEqual(found.map((c) => c.id).sort(), [s.user.id, s.lead.id].sort());
});

test("contacts: tags and notes", { skip }, async () => {
  const tag = await client.tags.create({ name: `sdk-${run}` });
  assert.equal(tag.type, "tag");
  assert.equal(tag.name, `sdk-${run}`);
  s.tag = tag;

  const applied = await client.tags.tagContact({ contact_id: s.user.id, id: tag.id });
  sameId(applied.id, tag.id);
  const tags = await client.contacts.listAttachedTags({ contact_id: s.user.id });
  assert.ok(tags.data.some((t) => String(t.id) === String(tag.id)));
  const removed = await client.tags.untagContact({ contact_id: s.user.id, tag_id: tag.id });
  sameId(removed.id, tag.id);
  const after = await client.contacts.listAttachedTags({ contact_id: s.user.id });
  assert.ok(!after.data.some((t) => String(t.id) === String(tag.id)));

  const note = await client.notes.create({ contact_id: s.user.id, body: "<p>Called about billing</p>", admin_id: s.me.id });
  assert.equal(note.type, "note");
  assert.equal(note.body, "<p>Called about billing</p>");
  sameId(note.author.id, s.me.id);
  const notes = await all(client.notes.list({ contact_id: s.user.id }));
  assert.ok(notes.some((n) => String(n.id) === String(note.id)));
  const again = await client.notes.find({ note_id: note.id });
  assert.equal(again.body, note.body);
});

test("companies: createOrUpdate, find, update, list, scroll, contacts", { skip }, async () => {
  const company = await client.companies.createOrUpdate({
    company_id: `cmp-${run}`,
    name: "Sdk Corp",
    plan: "pro",
    size: 42,
    industry: "Software",
    monthly_spend: 100,
    remote_created_at: 1374138000,
  });
  assert.equal(company.type, "company");
  assert.equal(company.company_id, `cmp-${run}`);
  assert.equal(company.name, "Sdk Corp");
  s.company = company;
  const upserted = await client.companies.createOrUpdate({ company_id: `cmp-${run}`, name: "Sdk Corporation" });
  assert.equal(upserted.id, company.id, "createOrUpdate is an upsert on company_id");
  assert.equal(upserted.name, "Sdk Corporation");
  s.other = await client.companies.createOrUpdate({ company_id: `cmp2-${run}`, name: "Other Corp" });

  const found = await client.companies.find({ company_id: company.id });
  assert.equal(found.name, "Sdk Corporation");
  const updated = await client.companies.update({ company_id: company.id, body: { website: "https://sdk.example" } });
  assert.equal(updated.website, "https://sdk.example");

  const listed = await all(client.companies.list({ per_page: 1 }));
  assert.ok(listed.some((c) => c.id === company.id) && listed.some((c) => c.id === s.other.id));
  const scrolled = await all(client.companies.scroll());
  assert.ok(scrolled.some((c) => c.id === company.id));

  const attached = await client.companies.attachContact({ contact_id: s.user.id, id: company.id });
  assert.equal(attached.id, company.id);
  const ofContact = await all(client.contacts.listAttachedCompanies({ contact_id: s.user.id }));
  assert.deepEqual(ofContact.map((c) => c.id), [company.id]);
  const ofCompany = await client.companies.listAttachedContacts({ company_id: company.id });
  assert.ok(ofCompany.data.some((c) => c.id === s.user.id));
  const detached = await client.companies.detachContact({ contact_id: s.user.id, company_id: company.id });
  assert.equal(detached.id, company.id);
  assert.deepEqual(await all(client.contacts.listAttachedCompanies({ contact_id: s.user.id })), []);

  const tagged = await client.tags.create({ name: `sdk-${run}`, companies: [{ id: company.id }] });
  sameId(tagged.id, s.tag.id);
  await rejectsWith(400, client.tags.delete({ tag_id: s.tag.id }));
  await client.tags.create({ name: `sdk-${run}`, companies: [{ id: company.id, untag: true }] });

  const deleted = await client.companies.delete({ company_id: s.other.id });
  assert.equal(deleted.deleted, true);
  await rejectsWith(404, client.companies.find({ company_id: s.other.id }));
});

test("contacts: merge lead into user, archive, unarchive, delete", { skip }, async () => {
  const merged = await client.contacts.mergeLeadInUser({ from: s.lead.id, into: s.user.id });
  assert.equal(merged.id, s.user.id);
  assert.equal(merged.role, "user");

  const archived = await client.contacts.archive({ contact_id: s.extra[0].id });
  assert.equal(archived.archived, true);
  const unarchived = await client.contacts.unarchive({ contact_id: s.extra[0].id });
  assert.equal(unarchived.archived, false);

  const deleted = await client.contacts.delete({ contact_id: s.extra[1].id });
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.id, s.extra[1].id);
  await rejectsWith(404, client.contacts.find({ contact_id: s.extra[1].id }));
});

test("conversations: create, find, list, search", { skip }, async () => {
  const message = await client.conversations.create({
    from: { type: "user", id: s.user.id },
    body: `Hello, my zebrafish${run} invoice is wrong`,
  });
  assert.equal(message.type, "user_message");
  assert.ok(message.conversation_id);
  s.conversation = String(message.conversation_id);

  const conversation = await client.conversations.find({ conversation_id: s.conversation });
  assert.equal(conversation.type, "conversation");
  assert.equal(conversation.state, "open");
  assert.equal(conversation.open, true);
  assert.ok(conversation.source.body.includes(`zebrafish${run}`));
  assert.ok(conversation.contacts.contacts.some((c) => c.id === s.user.id));
  assert.equal(conversation.conversation_parts.type, "conversation_part.list");

  const listed = await all(client.conversations.list({ per_page: 1 }));
  assert.ok(listed.some((c) => String(c.id) === s.conversation));

  const byText = await all(
    client.conversations.search({ query: { field: "source.body", operator: "~", value: `zebrafish${run}` } }),
  );
  assert.deepEqual(byText.map((c) => String(c.id)), [s.conversation]);
  const byContact = await all(
    client.conversations.search({
      query: {
        operator: "AND",
        value: [
          { field: "contact_ids", operator: "=", value: s.user.id },
          { operator: "OR", value: [{ field: "state", operator: "=", value: "open" }, { field: "read", operator: "=", value: true }] },
        ],
      },
    }),
  );
  assert.ok(byContact.some((c) => String(c.id) === s.conversation));
});

test("conversations: reply as admin, note, and contact", { skip }, async () => {
  const id = s.conversation;
  const partsOf = (c) => c.conversation_parts.conversation_parts;
  const afterComment = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: "comment", type: "admin", admin_id: s.me.id, body: "<p>Sorry, fixing it</p>" },
  });
  const comment = partsOf(afterComment).at(-1);
  assert.equal(comment.part_type, "comment");
  assert.equal(comment.author.type, "admin");
  sameId(comment.author.id, s.me.id);

  const afterNote = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: "note", type: "admin", admin_id: s.me.id, body: "<p>Refund issued</p>" },
  });
  assert.equal(partsOf(afterNote).at(-1).part_type, "note");

  const afterUser = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: "comment", type: "user", intercom_user_id: s.user.id, body: "Thanks!" },
  });
  const last = partsOf(afterUser).at(-1);
  assert.equal(last.author.type, "user");
  assert.equal(last.author.id, s.user.id);
  assert.equal(afterUser.conversation_parts.total_count, partsOf(afterUser).length);
  await rejectsWith(404, client.conversations.reply({
    conversation_id: "999999999",
    body: { message_type: "comment", type: "admin", admin_id: s.me.id, body: "nobody" },
  }));
});

test("conversations: manage (assign admin and team, snooze, open, close)", { skip }, async () => {
  const id = s.conversation;
  const toAdmin = await client.conversations.manage({
    conversation_id: id,
    body: { message_type: "assignment", type: "admin", admin_id: s.me.id, assignee_id: s.me.id },
  });
  sameId(toAdmin.admin_assignee_id, s.me.id);
  const toTeam = await client.conversations.manage({
    conversation_id: id,
    body: { message_type: "assignment", type: "team", admin_id: s.me.id, assignee_id: String(s.team.id) },
  });
  sameId(toTeam.team_assignee_id, s.team.id);

  const snoozedUntil = now() + 3600;
  const snoozed = await client.conversations.manage({
    conversation_id: id,
    body: { message_type: "snoozed", admin_id: s.me.id, snoozed_until: snoozedUntil },
  });
  assert.equal(snoozed.state, "snoozed");
  assert.equal(snoozed.snoozed_until, snoozedUntil);
  const opened = await client.conversations.manage({ conversation_id: id, body: { message_type: "open", admin_id: s.me.id } });
  assert.equal(opened.state, "open");
  const closed = await client.conversations.manage({
    conversation_id: id,
    body: { message_type: "close", type: "admin", admin_id: s.me.id, body: "Goodbye :)" },
  });
  assert.equal(closed.state, "closed");
  assert.equal(closed.open, false);
  assert.equal(closed.conversation_parts.conversation_parts.at(-1).part_type, "close");

  const inbox = await all(
    client.conversations.search({
      query: { operator: "AND", value: [
        { field: "team_assignee_id", operator: "=", value: Number(s.team.id) },
        { field: "state", operator: "=", value: "closed" },
      ] },
    }),
  );
  assert.ok(inbox.some((c) => String(c.id) === id));
});

test("conversations: tag and untag", { skip }, async () => {
  const id = s.conversation;
  const tag = await client.tags.tagConversation({ conversation_id: id, id: String(s.tag.id), admin_id: s.me.id });
  sameId(tag.id, s.tag.id);
  const conversation = await client.conversations.find({ conversation_id: id });
  assert.ok(conversation.tags.tags.some((t) => String(t.id) === String(s.tag.id)));
  const untagged = await client.tags.untagConversation({ conversation_id: id, tag_id: String(s.tag.id), admin_id: s.me.id });
  sameId(untagged.id, s.tag.id);
  const after = await client.conversations.find({ conversation_id: id });
  assert.ok(!after.tags.tags.some((t) => String(t.id) === String(s.tag.id)));
});

test("tags: list, find, delete", { skip }, async () => {
  const list = await client.tags.list();
  assert.equal(list.type, "list");
  assert.ok(list.data.some((t) => String(t.id) === String(s.tag.id)));
  const found = await client.tags.find({ tag_id: String(s.tag.id) });
  assert.equal(found.name, `sdk-${run}`);

  const unused = await client.tags.create({ name: `unused-${run}` });
  assert.equal(await client.tags.delete({ tag_id: String(unused.id) }), undefined);
  await rejectsWith(404, client.tags.find({ tag_id: String(unused.id) }));
});

test("events: create, list, summaries", { skip }, async () => {
  const created = await client.events.create({
    event_name: "sdk-ran",
    created_at: now(),
    user_id: `ext-${run}`,
    metadata: { suite: "sdk", count: 3 },
  });
  assert.equal(created, undefined, "POST /events answers 202 with no body");
  await client.events.create({ event_name: "sdk-ran", created_at: now(), id: s.user.id });

  const list = await client.events.list({ type: "user", user_id: `ext-${run}` });
  assert.equal(list.type, "event.list");
  const mine = list.events.filter((e) => e.event_name === "sdk-ran");
  assert.equal(mine.length, 2);
  assert.equal(mine[0].intercom_user_id ?? s.user.id, s.user.id);

  const summary = await client.events.list({ type: "user", intercom_user_id: s.user.id, summary: true });
  assert.equal(summary.type, "event.summary");
  const ran = summary.events.find((e) => e.name === "sdk-ran");
  assert.equal(ran.count, 2);

  const t = now();
  const summaries = await client.events.summaries({
    user_id: `ext-${run}`,
    event_summaries: { event_name: "sdk-imported", count: 4, first: t - 86400, last: t },
  });
  assert.equal(summaries, undefined);
});

test("auth: a wrong token is refused", { skip }, async () => {
  const wrong = new IntercomClient({ token: "rpt_wrong", baseUrl: URL.replace(/\/$/, "") + "/api", maxRetries: 0 });
  await rejectsWith(401, wrong.admins.identify());
});
