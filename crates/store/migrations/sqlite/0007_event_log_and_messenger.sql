-- The ordered event log (outbox): one gapless sequence per workspace, written in the same
-- transaction as the change it records. See docs/REALTIME.md.
CREATE TABLE event_sequences (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    last_seq     INTEGER NOT NULL
);

CREATE TABLE event_log (
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    seq             INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    conversation_id INTEGER,
    audience        TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);

-- Durable cursors of the log's consumers (webhooks, mail, automations).
CREATE TABLE event_cursors (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    consumer     TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, consumer)
);

-- A client-generated id makes a send idempotent: the same author sending the same client id twice
-- stores one part.
ALTER TABLE conversation_parts ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX conversation_parts_by_client_id
    ON conversation_parts (workspace_id, author_type, author_id, client_id) WHERE client_id IS NOT NULL;

-- Read receipts: the last part a contact has seen, and the last part any admin has seen.
ALTER TABLE conversation_contacts ADD COLUMN last_read_part_id INTEGER;
ALTER TABLE conversations ADD COLUMN admin_last_read_part_id INTEGER;

-- The messenger's look and the office hours its expected reply time comes from.
-- office_hours: JSON {"mon": [[540, 1020]], ...} minutes after local midnight; '{}' = always open.
ALTER TABLE workspaces ADD COLUMN messenger_color TEXT NOT NULL DEFAULT '#2563eb';
ALTER TABLE workspaces ADD COLUMN messenger_greeting TEXT NOT NULL DEFAULT 'Hi there! Ask us anything.';
ALTER TABLE workspaces ADD COLUMN office_hours TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workspaces ADD COLUMN reply_time_minutes INTEGER NOT NULL DEFAULT 5;

-- Files sent by contacts or admins. The bytes live outside the web root under storage_key.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    part_id       INTEGER REFERENCES conversation_parts(id) ON DELETE SET NULL,
    uploader_type TEXT    NOT NULL,
    uploader_id   INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT    NOT NULL,
    storage_key   TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_by_part ON attachments (workspace_id, part_id);
