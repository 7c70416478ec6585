-- Foundation schema (SQLite). Timestamps are unix seconds; JSON documents are TEXT.
-- Every table carries workspace_id and every query filters on it.

CREATE TABLE workspaces (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id              TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    timezone            TEXT    NOT NULL DEFAULT 'UTC',
    identity_secret     TEXT    NOT NULL,
    identity_enforced   BOOLEAN NOT NULL DEFAULT 0,
    tracking_key        TEXT    NOT NULL UNIQUE,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE admins (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id          INTEGER NOT NULL REFERENCES workspaces(id),
    email                 TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    password_hash         TEXT,
    role                  TEXT    NOT NULL,
    job_title             TEXT,
    away_mode_enabled     BOOLEAN NOT NULL DEFAULT 0,
    away_mode_reassign    BOOLEAN NOT NULL DEFAULT 0,
    away_status_reason_id INTEGER,
    active                BOOLEAN NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (workspace_id, email)
);
CREATE INDEX admins_by_email ON admins (email);

CREATE TABLE teams (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id),
    name                TEXT    NOT NULL,
    distribution_method TEXT    NOT NULL DEFAULT 'manual',
    assignment_limit    INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    team_id      INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    admin_id     INTEGER NOT NULL REFERENCES admins(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (team_id, admin_id)
);
CREATE INDEX team_members_by_admin ON team_members (admin_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    admin_id     INTEGER NOT NULL REFERENCES admins(id),
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    admin_id     INTEGER NOT NULL REFERENCES admins(id),
    token_hash   TEXT    NOT NULL UNIQUE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_by_admin ON sessions (admin_id);

CREATE TABLE contacts (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id             INTEGER NOT NULL REFERENCES workspaces(id),
    role                     TEXT    NOT NULL,
    external_id              TEXT,
    email                    TEXT,
    email_domain             TEXT,
    phone                    TEXT,
    name                     TEXT,
    avatar                   TEXT,
    owner_id                 INTEGER,
    unsubscribed_from_emails BOOLEAN NOT NULL DEFAULT 0,
    has_hard_bounced         BOOLEAN NOT NULL DEFAULT 0,
    marked_email_as_spam     BOOLEAN NOT NULL DEFAULT 0,
    language_override        TEXT,
    browser                  TEXT,
    browser_version          TEXT,
    browser_language         TEXT,
    os                       TEXT,
    location_country         TEXT,
    location_region          TEXT,
    location_city            TEXT,
    location_country_code    TEXT,
    location_continent_code  TEXT,
    custom_attributes        TEXT    NOT NULL DEFAULT '{}',
    signed_up_at             INTEGER,
    last_seen_at             INTEGER,
    last_replied_at          INTEGER,
    last_contacted_at        INTEGER,
    last_email_opened_at     INTEGER,
    last_email_clicked_at    INTEGER,
    archived                 BOOLEAN NOT NULL DEFAULT 0,
    blocked                  BOOLEAN NOT NULL DEFAULT 0,
    merged_into_id           INTEGER,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (workspace_id, external_id) WHERE external_id IS NOT NULL AND merged_into_id IS NULL;
CREATE INDEX contacts_by_email ON contacts (workspace_id, email);
CREATE INDEX contacts_list ON contacts (workspace_id, id);
CREATE INDEX contacts_by_updated ON contacts (workspace_id, updated_at);

CREATE TABLE companies (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces(id),
    company_id        TEXT    NOT NULL,
    name              TEXT,
    plan              TEXT,
    size              INTEGER,
    website           TEXT,
    industry          TEXT,
    monthly_spend     REAL    NOT NULL DEFAULT 0,
    session_count     INTEGER NOT NULL DEFAULT 0,
    remote_created_at INTEGER,
    custom_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (workspace_id, company_id)
);
CREATE INDEX companies_by_name ON companies (workspace_id, name);

CREATE TABLE contact_companies (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    company_id   INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (contact_id, company_id)
);
CREATE INDEX contact_companies_by_company ON contact_companies (company_id);

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- target_type: 'contact' | 'company' | 'conversation'
CREATE TABLE taggings (
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id),
    tag_id              INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    target_type         TEXT    NOT NULL,
    target_id           INTEGER NOT NULL,
    applied_at          INTEGER NOT NULL,
    applied_by_admin_id INTEGER,
    PRIMARY KEY (tag_id, target_type, target_id)
);
CREATE INDEX taggings_by_target ON taggings (workspace_id, target_type, target_id);

CREATE TABLE notes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    admin_id     INTEGER REFERENCES admins(id),
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX notes_by_contact ON notes (workspace_id, contact_id, id);

-- model: 'contact' | 'company' | 'conversation'
CREATE TABLE data_attributes (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id),
    model              TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    label              TEXT    NOT NULL,
    description        TEXT,
    data_type          TEXT    NOT NULL,
    options            TEXT    NOT NULL DEFAULT '[]',
    archived           BOOLEAN NOT NULL DEFAULT 0,
    messenger_writable BOOLEAN NOT NULL DEFAULT 0,
    admin_id           INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (workspace_id, model, name)
);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    event_name   TEXT    NOT NULL,
    metadata     TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_by_contact ON events (workspace_id, contact_id, id);

CREATE TABLE conversations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id         INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id           INTEGER NOT NULL REFERENCES contacts(id),
    state                TEXT    NOT NULL,
    read                 BOOLEAN NOT NULL DEFAULT 0,
    priority             BOOLEAN NOT NULL DEFAULT 0,
    title                TEXT,
    admin_assignee_id    INTEGER,
    team_assignee_id     INTEGER,
    source_type          TEXT    NOT NULL,
    source_delivered_as  TEXT    NOT NULL,
    source_subject       TEXT    NOT NULL DEFAULT '',
    source_body          TEXT    NOT NULL DEFAULT '',
    source_author_type   TEXT    NOT NULL,
    source_author_id     INTEGER NOT NULL,
    source_url           TEXT,
    waiting_since        INTEGER,
    snoozed_until        INTEGER,
    custom_attributes    TEXT    NOT NULL DEFAULT '{}',
    first_contact_reply_at INTEGER,
    first_admin_reply_at   INTEGER,
    first_assignment_at    INTEGER,
    last_assignment_at     INTEGER,
    first_close_at         INTEGER,
    last_close_at          INTEGER,
    last_closed_by_id      INTEGER,
    last_contact_reply_at  INTEGER,
    last_admin_reply_at    INTEGER,
    count_reopens          INTEGER NOT NULL DEFAULT 0,
    count_assignments      INTEGER NOT NULL DEFAULT 0,
    count_parts            INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX conversations_by_updated ON conversations (workspace_id, updated_at, id);
CREATE INDEX conversations_by_state ON conversations (workspace_id, state, updated_at, id);
CREATE INDEX conversations_by_admin ON conversations (workspace_id, admin_assignee_id, state, updated_at);
CREATE INDEX conversations_by_team ON conversations (workspace_id, team_assignee_id, state, updated_at);
CREATE INDEX conversations_by_contact ON conversations (workspace_id, contact_id);

CREATE TABLE conversation_contacts (
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL REFERENCES contacts(id),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, contact_id)
);
CREATE INDEX conversation_contacts_by_contact ON conversation_contacts (contact_id);

CREATE TABLE conversation_parts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    part_type        TEXT    NOT NULL,
    body             TEXT,
    author_type      TEXT    NOT NULL,
    author_id        INTEGER NOT NULL,
    assigned_to_type TEXT,
    assigned_to_id   INTEGER,
    redacted         BOOLEAN NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX conversation_parts_by_conversation ON conversation_parts (conversation_id, id);
