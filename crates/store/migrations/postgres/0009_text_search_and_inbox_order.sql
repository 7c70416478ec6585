-- Text search, inbox orderings and cheap counts (docs/ARCHITECTURE.md "Search").
--
-- Message text is indexed with pg_trgm GIN indexes on LOWER(text). Trigrams (rather than a
-- `tsvector`) keep the DSL's documented semantics exactly: `~` is a case-insensitive substring
-- match of every word, which word stemming/tokenising would change ("voice" in "invoice",
-- "100%"). The search's `LOWER(col) LIKE LOWER($n)` uses these expression indexes directly, the
-- value stays a bound LIKE pattern (never query syntax), and the indexes follow every write
-- with no trigger. pg_trgm is a trusted extension (PostgreSQL 13+).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX conversation_parts_body_trgm ON conversation_parts USING gin (LOWER(body) gin_trgm_ops);
CREATE INDEX conversations_source_body_trgm ON conversations USING gin (LOWER(source_body) gin_trgm_ops);

-- The unfiltered list's total_count: one row per workspace, kept by statement triggers in the
-- writing transaction (so bulk loads and every delete path count too).
CREATE TABLE workspace_conversation_counts (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id),
    count        BIGINT NOT NULL
);
INSERT INTO workspace_conversation_counts (workspace_id, count)
    SELECT workspace_id, COUNT(*) FROM conversations GROUP BY workspace_id;
CREATE FUNCTION conversations_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workspace_conversation_counts (workspace_id, count)
        SELECT workspace_id, COUNT(*) FROM inserted GROUP BY workspace_id
        ON CONFLICT (workspace_id) DO UPDATE SET count = workspace_conversation_counts.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversations_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspace_conversation_counts w SET count = w.count - d.n
        FROM (SELECT workspace_id, COUNT(*) AS n FROM deleted GROUP BY workspace_id) d
        WHERE w.workspace_id = d.workspace_id;
    RETURN NULL;
END $$;
CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION conversations_count_inserted();
CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION conversations_count_deleted();

-- Inbox views (state × assignee × sort) read in index order, never sorted in memory. The
-- `priority` sort key: priority first, then longest waiting (NULL waiting_since last), then id.
-- Unassigned conversations are stored with NULL assignees (the API's 0 means None on write), so
-- the DSL's `= null`/`= 0` is `IS NULL`, one index range.
UPDATE conversations SET admin_assignee_id = NULL WHERE admin_assignee_id = 0;
UPDATE conversations SET team_assignee_id = NULL WHERE team_assignee_id = 0;
-- and a 0 written by any path (an import, raw SQL) is stored as NULL too.
CREATE FUNCTION conversations_unassigned_is_null() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.admin_assignee_id := NULLIF(NEW.admin_assignee_id, 0);
    NEW.team_assignee_id := NULLIF(NEW.team_assignee_id, 0);
    RETURN NEW;
END $$;
CREATE TRIGGER conversations_unassigned_is_null
    BEFORE INSERT OR UPDATE OF admin_assignee_id, team_assignee_id ON conversations FOR EACH ROW
    WHEN (NEW.admin_assignee_id = 0 OR NEW.team_assignee_id = 0)
    EXECUTE FUNCTION conversations_unassigned_is_null();
DROP INDEX conversations_by_admin;
DROP INDEX conversations_by_team;
CREATE INDEX conversations_by_admin ON conversations (workspace_id, admin_assignee_id, state, updated_at, id);
CREATE INDEX conversations_by_team ON conversations (workspace_id, team_assignee_id, state, updated_at, id);
CREATE INDEX conversations_by_created ON conversations (workspace_id, created_at, id);
CREATE INDEX conversations_by_state_created ON conversations (workspace_id, state, created_at, id);
CREATE INDEX conversations_by_state_waiting
    ON conversations (workspace_id, state, (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_by_state_priority
    ON conversations (workspace_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_by_admin_priority ON conversations
    (workspace_id, admin_assignee_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_by_team_priority ON conversations
    (workspace_id, team_assignee_id, state, (CASE WHEN priority THEN 0 ELSE 1 END), (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_by_admin_created ON conversations (workspace_id, admin_assignee_id, state, created_at, id);
CREATE INDEX conversations_by_team_created ON conversations (workspace_id, team_assignee_id, state, created_at, id);
CREATE INDEX conversations_by_admin_waiting ON conversations (workspace_id, admin_assignee_id, state, (COALESCE(waiting_since, 9223372036854775807)), id);
CREATE INDEX conversations_by_team_waiting ON conversations (workspace_id, team_assignee_id, state, (COALESCE(waiting_since, 9223372036854775807)), id);
