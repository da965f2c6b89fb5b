-- Delete for good (the Trash screen, issue 21). The change log stays append-only for every write,
-- but a record deleted for good takes its history with it: the history holds every value it ever
-- had, and "delete for good" that kept them would not be. The purge names the record here, in
-- the same transaction, deletes its rows, and takes the name out again; nothing else can delete.
CREATE TABLE change_log_purge (
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id)
);
DROP TRIGGER change_log_no_delete;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
WHEN NOT EXISTS (SELECT 1 FROM change_log_purge p WHERE p.record_kind = old.record_kind AND p.record_id = old.record_id)
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;
