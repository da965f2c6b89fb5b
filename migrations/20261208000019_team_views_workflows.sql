-- no-transaction
-- Saved views and workflows are shared with a team workspace (decision 0028). A view is
-- personal (this desktop only) or shared (every desktop of the workspace has it, by the merge
-- rules). A shared view or a workflow deleted (or a view made personal again) is marked, not
-- removed, so the merge can tell it from one never seen. Two desktops may each make a view or a
-- workflow of one name while offline, so names are no longer unique in the database (the app
-- still refuses a workflow name taken here; saving a view replaces the one of that name here).
-- Both tables are rebuilt the documented way (as in migrations 5, 17 and 18); every statement can
-- run again.
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

CREATE TABLE IF NOT EXISTS workflow_new (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    -- events before this moment never fire it (turning a workflow on does not replay history)
    enabled_at TEXT,
    trigger    TEXT NOT NULL CHECK (json_valid(trigger)),
    steps      TEXT NOT NULL CHECK (json_valid(steps)),
    -- schedule triggers: when the last scheduled run happened, and the change log read up to then
    last_scheduled_at TEXT,
    schedule_seq      INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
INSERT INTO workflow_new (id, name, enabled, enabled_at, trigger, steps, last_scheduled_at, schedule_seq,
                          created_at, updated_at)
    SELECT id, name, enabled, enabled_at, trigger, steps, last_scheduled_at, schedule_seq, created_at, updated_at
    FROM workflow;
DROP TABLE workflow;
ALTER TABLE workflow_new RENAME TO workflow;
CREATE INDEX workflow_by_name ON workflow (name) WHERE deleted_at IS NULL;

COMMIT;
PRAGMA foreign_keys = ON;
