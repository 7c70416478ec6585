-- What an unverified messenger visitor said they were: a boot naming a user_id and/or email
-- without a valid user_hash or user_jwt makes (or keeps) a lead and records the claim here, for a
-- teammate to check and merge. Nothing resolves through these columns.
ALTER TABLE contacts ADD COLUMN claimed_user_id TEXT;
ALTER TABLE contacts ADD COLUMN claimed_email TEXT;
