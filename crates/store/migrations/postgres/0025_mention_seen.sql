-- When the mentioned teammate opened the conversation after the mention (their read receipt):
-- NULL while unseen, which is what the sidebar's Mentions count shows.
ALTER TABLE conversation_mentions ADD COLUMN seen_at BIGINT;
