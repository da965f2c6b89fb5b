-- The CRM core: companies, people, pipelines and stages, deals, notes, tasks, tags, custom fields,
-- the append-only change log, and full-text search.
--
-- Conventions (docs/ARCHITECTURE.md):
-- * `id` is a UUIDv7 made locally, as text. `rid` is an INTEGER PRIMARY KEY alias of the rowid,
--   kept stable across VACUUM, used only as the full-text index's rowid.
-- * Timestamps are UTC text in one fixed-width format, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so text
--   order is time order.
-- * Soft delete: `deleted_at` set means "in the trash"; live-row indexes are partial on
--   `deleted_at IS NULL`.
-- * Money is integer micros plus an ISO 4217 code.
-- * `custom` holds custom field values as a JSON object keyed by the definition's key.

CREATE TABLE company (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    domain       TEXT COLLATE NOCASE,
    employees    INTEGER CHECK (employees IS NULL OR employees >= 0),
    arr_micros   INTEGER,
    arr_currency TEXT CHECK ((arr_micros IS NULL) = (arr_currency IS NULL)),
    address      TEXT,
    linkedin_url TEXT,
    icp          INTEGER NOT NULL DEFAULT 0 CHECK (icp IN (0, 1)),
    custom       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
    origin       TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'whop')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE UNIQUE INDEX company_domain_live ON company (domain) WHERE domain IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX company_by_name ON company (name, id) WHERE deleted_at IS NULL;
