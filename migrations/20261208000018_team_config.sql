-- no-transaction
-- Team workspaces share pipelines, stages and custom field definitions (decision 0028). Two
-- desktops may each create a pipeline called "Renewals" while offline: both must arrive
-- everywhere, or the deals in them wait forever. So the database no longer makes pipeline names,
-- or stage names within a pipeline, unique; the app still refuses a name taken here when a user
-- saves a pipeline. SQLite cannot drop a table's UNIQUE constraint, so both tables are rebuilt the
-- documented way (as in migrations 5 and 17). Every statement can run again.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE IF NOT EXISTS pipeline_new (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL COLLATE NOCASE,
    position   INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
INSERT INTO pipeline_new (id, name, position, is_default, created_at, updated_at, deleted_at)
    SELECT id, name, position, is_default, created_at, updated_at, deleted_at FROM pipeline;
DROP TABLE pipeline;
ALTER TABLE pipeline_new RENAME TO pipeline;
CREATE UNIQUE INDEX pipeline_one_default ON pipeline (is_default) WHERE is_default = 1;
CREATE INDEX pipeline_by_name ON pipeline (name) WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS stage_new (
    id           TEXT PRIMARY KEY,
    pipeline_id  TEXT NOT NULL REFERENCES pipeline (id) ON DELETE CASCADE,
    name         TEXT NOT NULL COLLATE NOCASE,
    position     INTEGER NOT NULL,
    probability  INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    rotting_days INTEGER CHECK (rotting_days IS NULL OR rotting_days > 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
INSERT INTO stage_new (id, pipeline_id, name, position, probability, rotting_days, created_at, updated_at, deleted_at)
    SELECT id, pipeline_id, name, position, probability, rotting_days, created_at, updated_at, deleted_at FROM stage;
DROP TABLE stage;
ALTER TABLE stage_new RENAME TO stage;
CREATE INDEX stage_by_pipeline ON stage (pipeline_id, position);

COMMIT;
PRAGMA foreign_keys = ON;
