-- Data events: de-duplication of repeated submissions, newest-first listing, and the counts
-- uploaded through POST /events/summaries.

-- sha256 of the key-order-independent metadata text; with the other columns it identifies an
-- event, so the same event posted twice is stored once (INSERT … ON CONFLICT DO NOTHING).
ALTER TABLE events ADD COLUMN metadata_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX events_dedup ON events (workspace_id, contact_id, event_name, created_at, metadata_hash);
CREATE INDEX events_by_contact_time ON events (workspace_id, contact_id, created_at, id);

-- Counts of events that happened before (or outside) the events table, added to the summaries.
CREATE TABLE event_summary_adjustments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    event_name   TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX event_summary_adjustments_by_contact ON event_summary_adjustments (workspace_id, contact_id);
