-- Office hours per team (else the workspace's), holidays, SLA policies and each conversation's
-- applied SLA with its last evaluation (state, runs, the events already emitted, the next
-- instant the sweep must look again) and a revision for conditional updates across nodes.
ALTER TABLE workspaces ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]';

CREATE TABLE team_office_hours (
    team_id      INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    timezone     TEXT    NOT NULL,
    office_hours TEXT    NOT NULL,
    holidays     TEXT    NOT NULL DEFAULT '[]',
    updated_at   INTEGER NOT NULL
);

CREATE TABLE sla_policies (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces(id),
    name                   TEXT    NOT NULL,
    first_response_seconds INTEGER,
    next_response_seconds  INTEGER,
    time_to_close_seconds  INTEGER,
    business_hours         BOOLEAN NOT NULL DEFAULT 1,
    at_risk_percent        INTEGER NOT NULL DEFAULT 20,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE conversation_slas (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    sla_policy_id   INTEGER,
    sla_name        TEXT    NOT NULL,
    applied_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active',
    state           TEXT    NOT NULL DEFAULT 'on_track',
    runs            TEXT    NOT NULL DEFAULT '[]',
    notified        TEXT    NOT NULL DEFAULT '[]',
    next_check_at   INTEGER,
    revision        INTEGER NOT NULL DEFAULT 0,
    evaluated_at    INTEGER NOT NULL
);
CREATE INDEX conversation_slas_due ON conversation_slas (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX conversation_slas_state ON conversation_slas (workspace_id, state);
