-- Teammates @mentioned in an internal note: one row per (note, teammate). The note's body keeps
-- the readable "@Name"; this is what the Mentions view and the mention notification read.
-- Tags on conversation parts need no table: they are `taggings` rows with
-- target_type = 'conversation_part' (found through taggings_by_target).
CREATE TABLE conversation_mentions (
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    part_id         INTEGER NOT NULL REFERENCES conversation_parts(id) ON DELETE CASCADE,
    admin_id        INTEGER NOT NULL REFERENCES admins(id),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (part_id, admin_id)
);
CREATE INDEX conversation_mentions_by_admin ON conversation_mentions (workspace_id, admin_id, conversation_id);
