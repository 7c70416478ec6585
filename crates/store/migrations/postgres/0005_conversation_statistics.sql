-- Conversations: the opening message's part, the statistics 0001 lacks, and each part's state.
ALTER TABLE conversations ADD COLUMN source_part_id BIGINT;
ALTER TABLE conversations ADD COLUMN last_assignment_admin_reply_at BIGINT;
ALTER TABLE conversations ADD COLUMN time_to_assignment BIGINT;
-- JSON array of response times in seconds (for median_time_to_reply).
ALTER TABLE conversations ADD COLUMN reply_times TEXT NOT NULL DEFAULT '[]';
-- The conversation's state right after the part was written (Intercom shows it per part).
ALTER TABLE conversation_parts ADD COLUMN state TEXT;
