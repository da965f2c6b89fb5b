-- no-transaction
-- Saved views can be shared with a team workspace (decision 0028): a view is personal (this
-- desktop only) or shared (every desktop of the workspace has it, by the merge rules). A shared
-- view deleted, or made personal again, is marked, not removed, so the merge can tell it from one
-- never seen; and two desktops may each share a view of one name while offline, so the name is no
-- longer unique in the database (saving a view still replaces the one of that name here). The
-- table is rebuilt the documented way (as in migrations 5, 17 and 18); every statement can run
-- again.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE IF NOT EXISTS saved_view_new (
    id         TEXT PRIMARY KEY,
    object     TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal', 'task')),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    state      TEXT NOT NULL CHECK (json_valid(state)),
    shared     INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
INSERT INTO saved_view_new (id, object, name, state, created_at, updated_at)
    SELECT id, object, name, state, created_at, updated_at FROM saved_view;
DROP TABLE saved_view;
ALTER TABLE saved_view_new RENAME TO saved_view;
CREATE INDEX saved_view_by_name ON saved_view (object, name) WHERE deleted_at IS NULL;

COMMIT;
PRAGMA foreign_keys = ON;
