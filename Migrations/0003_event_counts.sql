-- trialtrack schema 0003: events per type, and trials, counted as the log grows.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- `stats` counted the log's events by type with a scan of every event: 11 s at ten million
-- events. The writer now adds each transaction's counts here, once per type, in the same
-- transaction; a rebuild makes the table again from the log, as every projection. Filled
-- here from the log as it stands (one scan, once). The same for the number of trials, which
-- trialsd shows in its status line: counting `trials` reads all of it (400 MB at 560,000
-- trials, for every count).

CREATE TABLE event_counts (
    type   TEXT    PRIMARY KEY,
    count  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO event_counts (type, count) SELECT type, COUNT(*) FROM events GROUP BY type;

CREATE TABLE trial_count (
    one    INTEGER PRIMARY KEY CHECK (one = 1),
    count  INTEGER NOT NULL
) STRICT;

INSERT INTO trial_count (one, count) SELECT 1, COUNT(*) FROM trials;
