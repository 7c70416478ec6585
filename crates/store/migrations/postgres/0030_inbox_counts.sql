-- The agent app's inbox counts (`GET /inbox/counts`), maintained instead of counted: each counter
-- row is kept by triggers in the transaction of the write that changes it (every write path:
-- the store's statements, bulk loads, merges, deletes and their cascades), so a read is a few
-- rows, whatever the number of conversations, and always exact. Counters move by
-- `count = count + delta` upserts, which take the row's lock: concurrent writers wait for each
-- other and none loses an update. A row trigger that moves a conversation between two counters
-- changes both in one statement, in key order, so two opposite moves cannot deadlock.
--
-- conversation_inbox_counts: conversations per (state, team assignee, teammate assignee), 0 for
-- "none" (both assignees are NULL when unassigned since 0009, never 0). The app's views add up
-- rows: All (every row of the state), Unassigned (team 0 and teammate 0), Mine (teammate = me),
-- each team (team = t).
CREATE TABLE conversation_inbox_counts (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    state        TEXT   NOT NULL,
    team_id      BIGINT NOT NULL,
    admin_id     BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, state, team_id, admin_id)
);
INSERT INTO conversation_inbox_counts (workspace_id, state, team_id, admin_id, count)
    SELECT workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), COUNT(*)
    FROM conversations GROUP BY workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0);
CREATE FUNCTION conversations_inbox_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_inbox_counts AS t (workspace_id, state, team_id, admin_id, count)
        SELECT workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), COUNT(*)
        FROM inserted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (workspace_id, state, team_id, admin_id) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversations_inbox_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_inbox_counts AS t (workspace_id, state, team_id, admin_id, count)
        SELECT workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), -COUNT(*)
        FROM deleted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (workspace_id, state, team_id, admin_id) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversations_inbox_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_inbox_counts AS t (workspace_id, state, team_id, admin_id, count)
        SELECT NEW.workspace_id, k.state, k.team_id, k.admin_id, k.delta FROM (VALUES
            (OLD.state, COALESCE(OLD.team_assignee_id, 0), COALESCE(OLD.admin_assignee_id, 0), -1::BIGINT),
            (NEW.state, COALESCE(NEW.team_assignee_id, 0), COALESCE(NEW.admin_assignee_id, 0), 1::BIGINT)
        ) AS k (state, team_id, admin_id, delta)
        ORDER BY k.state, k.team_id, k.admin_id
        ON CONFLICT (workspace_id, state, team_id, admin_id) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE TRIGGER conversations_inbox_count_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION conversations_inbox_count_inserted();
CREATE TRIGGER conversations_inbox_count_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION conversations_inbox_count_deleted();
CREATE TRIGGER conversations_inbox_count_update
    AFTER UPDATE OF state, admin_assignee_id, team_assignee_id ON conversations FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
        OR COALESCE(OLD.team_assignee_id, 0) <> COALESCE(NEW.team_assignee_id, 0)
        OR COALESCE(OLD.admin_assignee_id, 0) <> COALESCE(NEW.admin_assignee_id, 0))
    EXECUTE FUNCTION conversations_inbox_count_updated();

-- conversation_sla_counts: conversations with an SLA per (conversation state, SLA state), for
-- the At risk and Breached counts. It depends on two tables, so the SLA row carries its
-- conversation's state (`conversation_state`, kept by the trigger on conversations below) and
-- every count change is a change of an SLA row: a cascaded delete decrements with the state the
-- row had, whichever of the two rows goes first.
ALTER TABLE conversation_slas ADD COLUMN conversation_state TEXT;
UPDATE conversation_slas s SET conversation_state = c.state FROM conversations c WHERE c.id = s.conversation_id;
CREATE TABLE conversation_sla_counts (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    state        TEXT   NOT NULL,
    sla_state    TEXT   NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, state, sla_state)
);
INSERT INTO conversation_sla_counts (workspace_id, state, sla_state, count)
    SELECT workspace_id, conversation_state, state, COUNT(*) FROM conversation_slas
    WHERE conversation_state IS NOT NULL GROUP BY workspace_id, conversation_state, state;
-- A new SLA row takes its conversation's state.
CREATE FUNCTION conversation_slas_take_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.conversation_state := (SELECT c.state FROM conversations c WHERE c.id = NEW.conversation_id);
    RETURN NEW;
END $$;
CREATE FUNCTION conversation_slas_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_sla_counts AS t (workspace_id, state, sla_state, count)
        SELECT workspace_id, conversation_state, state, COUNT(*) FROM inserted
        WHERE conversation_state IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, state, sla_state) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversation_slas_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_sla_counts AS t (workspace_id, state, sla_state, count)
        SELECT workspace_id, conversation_state, state, -COUNT(*) FROM deleted
        WHERE conversation_state IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, state, sla_state) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversation_slas_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_sla_counts AS t (workspace_id, state, sla_state, count)
        SELECT NEW.workspace_id, k.state, k.sla_state, k.delta FROM (VALUES
            (OLD.conversation_state, OLD.state, -1::BIGINT),
            (NEW.conversation_state, NEW.state, 1::BIGINT)
        ) AS k (state, sla_state, delta)
        WHERE k.state IS NOT NULL
        ORDER BY k.state, k.sla_state
        ON CONFLICT (workspace_id, state, sla_state) DO UPDATE SET count = t.count + EXCLUDED.count;
    RETURN NULL;
END $$;
CREATE FUNCTION conversations_sla_state_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversation_slas SET conversation_state = NEW.state WHERE conversation_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER conversation_slas_take_state BEFORE INSERT ON conversation_slas
    FOR EACH ROW EXECUTE FUNCTION conversation_slas_take_state();
CREATE TRIGGER conversation_slas_count_insert AFTER INSERT ON conversation_slas
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION conversation_slas_count_inserted();
CREATE TRIGGER conversation_slas_count_delete AFTER DELETE ON conversation_slas
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION conversation_slas_count_deleted();
CREATE TRIGGER conversation_slas_count_update
    AFTER UPDATE OF state, conversation_state ON conversation_slas FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.conversation_state IS DISTINCT FROM NEW.conversation_state)
    EXECUTE FUNCTION conversation_slas_count_updated();
CREATE TRIGGER conversations_sla_state_follows AFTER UPDATE OF state ON conversations FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION conversations_sla_state_follows();

-- Every conversation is among its own participants (conversation creation, the seed and both
-- merges keep it so), which lets the `contact_ids` search read conversation_contacts alone, by
-- contact (conversation_contacts_by_contact): one index range instead of an OR the planners
-- answer with a scan. Rows written before that rule are added here.
INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at)
    SELECT workspace_id, id, contact_id, created_at FROM conversations
    ON CONFLICT (conversation_id, contact_id) DO NOTHING;