CREATE INDEX company_by_updated ON company (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX company_by_created ON company (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE person (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    first_name   TEXT NOT NULL COLLATE NOCASE,
    last_name    TEXT NOT NULL COLLATE NOCASE,
    email        TEXT COLLATE NOCASE,
    phone        TEXT,
    job_title    TEXT,
    city         TEXT,
    linkedin_url TEXT,
    avatar_url   TEXT,
    company_id   TEXT REFERENCES company (id) ON DELETE SET NULL,
    custom       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
    origin       TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'whop')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    CHECK (length(trim(first_name)) + length(trim(last_name)) > 0)
);
CREATE UNIQUE INDEX person_email_live ON person (email) WHERE email IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX person_by_name ON person (first_name, last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX person_by_updated ON person (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX person_by_created ON person (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX person_by_company ON person (company_id);

CREATE TABLE pipeline (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    position   INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX pipeline_one_default ON pipeline (is_default) WHERE is_default = 1;

CREATE TABLE stage (
    id           TEXT PRIMARY KEY,
    pipeline_id  TEXT NOT NULL REFERENCES pipeline (id) ON DELETE CASCADE,
    name         TEXT NOT NULL COLLATE NOCASE,
    position     INTEGER NOT NULL,
    probability  INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    rotting_days INTEGER CHECK (rotting_days IS NULL OR rotting_days > 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    UNIQUE (pipeline_id, name)
);

CREATE TABLE deal (
    rid              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    amount_micros    INTEGER NOT NULL,
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    close_date       TEXT,
    pipeline_id      TEXT NOT NULL REFERENCES pipeline (id),
    stage_id         TEXT NOT NULL REFERENCES stage (id),
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    lost_reason      TEXT,
    contact_id       TEXT REFERENCES person (id) ON DELETE SET NULL,
    company_id       TEXT REFERENCES company (id) ON DELETE SET NULL,
    stage_entered_at TEXT NOT NULL,
    position         REAL NOT NULL DEFAULT 0,
    custom           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
    origin           TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'whop')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX deal_by_name ON deal (name, id) WHERE deleted_at IS NULL;
CREATE INDEX deal_by_amount ON deal (amount_micros, id) WHERE deleted_at IS NULL;
CREATE INDEX deal_by_updated ON deal (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deal_by_created ON deal (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deal_by_stage ON deal (stage_id, position) WHERE deleted_at IS NULL;
CREATE INDEX deal_by_company ON deal (company_id);
CREATE INDEX deal_by_contact ON deal (contact_id);

CREATE TABLE note (
    rid        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    body       TEXT NOT NULL,
    origin     TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'whop')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);

CREATE TABLE note_target (
    note_id     TEXT NOT NULL REFERENCES note (id) ON DELETE CASCADE,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('person', 'company', 'deal')),
    record_id   TEXT NOT NULL,
    PRIMARY KEY (note_id, record_kind, record_id)
);
CREATE INDEX note_target_by_record ON note_target (record_kind, record_id);

CREATE TABLE task (
    rid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    body        TEXT,
    due_at      TEXT,
    reminder_at TEXT,
    status      TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    origin      TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'whop')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX task_by_due ON task (due_at) WHERE deleted_at IS NULL;

CREATE TABLE task_target (
    task_id     TEXT NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('person', 'company', 'deal')),
    record_id   TEXT NOT NULL,
    PRIMARY KEY (task_id, record_kind, record_id)
);
CREATE INDEX task_target_by_record ON task_target (record_kind, record_id);

CREATE TABLE tag (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    color      TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE record_tag (
    record_kind TEXT NOT NULL CHECK (record_kind IN ('person', 'company', 'deal')),
    record_id   TEXT NOT NULL,
    tag_id      TEXT NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id, tag_id)
);
CREATE INDEX record_tag_by_tag ON record_tag (tag_id, record_kind, record_id);

CREATE TABLE custom_field (
    id         TEXT PRIMARY KEY,
    object     TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal')),
    key        TEXT NOT NULL,
    label      TEXT NOT NULL,
    field_type TEXT NOT NULL CHECK (json_valid(field_type)),
    position   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (object, key)
);

-- Append-only, field-level history. Written in the same transaction as the edit it describes; the
-- timeline, undo and (later) multi-device sync read it. `hlc` is a uhlc timestamp as text.
CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    hlc         TEXT NOT NULL,
    at          TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'tag', 'untag', 'link')),
    field       TEXT,
    old_value   TEXT CHECK (old_value IS NULL OR json_valid(old_value)),
    new_value   TEXT CHECK (new_value IS NULL OR json_valid(new_value)),
    source      TEXT NOT NULL CHECK (source IN ('ui', 'cli', 'import', 'sync'))
);
CREATE INDEX change_log_by_record ON change_log (record_kind, record_id, seq);
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;

-- Full-text search. Contentless FTS5 tables keyed by the record's `rid`, holding live rows only,
-- kept in step by triggers. unicode61 with remove_diacritics folds case and accents; the prefix
-- indexes make short prefix queries cheap.
CREATE VIRTUAL TABLE person_fts USING fts5 (
    first_name, last_name, email, job_title, city,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER person_fts_insert AFTER INSERT ON person WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO person_fts (rowid, first_name, last_name, email, job_title, city)
    VALUES (new.rid, new.first_name, new.last_name, new.email, new.job_title, new.city);
END;
CREATE TRIGGER person_fts_update AFTER UPDATE OF first_name, last_name, email, job_title, city, deleted_at ON person
BEGIN
    DELETE FROM person_fts WHERE rowid = old.rid;
    INSERT INTO person_fts (rowid, first_name, last_name, email, job_title, city)
    SELECT new.rid, new.first_name, new.last_name, new.email, new.job_title, new.city WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER person_fts_delete AFTER DELETE ON person
BEGIN
    DELETE FROM person_fts WHERE rowid = old.rid;
END;

CREATE VIRTUAL TABLE company_fts USING fts5 (
    name, domain,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER company_fts_insert AFTER INSERT ON company WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO company_fts (rowid, name, domain) VALUES (new.rid, new.name, new.domain);
END;
CREATE TRIGGER company_fts_update AFTER UPDATE OF name, domain, deleted_at ON company
BEGIN
    DELETE FROM company_fts WHERE rowid = old.rid;
    INSERT INTO company_fts (rowid, name, domain)
    SELECT new.rid, new.name, new.domain WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER company_fts_delete AFTER DELETE ON company
BEGIN
    DELETE FROM company_fts WHERE rowid = old.rid;
END;

CREATE VIRTUAL TABLE deal_fts USING fts5 (
    name,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER deal_fts_insert AFTER INSERT ON deal WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO deal_fts (rowid, name) VALUES (new.rid, new.name);
END;
CREATE TRIGGER deal_fts_update AFTER UPDATE OF name, deleted_at ON deal
BEGIN
    DELETE FROM deal_fts WHERE rowid = old.rid;
    INSERT INTO deal_fts (rowid, name) SELECT new.rid, new.name WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER deal_fts_delete AFTER DELETE ON deal
BEGIN
    DELETE FROM deal_fts WHERE rowid = old.rid;
END;

CREATE VIRTUAL TABLE note_fts USING fts5 (
    body,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER note_fts_insert AFTER INSERT ON note WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO note_fts (rowid, body) VALUES (new.rid, new.body);
END;
CREATE TRIGGER note_fts_update AFTER UPDATE OF body, deleted_at ON note
BEGIN
    DELETE FROM note_fts WHERE rowid = old.rid;
    INSERT INTO note_fts (rowid, body) SELECT new.rid, new.body WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER note_fts_delete AFTER DELETE ON note
BEGIN
    DELETE FROM note_fts WHERE rowid = old.rid;
END;

-- The default pipeline. Fixed ids so every install agrees on them.
INSERT INTO pipeline (id, name, position, is_default, created_at, updated_at)
VALUES ('01930000-0000-7000-8000-000000000001', 'Sales', 0, 1,
        strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
INSERT INTO stage (id, pipeline_id, name, position, probability, rotting_days, created_at, updated_at)
VALUES
    ('01930000-0000-7000-8000-000000000011', '01930000-0000-7000-8000-000000000001', 'NEW', 0, 10, 7,
     strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    ('01930000-0000-7000-8000-000000000012', '01930000-0000-7000-8000-000000000001', 'SCREENING', 1, 20, 14,
     strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    ('01930000-0000-7000-8000-000000000013', '01930000-0000-7000-8000-000000000001', 'MEETING', 2, 40, 14,
     strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    ('01930000-0000-7000-8000-000000000014', '01930000-0000-7000-8000-000000000001', 'PROPOSAL', 3, 60, 21,
     strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    ('01930000-0000-7000-8000-000000000015', '01930000-0000-7000-8000-000000000001', 'CUSTOMER', 4, 100, NULL,
     strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
