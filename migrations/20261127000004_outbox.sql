-- Offline first: operations waiting for the network, and conflicts between local and remote
-- changes. See docs/offline-and-sync.md.

-- An outbound operation, written in the same transaction as the local change that caused it.
-- `id` is the global order; operations on one record go out strictly in `id` order.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    target          TEXT NOT NULL CHECK (target IN ('whop')),
    action          TEXT NOT NULL,
    record_kind     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    -- field → value the window shows while the operation waits (the optimistic state)
    optimistic      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(optimistic)),
    -- field → value the record had when the operation was made (to tell a remote change)
    base            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(base)),
    summary         TEXT NOT NULL,
    -- sent as Idempotency-Key, so a resend after a crash or a lost answer is applied once
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'in_flight', 'done', 'failed', 'conflict', 'discarded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    finished_at     TEXT,
    source          TEXT NOT NULL CHECK (source IN ('ui', 'cli', 'import', 'sync'))
);
CREATE INDEX outbox_open_by_record ON outbox (record_kind, record_id, id)
    WHERE status IN ('pending', 'in_flight', 'failed', 'conflict');
-- The worker walks waiting operations in id order and stops at the first one it may send.
CREATE INDEX outbox_by_status ON outbox (status, id);

CREATE TABLE conflict (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('field', 'deleted_remotely', 'deleted_locally')),
    record_kind  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    field        TEXT,
    local_value  TEXT CHECK (local_value IS NULL OR json_valid(local_value)),
    remote_value TEXT CHECK (remote_value IS NULL OR json_valid(remote_value)),
    outbox_id    INTEGER REFERENCES outbox (id),
    summary      TEXT NOT NULL,
    resolved_at  TEXT,
    resolution   TEXT CHECK (resolution IS NULL OR resolution IN ('mine', 'theirs'))
);
CREATE INDEX conflict_open ON conflict (record_kind, record_id) WHERE resolved_at IS NULL;

-- Remote deletes are tombstones: the row stays (with what the user wrote about it), marked.
ALTER TABLE whop_membership ADD COLUMN remote_deleted_at TEXT;
ALTER TABLE whop_membership ADD COLUMN payment_collection_paused INTEGER;
UPDATE whop_membership SET payment_collection_paused = json_extract(raw, '$.payment_collection_paused');
