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
-- name are a range of the primary key (TrialFilter in TrialDomain says why whole words).
-- Phases are stored as the filter names them: 3, 1/2, 2/3, early-1, not-applicable.
CREATE TABLE trial_terms (
    kind   TEXT NOT NULL,                    -- phase, sponsor, condition, intervention
    term   TEXT NOT NULL,
    trial  TEXT NOT NULL,
    PRIMARY KEY (kind, term, trial)
) STRICT, WITHOUT ROWID;
-- A trial's terms: what a filter checks of each trial another filter found, and what an
-- update of its registration deletes.
CREATE INDEX trial_terms_trial ON trial_terms (trial, kind, term);

-- The status filter reads the trials row's own column.
CREATE INDEX trials_status ON trials (status);

-- An older database's registrations are turned into terms when the store next opens it
-- (in Swift, which normalises names as the writer does; SQL cannot), in one transaction that
-- also deletes this row: until then the row says the terms are still to be made.
CREATE TABLE projection_backfill (
    name  TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO projection_backfill (name) SELECT 'trial_terms' WHERE EXISTS (SELECT 1 FROM registrations);
