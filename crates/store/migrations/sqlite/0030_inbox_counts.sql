-- The agent app's inbox counts (`GET /inbox/counts`), maintained instead of counted: each counter
-- row is kept by triggers in the transaction of the write that changes it (every write path:
-- the store's statements, bulk loads, merges, deletes and their cascades), so a read is a few
-- rows, whatever the number of conversations, and always exact.
--
-- conversation_inbox_counts: conversations per (state, team assignee, teammate assignee), 0 for
-- "none" (both assignees are NULL when unassigned since 0009, never 0). The app's views add up
-- rows: All (every row of the state), Unassigned (team 0 and teammate 0), Mine (teammate = me),
-- each team (team = t).
CREATE TABLE conversation_inbox_counts (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    state        TEXT    NOT NULL,
    team_id      INTEGER NOT NULL,
    admin_id     INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, state, team_id, admin_id)
);
INSERT INTO conversation_inbox_counts (workspace_id, state, team_id, admin_id, count)
    SELECT workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), COUNT(*)
    FROM conversations GROUP BY workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0);
CREATE TRIGGER conversations_inbox_count_insert AFTER INSERT ON conversations
BEGIN
    INSERT INTO conversation_inbox_counts (workspace_id, state, team_id, admin_id, count)
        VALUES (new.workspace_id, new.state, COALESCE(new.team_assignee_id, 0), COALESCE(new.admin_assignee_id, 0), 1)
        ON CONFLICT (workspace_id, state, team_id, admin_id) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER conversations_inbox_count_delete AFTER DELETE ON conversations
BEGIN
    UPDATE conversation_inbox_counts SET count = count - 1
        WHERE workspace_id = old.workspace_id AND state = old.state
        AND team_id = COALESCE(old.team_assignee_id, 0) AND admin_id = COALESCE(old.admin_assignee_id, 0);
END;
CREATE TRIGGER conversations_inbox_count_update
AFTER UPDATE OF state, admin_assignee_id, team_assignee_id ON conversations
WHEN old.state IS NOT new.state
    OR COALESCE(old.team_assignee_id, 0) <> COALESCE(new.team_assignee_id, 0)
    OR COALESCE(old.admin_assignee_id, 0) <> COALESCE(new.admin_assignee_id, 0)
BEGIN
    UPDATE conversation_inbox_counts SET count = count - 1
        WHERE workspace_id = old.workspace_id AND state = old.state
        AND team_id = COALESCE(old.team_assignee_id, 0) AND admin_id = COALESCE(old.admin_assignee_id, 0);
    INSERT INTO conversation_inbox_counts (workspace_id, state, team_id, admin_id, count)
        VALUES (new.workspace_id, new.state, COALESCE(new.team_assignee_id, 0), COALESCE(new.admin_assignee_id, 0), 1)
        ON CONFLICT (workspace_id, state, team_id, admin_id) DO UPDATE SET count = count + 1;
END;

-- conversation_sla_counts: conversations with an SLA per (conversation state, SLA state), for
-- the At risk and Breached counts. It depends on two tables, so the SLA row carries its
-- conversation's state (`conversation_state`, kept by the trigger on conversations below) and
-- every count change is a change of an SLA row: a cascaded delete decrements with the state the
-- row had, whichever of the two rows goes first.
ALTER TABLE conversation_slas ADD COLUMN conversation_state TEXT;
UPDATE conversation_slas SET conversation_state =
    (SELECT c.state FROM conversations c WHERE c.id = conversation_slas.conversation_id);
CREATE TABLE conversation_sla_counts (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    state        TEXT    NOT NULL,
    sla_state    TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, state, sla_state)
);
INSERT INTO conversation_sla_counts (workspace_id, state, sla_state, count)
    SELECT workspace_id, conversation_state, state, COUNT(*) FROM conversation_slas
    WHERE conversation_state IS NOT NULL GROUP BY workspace_id, conversation_state, state;
-- A new SLA row takes its conversation's state, which counts it (the update trigger).
CREATE TRIGGER conversation_slas_count_insert AFTER INSERT ON conversation_slas
BEGIN
    UPDATE conversation_slas SET conversation_state =
        (SELECT c.state FROM conversations c WHERE c.id = new.conversation_id)
        WHERE conversation_id = new.conversation_id;
END;
CREATE TRIGGER conversation_slas_count_update AFTER UPDATE OF state, conversation_state ON conversation_slas
WHEN old.state IS NOT new.state OR old.conversation_state IS NOT new.conversation_state
BEGIN
    UPDATE conversation_sla_counts SET count = count - 1
        WHERE workspace_id = old.workspace_id AND state = old.conversation_state AND sla_state = old.state;
    INSERT INTO conversation_sla_counts (workspace_id, state, sla_state, count)
        SELECT new.workspace_id, new.conversation_state, new.state, 1 WHERE new.conversation_state IS NOT NULL
        ON CONFLICT (workspace_id, state, sla_state) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER conversation_slas_count_delete AFTER DELETE ON conversation_slas
BEGIN
    UPDATE conversation_sla_counts SET count = count - 1
        WHERE workspace_id = old.workspace_id AND state = old.conversation_state AND sla_state = old.state;
END;
CREATE TRIGGER conversations_sla_state_follows AFTER UPDATE OF state ON conversations
WHEN old.state IS NOT new.state
BEGIN
    UPDATE conversation_slas SET conversation_state = new.state WHERE conversation_id = new.id;
END;

-- Every conversation is among its own participants (conversation creation, the seed and both
-- merges keep it so), which lets the `contact_ids` search read conversation_contacts alone, by
-- contact (conversation_contacts_by_contact): one index range instead of an OR the planners answer with a scan. Rows written before
-- that rule are added here.
INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at)
    SELECT workspace_id, id, contact_id, created_at FROM conversations WHERE true
    ON CONFLICT (conversation_id, contact_id) DO NOTHING;
