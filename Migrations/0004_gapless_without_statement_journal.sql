-- trialtrack schema 0004: the gapless trigger fails the insert instead of aborting it.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- RAISE(ABORT) in a trigger makes SQLite keep a statement journal for every insert into
-- `events` inside a transaction (a copy of each page the insert touches that the transaction
-- had dirtied already), so that it could undo a statement of several rows halfway. The
-- daemon inserts one row per statement, checked before it is written, in transactions of
-- hundreds: that journal was 11% of an insert's instructions. RAISE(FAIL) refuses the same
-- rows with the same message; a statement of several rows typed into sqlite3 keeps the rows
-- before the refused one, each of which passed the same check, so the log stays gapless.
-- The writer inserts with INSERT OR FAIL for the same reason (its constraints abort otherwise).

DROP TRIGGER events_gapless;

CREATE TRIGGER events_gapless BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM events)
  OR NEW.version IS NOT (SELECT IFNULL(MAX(version), 0) + 1 FROM events WHERE trial = NEW.trial)
BEGIN
    SELECT RAISE(FAIL, 'events are gapless: seq and version must be the next numbers');
END;
