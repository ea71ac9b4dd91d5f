-- trialtrack schema 0005: the file says it is trialtrack's.
-- Never edit this file once shipped: add a new NNNN_name.sql instead.
--
-- PRAGMA application_id is a 32-bit number in the database header (offset 68) by which a
-- program tells its files from other SQLite files (file(1) reads it too). trialtrack's is
-- 0x5452544B, "TRTK" in ASCII (EventStore.applicationID). A store refuses to open a database
-- with tables and another mark, or with no mark and no schema_migrations table of its own,
-- before writing anything to it: another application's file is not migrated. Set here, in
-- the migration's transaction: a database of an older schema gets it as it is migrated.

PRAGMA application_id = 1414681675;
