-- Assignment rules: the workspace's draft rule set, its published versions (the highest is
-- live), an audit log of who changed what, and each team's round-robin position.
CREATE TABLE assignment_rule_drafts (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    rules        TEXT    NOT NULL,
    updated_by   INTEGER,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE assignment_rule_versions (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    version      INTEGER NOT NULL,
    rules        TEXT    NOT NULL,
    published_by INTEGER,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, version)
);

CREATE TABLE assignment_rule_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    admin_id     INTEGER,
    action       TEXT    NOT NULL,
    version      INTEGER,
    diff         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX assignment_rule_audit_workspace ON assignment_rule_audit (workspace_id, id);

CREATE TABLE team_assignment_cursors (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    team_id       INTEGER NOT NULL,
    last_admin_id INTEGER,
    PRIMARY KEY (workspace_id, team_id)
);
