-- Every email that became a conversation message or was sent from one. Inbound rows keep the raw
-- message as received (the full original, whatever the display trims) and the SPF/DKIM/DMARC
-- results; outbound rows are the durable send job: state, attempts, next try, last error.
CREATE TABLE email_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id    INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- NULL for the message that opened the conversation (its `source`).
    part_id            INTEGER,
    direction          TEXT    NOT NULL,               -- 'inbound' | 'outbound'
    message_id         TEXT    NOT NULL,               -- without the angle brackets
    in_reply_to        TEXT,
    reference_ids      TEXT    NOT NULL DEFAULT '',    -- space-separated Message-IDs, oldest first
    from_address       TEXT    NOT NULL,
    to_addresses       TEXT    NOT NULL DEFAULT '[]',  -- JSON array of addresses
    subject            TEXT    NOT NULL DEFAULT '',
    raw                BLOB,
    auth_results       TEXT    NOT NULL DEFAULT '{}',  -- {"spf": …, "dkim": …, "dmarc": …}
    delivery_state     TEXT    NOT NULL,               -- inbound: 'received'; outbound: 'queued' | 'sent' | 'failed'
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    sent_at            INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX email_messages_by_message_id ON email_messages (workspace_id, message_id);
CREATE INDEX email_messages_by_conversation ON email_messages (workspace_id, conversation_id, id);
CREATE INDEX email_messages_by_part ON email_messages (workspace_id, part_id);
CREATE INDEX email_messages_outbound_due ON email_messages (delivery_state, next_attempt_at_ms)
    WHERE direction = 'outbound';
