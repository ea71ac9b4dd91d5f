-- trialtrack schema 0006: no conflict clause deletes or skips past an event.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- `INSERT OR REPLACE` (or `REPLACE INTO`) of the next seq with the event_id of an event in
-- the log passed events_gapless and then deleted that event to make room: the delete a
-- REPLACE makes fires no DELETE trigger unless `PRAGMA recursive_triggers` is on, so
-- events_no_delete never saw it. This trigger refuses an insert whose event_id is already
-- in the log before SQLite looks at the constraints, so no conflict clause comes into play:
-- OR REPLACE, OR IGNORE and ON CONFLICT ... DO NOTHING are refused like the rest, and an
-- upsert's DO UPDATE meets events_no_update as before. The other unique keys cannot
-- conflict past events_gapless, which wants the next seq (never one in the log) and the
-- trial's next version; checking seq here too cost another 2,200 instructions an append
-- (callgrind, trialbench store).
--
-- RAISE(FAIL) as in 0004: no statement journal for the writer's inserts, which pass (a
-- client's event id is looked up before the insert, a made one is new), at the cost of one
-- lookup in the event_id index: 3,700 instructions of an append's 141,000.

CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
BEGIN
    SELECT RAISE(FAIL, 'events are append-only: this event_id is in the log already (no REPLACE, no upsert)');
END;
