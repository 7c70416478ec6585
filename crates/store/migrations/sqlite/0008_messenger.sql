-- The page a messenger visitor was last seen on (set by /messenger/boot and /messenger/update).
ALTER TABLE contacts ADD COLUMN last_seen_url TEXT;
