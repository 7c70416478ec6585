// Segment intake throughput: SENDERS concurrent clients each post BATCHES batches of SIZE track
// events (distinct messageIds, USERS known users) to /segment/v1/batch and wait for each answer.
// Prints events per second. Bounded: SENDERS × BATCHES requests to RAPPORT_URL on this machine.
// Started by bench.sh, which sets RAPPORT_URL and RAPPORT_TRACKING_KEY.
const BASE = process.env.RAPPORT_URL;
const KEY = process.env.RAPPORT_TRACKING_KEY;
const SENDERS = Number(process.env.SENDERS ?? 4);
const BATCHES = Number(process.env.BATCHES ?? 50);
const SIZE = Number(process.env.SIZE ?? 100);
const USERS = Number(process.env.USERS ?? 1000);
const auth = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;

async function post(batch) {
  const response = await fetch(`${BASE}/segment/v1/batch`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.applied !== batch.length) {
    throw new Error(`batch not applied whole: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

function batch(sender, n) {
  const now = new Date().toISOString();
  return Array.from({ length: SIZE }, (_, i) => ({
    type: "track",
    userId: `bench-user-${(sender * 7919 + n * SIZE + i) % USERS}`,
    event: "Bench Event",
    properties: { sender, batch: n, item: i, plan: "pro" },
    timestamp: now,
    messageId: `bench-${sender}-${n}-${i}`,
  }));
}

// Warm-up: creates the users, so the measured run only records events.
for (let start = 0; start < USERS; start += SIZE) {
  await post(Array.from({ length: Math.min(SIZE, USERS - start) }, (_, i) => ({
    type: "identify", userId: `bench-user-${start + i}`, traits: { name: `Bench ${start + i}` },
  })));
}
const started = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: SENDERS }, async (_, sender) => {
    for (let n = 0; n < BATCHES; n++) await post(batch(sender, n));
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const events = SENDERS * BATCHES * SIZE;
console.log(`${events} events in ${SENDERS * BATCHES} batches of ${SIZE} from ${SENDERS} senders: ` +
  `${seconds.toFixed(2)} s, ${Math.round(events / seconds)} events/s`);
