-- trialtrack schema 0001: the append-only event log and its projections.
-- Never edit this file once shipped: add a new NNNN_name.sql instead. The daemon refuses a
-- database whose applied migration no longer matches the file it was applied from.

-- The log. One row per event; seq is the gapless global sequence (never reused).
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,        -- gapless global sequence, 1, 2, 3 ...
    event_id     TEXT    NOT NULL UNIQUE,    -- idempotency key (UUID, lower case)
    trial        TEXT    NOT NULL,           -- the trial's stream key
    version      INTEGER NOT NULL,           -- 1, 2, 3 ... within the trial
    type         TEXT    NOT NULL,           -- event type (registered, readout ...)
    occurred     TEXT    NOT NULL,           -- partial date as given: 2027, 2026-H1, 2025-Q2, 2025-04, 2026-06-02
    recorded     TEXT    NOT NULL,           -- UTC, 2026-11-21T19:37:24.123456Z
    recorded_by  TEXT    NOT NULL,           -- from the peer's credentials, never from the request
    source       TEXT,                       -- citation, URL or registry record
    payload      TEXT    NOT NULL,           -- canonical JSON
    hash         BLOB    NOT NULL,           -- SHA-256(previous hash || canonical event)
    UNIQUE (trial, version)
) STRICT;

-- Append-only, enforced by the database itself.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;

-- Gapless: a new event must take the next sequence number and the trial's next version.
CREATE TRIGGER events_gapless BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM events)
  OR NEW.version IS NOT (SELECT IFNULL(MAX(version), 0) + 1 FROM events WHERE trial = NEW.trial)
BEGIN
    SELECT RAISE(ABORT, 'events are gapless: seq and version must be the next numbers');
END;

-- Projections: current state, derived from the log, rebuilt by `trialctl rebuild`.

-- One row per trial.
CREATE TABLE trials (
    trial            TEXT PRIMARY KEY,
    acronym          TEXT,
    title            TEXT,
    sponsor          TEXT,
    phases           TEXT NOT NULL,          -- comma-separated
    status           TEXT,
    status_since     TEXT,
    last_milestone   TEXT,                   -- JSON {seq, type, occurred, text}
    next_expected    TEXT,                   -- JSON {seq, milestone, window}
    version          INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    summary          TEXT NOT NULL           -- JSON: the trial summary but its registration
) STRICT, WITHOUT ROWID;

-- The merged registration of each trial: kept apart because it is the largest part of a
-- trial's state and changes rarely, while `trials` changes with every event.
CREATE TABLE registrations (
    trial         TEXT PRIMARY KEY,
    registration  TEXT NOT NULL              -- JSON: the merged `registered` payload
) STRICT, WITHOUT ROWID;

-- Every identifier, acronym and key by which a trial is found (lower case).
CREATE TABLE trial_aliases (
    alias     TEXT PRIMARY KEY,
    trial     TEXT NOT NULL,
    registry  TEXT NOT NULL,                 -- key, nct, ctis, eudract, sponsor, other, acronym
    id        TEXT NOT NULL                  -- as written
) STRICT, WITHOUT ROWID;
CREATE INDEX trial_aliases_trial ON trial_aliases (trial);

-- The milestones of each trial, with their results.
CREATE TABLE timeline (
    trial     TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    occurred  TEXT    NOT NULL,
    sort_key  TEXT    NOT NULL,              -- world order: window start, window end, seq
    entry     TEXT    NOT NULL,              -- JSON timeline entry, without its payload
    corrected_payload TEXT,                  -- the correction's payload; NULL: the event's own
    PRIMARY KEY (trial, seq)
) STRICT, WITHOUT ROWID;

-- Expected milestones: pending, met, overdue or superseded.
CREATE TABLE expectations (
    seq           INTEGER PRIMARY KEY,
    trial         TEXT    NOT NULL,
    milestone     TEXT    NOT NULL,
    window        TEXT    NOT NULL,
    window_start  TEXT    NOT NULL,          -- yyyy-mm-dd
    window_end    TEXT    NOT NULL,          -- yyyy-mm-dd
    state         TEXT    NOT NULL,
    entry         TEXT    NOT NULL           -- JSON expectation
) STRICT;
CREATE INDEX expectations_trial ON expectations (trial);
CREATE INDEX expectations_window ON expectations (window_end, seq);
