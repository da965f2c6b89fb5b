-- no-transaction
-- AI automations and workflows (issue 6). See docs/ai-and-automations.md.
--
-- Every statement can run again: sqlx records a no-transaction migration after it ran, so a crash
-- in between runs it twice (the rebuild copies the same rows; the new tables already exist).
--
-- Two CHECK constraints grow (the outbox takes AI jobs and e-sign sends; writes can come from a
-- workflow). SQLite cannot alter a CHECK, so both tables are rebuilt the documented way: foreign
-- keys off (outside a transaction, hence `no-transaction`), then one transaction that copies,
-- drops and renames.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE change_log_new (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    hlc         TEXT NOT NULL,
    at          TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'restore', 'tag', 'untag', 'link')),
    field       TEXT,
    old_value   TEXT CHECK (old_value IS NULL OR json_valid(old_value)),
    new_value   TEXT CHECK (new_value IS NULL OR json_valid(new_value)),
    source      TEXT NOT NULL CHECK (source IN ('ui', 'cli', 'import', 'sync', 'workflow'))
);
INSERT INTO change_log_new SELECT seq, hlc, at, record_kind, record_id, op, field, old_value, new_value, source
    FROM change_log;
DROP TABLE change_log;
ALTER TABLE change_log_new RENAME TO change_log;
CREATE INDEX change_log_by_record ON change_log (record_kind, record_id, seq);
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN
    SELECT RAISE(ABORT, 'change_log is append-only');
END;

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    target          TEXT NOT NULL CHECK (target IN ('whop', 'ai', 'esign')),
    action          TEXT NOT NULL,
    record_kind     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    optimistic      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(optimistic)),
    base            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(base)),
    summary         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'in_flight', 'done', 'failed', 'conflict', 'discarded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    finished_at     TEXT,
    source          TEXT NOT NULL CHECK (source IN ('ui', 'cli', 'import', 'sync', 'workflow'))
);
INSERT INTO outbox_new SELECT id, created_at, updated_at, target, action, record_kind, record_id, payload, optimistic,
    base, summary, idempotency_key, status, attempts, next_attempt_at, last_error, finished_at, source FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_open_by_record ON outbox (record_kind, record_id, id)
    WHERE status IN ('pending', 'in_flight', 'failed', 'conflict');
CREATE INDEX outbox_by_status ON outbox (status, id);

-- Every call to a model: the usage and cost log.
CREATE TABLE IF NOT EXISTS ai_call (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    provider        TEXT NOT NULL CHECK (provider IN ('openai', 'anthropic')),
    model           TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('generate-text', 'sentiment', 'score-lead', 'draft-email', 'test')),
    record_kind     TEXT,
    record_id       TEXT,
    workflow_run_id INTEGER,
    tokens_in       INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost_micros     INTEGER NOT NULL DEFAULT 0,
    latency_ms      INTEGER NOT NULL DEFAULT 0,
    outcome         TEXT NOT NULL CHECK (outcome IN ('ok', 'invalid_output', 'error')),
    error           TEXT
);
CREATE INDEX IF NOT EXISTS ai_call_by_at ON ai_call (at);
-- The dashboard's slowest and failed calls.
CREATE INDEX IF NOT EXISTS ai_call_by_latency ON ai_call (latency_ms);
CREATE INDEX IF NOT EXISTS ai_call_failed ON ai_call (id) WHERE outcome != 'ok';

-- Calls, tokens and cost per day, action and model, kept with each logged call: the dashboard and
-- the budget check read these few rows, not every call.
CREATE TABLE IF NOT EXISTS ai_usage_day (
    day         TEXT NOT NULL,
    action      TEXT NOT NULL,
    model       TEXT NOT NULL,
    calls       INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    tokens_in   INTEGER NOT NULL DEFAULT 0,
    tokens_out  INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, action, model)
);

-- Validated answers. Sentiment and lead scores are the record's current values (the newest one);
-- texts and drafts wait until the user uses or dismisses them.
CREATE TABLE IF NOT EXISTS ai_result (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('generate-text', 'sentiment', 'score-lead', 'draft-email')),
    record_kind     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    output          TEXT NOT NULL CHECK (json_valid(output)),
    model           TEXT NOT NULL,
    call_id         INTEGER REFERENCES ai_call (id),
    workflow_run_id INTEGER,
    dismissed_at    TEXT
);
CREATE INDEX IF NOT EXISTS ai_result_by_record ON ai_result (record_kind, record_id, action, id);

-- Prompt templates, versioned: an edit adds a version, the old one stays.
CREATE TABLE IF NOT EXISTS prompt_template (
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    action     TEXT NOT NULL CHECK (action IN ('generate-text', 'sentiment', 'score-lead', 'draft-email')),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    system     TEXT NOT NULL,
    user       TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
-- Which template each action uses (its newest version).
CREATE TABLE IF NOT EXISTS prompt_template_active (
    action      TEXT PRIMARY KEY,
    template_id TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS workflow (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    -- events before this moment never fire it (turning a workflow on does not replay history)
    enabled_at TEXT,
    trigger    TEXT NOT NULL CHECK (json_valid(trigger)),
    steps      TEXT NOT NULL CHECK (json_valid(steps)),
    -- schedule triggers: when the last scheduled run happened, and the change log read up to then
    last_scheduled_at TEXT,
    schedule_seq      INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS workflow_run (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id   TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    record_kind   TEXT,
    record_id     TEXT,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'stopped', 'failed')),
    -- the workflow's steps when the run was queued (an edit does not change runs in progress)
    definition    TEXT NOT NULL CHECK (json_valid(definition)),
    -- the step to run next (steps before it are done)
    next_step     INTEGER NOT NULL DEFAULT 0,
    steps         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(steps)),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    error         TEXT,
    -- one run per workflow and triggering event
    event_key     TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS workflow_run_by_workflow ON workflow_run (workflow_id, id);
CREATE INDEX IF NOT EXISTS workflow_run_open ON workflow_run (status, id) WHERE status IN ('queued', 'running');

-- Whop events the sync noticed (a membership turned active or cancelled, a payment succeeded),
-- written in the sync's transaction; the workflow engine reads them in order.
CREATE TABLE IF NOT EXISTS automation_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('whop_membership_activated', 'whop_membership_cancelled',
                                              'whop_payment_succeeded')),
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    subject     TEXT NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;
