-- trialtrack schema 0007: what trialctl sync follows on ClinicalTrials.gov, and how far it got.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- Issue 28 (registry sync): trialsd's database says which trials (NCT numbers) and saved
-- searches (ClinicalTrials.gov query text) are followed, and the sync unit reports through
-- the socket what it fetched. Both are written only by the store's single writer
-- (`EventStore.follow`, `unfollow`, `recordSyncSuccess`, `recordSyncFailure`), with who and
-- when, in the writers' `recorded_by` form (`alice (uid 1000)`) and the log's UTC time form
-- (`2026-11-21T19:37:24.123456Z`). Nothing here is an event or a projection: the log, its
-- hash chain and its triggers are untouched, and a rebuild leaves these tables alone.
--
-- Only new tables: an older database gets them empty as it is migrated.

-- One row per following. An unfollow sets removed_at/removed_by and keeps the row, so the
-- audit trail says who stopped following and when; following the same target again makes a
-- new row (a new id, with no sync state of its own).
CREATE TABLE follows (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('trial', 'query')),
    -- kind trial: the NCT number, upper case (NCT05499390); kind query: the query text as
    -- ClinicalTrials.gov takes it (AREA[InterventionName]ivonescimab), 1 to 1000 characters.
    target      TEXT NOT NULL CHECK (
                    (kind = 'trial' AND length(target) = 11 AND target GLOB 'NCT[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]')
                    OR (kind = 'query' AND length(target) BETWEEN 1 AND 1000)),
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    removed_at  TEXT,
    removed_by  TEXT,
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
) STRICT;

-- At most one active following of a target.
CREATE UNIQUE INDEX follows_active ON follows (kind, target) WHERE removed_at IS NULL;

-- The audit trail is kept by the database, as the log's is: no row is deleted, and the only
-- change a row takes is its one unfollow (removed_at and removed_by set, once).
CREATE TRIGGER follows_no_delete BEFORE DELETE ON follows
BEGIN
    SELECT RAISE(ABORT, 'follows keep their history: DELETE is not allowed (an unfollow sets removed_at)');
END;

CREATE TRIGGER follows_no_rewrite BEFORE UPDATE ON follows
WHEN OLD.removed_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.target IS NOT OLD.target
  OR NEW.added_at IS NOT OLD.added_at OR NEW.added_by IS NOT OLD.added_by
BEGIN
    SELECT RAISE(ABORT, 'follows keep their history: only an active follow''s removed_at and removed_by may be set, once');
END;

-- The sync state of each following, one row once the sync unit has reported on it.
--
-- A table of its own rather than columns of `follows`: a follows row is the audit record of
-- a person's decision, written when it is followed and once more when unfollowed, while the
-- sync state is overwritten by every sync run (hourly, by another writer, the sync unit).
-- Apart, a sync's write cannot touch the audit columns (the follows_no_rewrite trigger can
-- then refuse every other change outright), "never synced" is simply no row, and a refollow,
-- a new follows row, starts without the old row's watermark.
--
-- last_error and last_error_at stay after a later success: the failure is history; the
-- follow is failing now when last_error_at is after last_success_at (or there is no
-- success). watermark, last_success_at, studies_checked and events_recorded are those of the
-- last successful sync, kept as they were by a failure.
CREATE TABLE follow_sync (
    follow_id        INTEGER PRIMARY KEY REFERENCES follows (id),
    -- The registry's data date (a day, YYYY-MM-DD) up to which everything was fetched.
    watermark        TEXT CHECK (watermark IS NULL OR (length(watermark) = 10
                         AND watermark GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')),
    last_success_at  TEXT,
    last_attempt_at  TEXT NOT NULL,
    last_error       TEXT,                  -- one line
    last_error_at    TEXT,
    last_synced_by   TEXT NOT NULL,         -- who reported the last attempt, success or failure
    studies_checked  INTEGER CHECK (studies_checked >= 0),
    events_recorded  INTEGER CHECK (events_recorded >= 0),
    CHECK ((last_success_at IS NULL) = (watermark IS NULL)),
    CHECK ((last_success_at IS NULL) = (studies_checked IS NULL)),
    CHECK ((last_success_at IS NULL) = (events_recorded IS NULL)),
    CHECK ((last_error IS NULL) = (last_error_at IS NULL)),
    CHECK (last_success_at IS NOT NULL OR last_error IS NOT NULL)
) STRICT;
