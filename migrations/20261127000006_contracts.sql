-- no-transaction
-- Contracts and e-signature (issue 7). See docs/contracts.md.
--
-- Every statement can run again (see 20261127000005): the automation_event rebuild copies the same
-- rows, the new tables already exist.
--
-- automation_event's kind CHECK grows by 'contract_completed' (a completed contract fires a
-- workflow trigger), which SQLite can only do by rebuilding the table.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE automation_event_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('whop_membership_activated', 'whop_membership_cancelled',
                                              'whop_payment_succeeded', 'contract_completed')),
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    subject     TEXT NOT NULL
);
INSERT INTO automation_event_new SELECT id, at, kind, record_kind, record_id, subject FROM automation_event;
DROP TABLE automation_event;
ALTER TABLE automation_event_new RENAME TO automation_event;

-- Templates are Typst markup with {{merge.field}} placeholders; every save is a new version.
CREATE TABLE IF NOT EXISTS contract_template (
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    body       TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at TEXT NOT NULL,
    -- set on every version of a deleted template
    deleted_at TEXT,
    PRIMARY KEY (id, version)
);

CREATE TABLE IF NOT EXISTS contract (
    id             TEXT PRIMARY KEY,
    deal_id        TEXT NOT NULL,
    template_id    TEXT NOT NULL,
    template_name  TEXT NOT NULL,
    title          TEXT NOT NULL,
    provider       TEXT NOT NULL CHECK (provider IN ('docusign', 'dropbox-sign')),
    status         TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'viewed', 'partially_signed', 'completed',
                                                   'declined', 'voided', 'failed')),
    -- the envelope or signature request, once the provider has it
    remote_id      TEXT,
    -- [{name, email, status, signed_at, declined_reason}]
    signers        TEXT NOT NULL CHECK (json_valid(signers)),
    error          TEXT,
    -- a cancel was asked for and the provider has not confirmed it yet (Dropbox Sign is asynchronous)
    void_requested INTEGER NOT NULL DEFAULT 0 CHECK (void_requested IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    sent_at        TEXT,
    completed_at   TEXT,
    last_checked_at TEXT
);
CREATE INDEX IF NOT EXISTS contract_by_deal ON contract (deal_id, created_at);
CREATE INDEX IF NOT EXISTS contract_open ON contract (provider, status);

-- The status timeline of each contract.
CREATE TABLE IF NOT EXISTS contract_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id TEXT NOT NULL REFERENCES contract (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('drafted', 'sent', 'viewed', 'signed', 'completed', 'declined',
                                              'voided', 'void_requested', 'failed', 'downloaded')),
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS contract_event_by_contract ON contract_event (contract_id, id);

-- Rendered drafts and signed files, sealed with XChaCha20-Poly1305 (the key is in the OS keyring;
-- the contract id and kind are the associated data, so a blob cannot be moved to another row).
CREATE TABLE IF NOT EXISTS contract_document (
    contract_id TEXT NOT NULL REFERENCES contract (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('draft', 'signed', 'certificate')),
    nonce       BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    -- of the plaintext
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (contract_id, kind)
);

COMMIT;
PRAGMA foreign_keys = ON;
