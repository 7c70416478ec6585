-- An event's insert reads the workspace's last sequence number (`event_log::append`); this
-- trigger records the new one in the same statement, so appending an event is one statement
-- inside the single writer's turn instead of two. MAX keeps the number from ever going back.
CREATE TRIGGER event_log_advances_sequence AFTER INSERT ON event_log
BEGIN
    INSERT INTO event_sequences (workspace_id, last_seq) VALUES (new.workspace_id, new.seq)
        ON CONFLICT (workspace_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq);
END;
