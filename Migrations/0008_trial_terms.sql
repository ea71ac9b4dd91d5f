-- trialtrack schema 0008: the terms trials are filtered by, indexed.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- Issue 30: Status, Upcoming and Log take filters (phase, status, sponsor, condition,
-- intervention, followed) that trialsd runs on indexed columns. A trial's phases, sponsor and
-- collaborators, conditions and interventions live in its registration's JSON, which no
-- index reaches; this projection holds them as (kind, term, trial) rows, written by the
-- projection writer whenever a registration changes and by a rebuild, like every projection.
-- A name is stored lower case with each run of punctuation and spaces one space, once from
-- each of its words on ("akeso inc", "inc"), so that a filter's whole words anywhere in a
-- name are a range of trial_terms_term (TrialFilter in TrialDomain says why whole words).
-- Phases are stored as the filter names them: 3, 1/2, 2/3, early-1, not-applicable.
CREATE TABLE trial_terms (
    kind   TEXT NOT NULL,                    -- phase, sponsor, condition, intervention
    term   TEXT NOT NULL,
    trial  TEXT NOT NULL,
    -- By trial: what a filter checks of each trial another filter found, and what an update
    -- of its registration deletes; and the order a rebuild writes them in, so that its rows
    -- go to the table's end while the index, dropped for the fill, is made in one pass.
    PRIMARY KEY (trial, kind, term)
) STRICT, WITHOUT ROWID;
-- By term: the trials a filter finds (with the key's trial, a covering index).
CREATE INDEX trial_terms_term ON trial_terms (kind, term);

-- The status filter reads the trials row's own column.
CREATE INDEX trials_status ON trials (status);

-- An older database's registrations are turned into terms when the store next opens it
-- (in Swift, which normalises names as the writer does; SQL cannot), in one transaction that
-- also deletes this row: until then the row says the terms are still to be made.
CREATE TABLE projection_backfill (
    name  TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO projection_backfill (name) SELECT 'trial_terms' WHERE EXISTS (SELECT 1 FROM registrations);
