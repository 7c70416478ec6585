-- No-op on PostgreSQL, so that both engines have every migration number (one numbering; the
-- schema parity test, tests/schema_parity.rs, checks it). SQLite's 0028 is a trigger that records
-- an appended event's sequence number in event_sequences, so that appending is one statement.
-- PostgreSQL's append statement (event_log.rs, POSTGRES_APPEND) already advances event_sequences
-- itself, in the same statement, so it needs no trigger.
--
-- This file came after 0029: sqlx applies every version a database lacks, lower ones included, so
-- a PostgreSQL database already at 0029 records this one at its next start.
SELECT 1;
