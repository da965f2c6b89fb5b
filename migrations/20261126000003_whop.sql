-- Whop: mirror tables (extracted columns + the raw JSON as received), links onto CRM records,
-- per-resource sync cursors and the sync history. Tokens are never stored here (OS keyring only).

CREATE TABLE whop_account (
    id TEXT PRIMARY KEY, title TEXT, route TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE TABLE whop_product (
    id TEXT PRIMARY KEY, title TEXT, visibility TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE TABLE whop_plan (
    id TEXT PRIMARY KEY, product_id TEXT, plan_type TEXT, billing_period INTEGER,
    initial_price_micros INTEGER, renewal_price_micros INTEGER, currency TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE TABLE whop_member (
    id TEXT PRIMARY KEY, user_id TEXT, email TEXT, name TEXT, username TEXT, status TEXT,
    usd_total_spent_micros INTEGER,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE INDEX whop_member_by_user ON whop_member (user_id);
CREATE TABLE whop_membership (
    id TEXT PRIMARY KEY, status TEXT, user_id TEXT, member_id TEXT, product_id TEXT, plan_id TEXT,
    currency TEXT, cancel_at_period_end INTEGER, canceled_at TEXT, renewal_period_end TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE INDEX whop_membership_by_user ON whop_membership (user_id);
CREATE TABLE whop_payment (
    id TEXT PRIMARY KEY, status TEXT, substatus TEXT, user_id TEXT, member_id TEXT, membership_id TEXT,
    product_id TEXT, total_micros INTEGER, refunded_micros INTEGER, currency TEXT, paid_at TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE INDEX whop_payment_by_user ON whop_payment (user_id);
CREATE INDEX whop_payment_by_product ON whop_payment (product_id);
CREATE TABLE whop_refund (
    id TEXT PRIMARY KEY, payment_id TEXT, amount_micros INTEGER, currency TEXT, status TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE INDEX whop_refund_by_payment ON whop_refund (payment_id);
CREATE TABLE whop_review (
    id TEXT PRIMARY KEY, user_id TEXT, product_id TEXT, stars INTEGER, status TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE TABLE whop_promo_code (
    id TEXT PRIMARY KEY, code TEXT, status TEXT, promo_type TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);
CREATE TABLE whop_lead (
    id TEXT PRIMARY KEY, user_id TEXT, member_id TEXT, product_id TEXT,
    created_at TEXT, remote_updated_at TEXT, synced_at TEXT NOT NULL, raw TEXT NOT NULL CHECK (json_valid(raw))
);

-- A Whop user is one person, ever: matched by Whop id first, then by email.
CREATE TABLE whop_person (
    user_id   TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE
);
CREATE INDEX whop_person_by_person ON whop_person (person_id);
-- A membership is one deal in the "Whop memberships" pipeline.
CREATE TABLE whop_deal (
    membership_id TEXT PRIMARY KEY,
    deal_id       TEXT NOT NULL REFERENCES deal (id) ON DELETE CASCADE
);

CREATE TABLE sync_cursor (
    resource          TEXT PRIMARY KEY,
    -- the `after` cursor of the pass in progress (NULL between passes)
    after_cursor      TEXT,
    -- 'incremental' (created after the high-water mark) or 'rescan' (everything, by updated_at)
    pass              TEXT NOT NULL DEFAULT 'incremental' CHECK (pass IN ('incremental', 'rescan')),
    -- the created_after filter of the pass in progress (a resumed pass repeats the same query)
    pass_created_after TEXT,
    high_water        TEXT,
    last_full_scan_at TEXT,
    fetched           INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    updated_at        TEXT NOT NULL
);

CREATE TABLE sync_run (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    counts      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(counts)),
    error       TEXT
);
