-- Saved replies (macros) the inbox inserts into its composer, and one-time teammate invitations.

CREATE TABLE saved_replies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name         TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Only the SHA-256 of the invitation token is kept; accepted_at makes it single use.
CREATE TABLE admin_invites (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    email        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    invited_by   INTEGER NOT NULL REFERENCES admins(id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    admin_id     INTEGER REFERENCES admins(id)
);
CREATE INDEX admin_invites_by_workspace ON admin_invites (workspace_id);
