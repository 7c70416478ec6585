-- Webhook subscriptions and their delivery log. Each subscription reads the workspace's event log
-- with its own durable cursor (`cursor_seq`: every event up to it was delivered or did not match);
-- `lease_owner`/`lease_until_ms` let one node at a time deliver it.
CREATE TABLE webhook_subscriptions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id         INTEGER NOT NULL REFERENCES workspaces(id),
    url                  TEXT    NOT NULL,
    topics               TEXT    NOT NULL,
    secret               TEXT    NOT NULL,
    active               BOOLEAN NOT NULL DEFAULT 1,
    paused               BOOLEAN NOT NULL DEFAULT 0,
    cursor_seq           INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms   INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    lease_owner          TEXT,
    lease_until_ms       INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_by_workspace ON webhook_subscriptions (workspace_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL,
    notification_id TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    status_code     INTEGER,
    latency_ms      INTEGER NOT NULL,
    error           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (workspace_id, subscription_id, id);

-- Conversations linked to GitHub issues; closing the issue reopens them (with a note by the
-- teammate who linked it). `repository` is `owner/name` in lower case.
CREATE TABLE github_issue_links (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL,
    repository      TEXT    NOT NULL,
    issue_number    INTEGER NOT NULL,
    url             TEXT    NOT NULL,
    admin_id        INTEGER NOT NULL REFERENCES admins(id),
    created_at      INTEGER NOT NULL,
    UNIQUE (workspace_id, conversation_id, repository, issue_number)
);
CREATE INDEX github_issue_links_by_issue ON github_issue_links (repository, issue_number);
