-- One customer across channels. A contact's primary email, phone and external id stay on the
-- contacts row (the Intercom shape); every further identifier is a row here. An identifier is
-- unique per workspace and kind: merges move rows to the surviving contact, deletes remove them,
-- so every row belongs to a live contact. `verified` identifiers resolve messages to the contact
-- (see docs/API.md, "Contact identities").
CREATE TABLE contact_identities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,             -- 'email' | 'phone' | 'external_id'
    value        TEXT    NOT NULL,             -- normalised (emails lower-cased, trimmed)
    verified     BOOLEAN NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX contact_identities_by_value ON contact_identities (workspace_id, kind, value);
CREATE INDEX contact_identities_by_contact ON contact_identities (workspace_id, contact_id, id);

-- A conversation folded into another keeps its row, closed, pointing at the one it went into.
ALTER TABLE conversations ADD COLUMN merged_into_id INTEGER;
