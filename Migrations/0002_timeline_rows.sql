-- trialtrack schema 0002: timeline rows that hold only what the log does not.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- 0001's timeline rows copied each entry's type, date, source and one-line text from the
-- event (as JSON) and kept a 41-character text sort key: about 250 bytes a row, written for
-- every event and again by every rebuild. A row now says which events are on a trial's
-- timeline, in what world order, and which correction replaced a payload; the rest is read
-- from `events` (type, occurred, source, payload) or derived from the payload (the text).

CREATE TABLE timeline_0002 (
    trial              TEXT    NOT NULL,
    seq                INTEGER NOT NULL,
    window_start       INTEGER NOT NULL,     -- world order: the occurred window's first day, yyyymmdd,
    window_end         INTEGER NOT NULL,     -- then its last day, then seq
    corrected_by       INTEGER,              -- the correction whose payload replaced the event's
    corrected_payload  TEXT,                 -- that payload; NULL: the event's own
    PRIMARY KEY (trial, seq)
) STRICT, WITHOUT ROWID;

-- 0001's sort key is `yyyy-mm-dd/yyyy-mm-dd/seq`.
INSERT INTO timeline_0002 (trial, seq, window_start, window_end, corrected_by, corrected_payload)
SELECT trial, seq,
       CAST(replace(substr(sort_key, 1, 10), '-', '') AS INTEGER),
       CAST(replace(substr(sort_key, 12, 10), '-', '') AS INTEGER),
       json_extract(entry, '$.correctedBy'),
       corrected_payload
FROM timeline;

DROP TABLE timeline;
ALTER TABLE timeline_0002 RENAME TO timeline;
