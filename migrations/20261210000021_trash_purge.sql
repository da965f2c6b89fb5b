-- Delete for good (the Trash screen, issue 21). The change log stays append-only for every write,
-- but a record deleted for good takes its history with it: the history holds every value it ever
-- had, and "delete for good" that kept them would not be. The purge names the record here, in
-- the same transaction, then deletes its rows; nothing else can delete from the log.
--
-- The row stays after the purge, as a tombstone: a change another desktop of a team workspace
-- made to the record (or its create, pulled again after a re-join) is dropped, not held forever
-- waiting for a record that will never come back (core/crm/src/shared.rs).
CREATE TABLE purged_record (
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    purged_at   TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id)
) WITHOUT ROWID;
DROP TRIGGER change_log_no_delete;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
WHEN NOT EXISTS (SELECT 1 FROM purged_record p WHERE p.record_kind = old.record_kind AND p.record_id = old.record_id)
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;
