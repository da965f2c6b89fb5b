-- no-transaction
-- Team workspaces (issue 20, docs/team.md): this desktop's link to a team hub, and changes pulled
-- from the other desktops written to the change log like any edit (timeline, "who changed what").
--
-- Every statement can run again: sqlx records a no-transaction migration after it ran, so a crash
-- in between runs it twice (the rebuild copies the same rows; the new table already exists).
--
-- The change log's `source` CHECK grows a 'team' (a change pulled from the hub), and two columns
-- say where such a change was made: `node`, the desktop that made it (NULL: this desktop), and
-- `author`, the member's email. SQLite cannot alter a CHECK, so the table is rebuilt the documented
-- way (as in migration 5).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE IF NOT EXISTS change_log_new (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    hlc         TEXT NOT NULL,
    at          TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'tag', 'untag', 'link')),
    field       TEXT,
    old_value   TEXT CHECK (old_value IS NULL OR json_valid(old_value)),
    new_value   TEXT CHECK (new_value IS NULL OR json_valid(new_value)),
    source      TEXT NOT NULL CHECK (source IN ('ui', 'cli', 'import', 'sync', 'workflow', 'team')),
    -- the desktop (install id) that made a pulled change; NULL for this desktop's own
    node        TEXT,
    -- the email of the member who made a pulled change
    author      TEXT,
    CHECK ((source = 'team') = (node IS NOT NULL))
);
INSERT INTO change_log_new (seq, hlc, at, record_kind, record_id, op, field, old_value, new_value, source)
    SELECT seq, hlc, at, record_kind, record_id, op, field, old_value, new_value, source FROM change_log;
DROP TABLE change_log;
ALTER TABLE change_log_new RENAME TO change_log;
CREATE INDEX change_log_by_record ON change_log (record_kind, record_id, seq);
-- What this desktop pushes: its own changes in order.
CREATE INDEX change_log_own ON change_log (seq) WHERE node IS NULL;
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;

-- This desktop's team workspace (at most one). The password is in the keyring, never here.
CREATE TABLE IF NOT EXISTS team_link (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    host        TEXT NOT NULL,
    port        INTEGER NOT NULL,
    database    TEXT NOT NULL,
    -- the connection's sslmode ('prefer' unless the owner's URL or the member's choice says otherwise)
    ssl_mode    TEXT NOT NULL DEFAULT 'prefer',
    workspace   TEXT NOT NULL,
    workspace_name TEXT NOT NULL,
    role        TEXT NOT NULL,
    email       TEXT NOT NULL,
    access      TEXT NOT NULL CHECK (access IN ('owner', 'member', 'read_only')),
    joined_at   TEXT NOT NULL,
    -- set when this desktop left or was removed: the local copy stays, syncing stops
    left_at     TEXT,
    left_reason TEXT,
    -- the last change_log.seq of this desktop's own that the hub has
    pushed_seq  INTEGER NOT NULL DEFAULT 0,
    -- the last hub change number applied here
    pulled_seq  INTEGER NOT NULL DEFAULT 0,
    last_push_at TEXT,
    last_pull_at TEXT,
    -- why the last sync failed (offline, refused: …); NULL after a sync that worked
    last_error  TEXT,
    -- the hub's schema version at the last sync
    hub_version INTEGER
);

-- Pulled changes that could not be applied yet (the record they change has not arrived, or a
-- live record here already has the email or domain a pulled one brings). Each sync tries them
-- again, in the hub's order, before the new ones; none is dropped.
CREATE TABLE IF NOT EXISTS team_held (
    hub_seq INTEGER PRIMARY KEY,
    node    TEXT NOT NULL,
    author  TEXT NOT NULL,
    change  TEXT NOT NULL CHECK (json_valid(change)),
    reason  TEXT NOT NULL,
    held_at TEXT NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;
