-- Text search, inbox orderings and cheap counts (docs/ARCHITECTURE.md "Search").
--
-- Message text is indexed with FTS5's trigram tokenizer (external content, kept in sync by the
-- triggers below on every write path: insert, edit/redaction of `body`, delete and cascades).
-- Trigrams keep the DSL's documented semantics exactly: `~` is a case-insensitive substring
-- match of every word, which a word tokenizer could not answer ("voice" in "invoice"). The
-- search compiles each word of 3+ characters to a quoted FTS5 phrase (never FTS syntax) and
-- keeps the LIKE check on the row, so the index only narrows the candidates.
CREATE VIRTUAL TABLE conversation_parts_fts USING fts5(
    body, content = 'conversation_parts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER conversation_parts_fts_insert AFTER INSERT ON conversation_parts WHEN new.body IS NOT NULL
BEGIN
    INSERT INTO conversation_parts_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER conversation_parts_fts_delete AFTER DELETE ON conversation_parts WHEN old.body IS NOT NULL
BEGIN
    INSERT INTO conversation_parts_fts (conversation_parts_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER conversation_parts_fts_update AFTER UPDATE OF body ON conversation_parts
WHEN old.body IS NOT new.body
BEGIN
    INSERT INTO conversation_parts_fts (conversation_parts_fts, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.body IS NOT NULL;
    INSERT INTO conversation_parts_fts (rowid, body) SELECT new.id, new.body WHERE new.body IS NOT NULL;
END;
INSERT INTO conversation_parts_fts (rowid, body) SELECT id, body FROM conversation_parts WHERE body IS NOT NULL;

CREATE VIRTUAL TABLE conversations_source_fts USING fts5(
    source_body, content = 'conversations', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER conversations_source_fts_insert AFTER INSERT ON conversations
BEGIN
    INSERT INTO conversations_source_fts (rowid, source_body) VALUES (new.id, new.source_body);
END;
CREATE TRIGGER conversations_source_fts_delete AFTER DELETE ON conversations
BEGIN
    INSERT INTO conversations_source_fts (conversations_source_fts, rowid, source_body)
        VALUES ('delete', old.id, old.source_body);
END;
CREATE TRIGGER conversations_source_fts_update AFTER UPDATE OF source_body ON conversations
WHEN old.source_body IS NOT new.source_body
BEGIN
    INSERT INTO conversations_source_fts (conversations_source_fts, rowid, source_body)
        VALUES ('delete', old.id, old.source_body);
    INSERT INTO conversations_source_fts (rowid, source_body) VALUES (new.id, new.source_body);
END;
INSERT INTO conversations_source_fts (rowid, source_body) SELECT id, source_body FROM conversations;

-- The unfiltered list's total_count: one row per workspace, kept by triggers in the writing
-- transaction (so bulk loads and every delete path count too).
CREATE TABLE workspace_conversation_counts (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    count        INTEGER NOT NULL
);
INSERT INTO workspace_conversation_counts (workspace_id, count)
    SELECT workspace_id, COUNT(*) FROM conversations GROUP BY workspace_id;
CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations
BEGIN
    INSERT INTO workspace_conversation_counts (workspace_id, count) VALUES (new.workspace_id, 1)
        ON CONFLICT (workspace_id) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations
BEGIN
    UPDATE workspace_conversation_counts SET count = count - 1 WHERE workspace_id = old.workspace_id;
END;

-- Inbox views (state × assignee × sort) read in index order, never sorted in memory. The
-- `priority` sort key: priority first, then longest waiting (NULL waiting_since last), then id.
-- Unassigned conversations are stored with NULL assignees (the API's 0 means None on write), so
-- the DSL's `= null`/`= 0` is `IS NULL`, one index range.
UPDATE conversations SET admin_assignee_id = NULL WHERE admin_assignee_id = 0;
UPDATE conversations SET team_assignee_id = NULL WHERE team_assignee_id = 0;
-- and a 0 written by any path (an import, raw SQL) is stored as NULL too.
CREATE TRIGGER conversations_unassigned_is_null AFTER INSERT ON conversations
WHEN new.admin_assignee_id = 0 OR new.team_assignee_id = 0
BEGIN
    UPDATE conversations SET admin_assignee_id = NULLIF(new.admin_assignee_id, 0),
        team_assignee_id = NULLIF(new.team_assignee_id, 0) WHERE id = new.id;
END;
CREATE TRIGGER conversations_unassigned_is_null_on_update
AFTER UPDATE OF admin_assignee_id, team_assignee_id ON conversations
WHEN new.admin_assignee_id = 0 OR new.team_assignee_id = 0
BEGIN
    UPDATE conversations SET admin_assignee_id = NULLIF(new.admin_assignee_id, 0),
        team_assignee_id = NULLIF(new.team_assignee_id, 0) WHERE id = new.id;
END;
DROP INDEX conversations_by_admin;
DROP INDEX conversations_by_team;
CREATE INDEX conversations_by_admin ON conversations (workspace_id, admin_assignee_id, state, updated_at, id);
CREATE INDEX conversations_by_team ON conversations (workspace_id, team_assignee_id, state, updated_at, id);
CREATE INDEX conversations_by_created ON conversations (workspace_id, created_at, id);
CREATE INDEX conversations_by_state_created ON conversations (workspace_id, state, created_at, id);
CREATE INDEX conversations_by_state_waiting
    ON conversations (workspace_id, state, COALESCE(waiting_since, 9223372036854775807), id);
CREATE INDEX conversations_by_state_priority
    ON conversations (workspace_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), COALESCE(waiting_since, 9223372036854775807), id);
CREATE INDEX conversations_by_admin_priority ON conversations
    (workspace_id, admin_assignee_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), COALESCE(waiting_since, 9223372036854775807), id);
CREATE INDEX conversations_by_team_priority ON conversations
    (workspace_id, team_assignee_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), COALESCE(waiting_since, 9223372036854775807), id);
CREATE INDEX conversations_by_admin_created ON conversations (workspace_id, admin_assignee_id, state, created_at, id);
CREATE INDEX conversations_by_team_created ON conversations (workspace_id, team_assignee_id, state, created_at, id);
CREATE INDEX conversations_by_admin_waiting ON conversations (workspace_id, admin_assignee_id, state, COALESCE(waiting_since, 9223372036854775807), id);
CREATE INDEX conversations_by_team_waiting ON conversations (workspace_id, team_assignee_id, state, COALESCE(waiting_since, 9223372036854775807), id);
