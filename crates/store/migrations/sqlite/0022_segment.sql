-- Segment intake (`/segment/v1/…`). The ids Segment names contacts by that are not our own
-- columns: `anonymous` ids of visitors (a lead until identified) and the `user` ids an alias
-- retired (its previousId). Each points at the contact it named; a contact merged since is
-- followed through `contacts.merged_into_id`.
CREATE TABLE segment_identities (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    kind         TEXT    NOT NULL,              -- 'anonymous' | 'user'
    segment_id   TEXT    NOT NULL,
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, kind, segment_id)
);
CREATE INDEX segment_identities_by_contact ON segment_identities (contact_id);

-- The messageId of every call applied, so a client's retry changes nothing.
CREATE TABLE segment_messages (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    message_id   TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, message_id)
);
