-- Whop as the official SDK defines it (docs/decisions/0019): every list is asked for one business
-- (`account_id` / `company_id`, reviews per product), so every mirrored object and every Whop deal
-- carries the business it was synced for, and the sync keeps one cursor per (resource, scope).

ALTER TABLE whop_product ADD COLUMN account_id TEXT;
ALTER TABLE whop_plan ADD COLUMN account_id TEXT;
ALTER TABLE whop_member ADD COLUMN account_id TEXT;
ALTER TABLE whop_membership ADD COLUMN account_id TEXT;
ALTER TABLE whop_payment ADD COLUMN account_id TEXT;
ALTER TABLE whop_refund ADD COLUMN account_id TEXT;
ALTER TABLE whop_review ADD COLUMN account_id TEXT;
ALTER TABLE whop_promo_code ADD COLUMN account_id TEXT;
ALTER TABLE whop_lead ADD COLUMN account_id TEXT;
ALTER TABLE whop_deal ADD COLUMN account_id TEXT;

-- Rows synced before: memberships and payments name their company (the seller's own purchases
-- from other creators name another one, and no view counts them); the rest belong to the only
-- business there was, when there was exactly one (the next sync fills in any left NULL).
UPDATE whop_membership SET account_id = json_extract(raw, '$.company.id') WHERE account_id IS NULL;
UPDATE whop_payment SET account_id = json_extract(raw, '$.company.id') WHERE account_id IS NULL;
UPDATE whop_membership SET account_id = (SELECT id FROM whop_account)
WHERE account_id IS NULL AND (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_payment SET account_id = (SELECT id FROM whop_account)
WHERE account_id IS NULL AND (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_product SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_plan SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_member SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_refund SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_review SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_promo_code SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_lead SET account_id = (SELECT id FROM whop_account) WHERE (SELECT count(*) FROM whop_account) = 1;
UPDATE whop_deal SET account_id = (SELECT m.account_id FROM whop_membership m WHERE m.id = whop_deal.membership_id);

CREATE INDEX whop_membership_by_account ON whop_membership (account_id, status);
CREATE INDEX whop_payment_by_account ON whop_payment (account_id, status);
CREATE INDEX whop_deal_by_account ON whop_deal (account_id);

-- Cursors per (resource, scope): scope is the business id ('' for the accounts list itself), or
-- the product id for reviews. A single-business database keeps its high-water marks; reviews and
-- any other cursor start over with a rescan (which finds unchanged rows unchanged).
CREATE TABLE whop_sync_cursor (
    resource           TEXT NOT NULL,
    scope              TEXT NOT NULL DEFAULT '',
    -- the business the scope belongs to ('' for accounts)
    account_id         TEXT NOT NULL DEFAULT '',
    after_cursor       TEXT,
    pass               TEXT NOT NULL DEFAULT 'incremental' CHECK (pass IN ('incremental', 'rescan')),
    pass_created_after TEXT,
    high_water         TEXT,
    last_full_scan_at  TEXT,
    fetched            INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (resource, scope)
);
INSERT INTO whop_sync_cursor (resource, scope, account_id, after_cursor, pass, pass_created_after, high_water,
                              last_full_scan_at, fetched, last_error, updated_at)
SELECT c.resource, CASE WHEN c.resource = 'accounts' THEN '' ELSE a.id END,
       CASE WHEN c.resource = 'accounts' THEN '' ELSE a.id END,
       -- A pass in progress was asked for with another query (no business, other params): it
       -- starts again; the high-water mark and the last full scan stay.
       NULL, 'incremental', NULL, c.high_water, c.last_full_scan_at, c.fetched, c.last_error,
       c.updated_at
FROM sync_cursor c, (SELECT id FROM whop_account) a
WHERE c.resource != 'reviews' AND (SELECT count(*) FROM whop_account) = 1;
DROP TABLE sync_cursor;

-- A run may now end `partial`: some businesses or resources failed and the rest synced.
CREATE TABLE sync_run_new (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'partial', 'failed', 'interrupted')),
    counts      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(counts)),
    error       TEXT
);
INSERT INTO sync_run_new SELECT id, started_at, finished_at, status, counts, error FROM sync_run;
DROP TABLE sync_run;
ALTER TABLE sync_run_new RENAME TO sync_run;

-- Whop keeps an Idempotency-Key for 24 hours: when an operation's key first went out, so an
-- older one is checked against Whop before it is sent again (docs/offline-and-sync.md).
ALTER TABLE outbox ADD COLUMN key_first_sent_at TEXT;

-- Operations queued before this version were built from the old assumptions: mend them so they
-- are what the pinned version accepts, or stop them with a reason.
-- A refund of "the rest" went out as {}, which Whop reads as the full payment: name the amount.
UPDATE outbox
SET payload = json_set(payload, '$.body', json_object('partial_amount',
        round(json_extract(optimistic, '$.refunded_amount') - coalesce(json_extract(base, '$.refunded_amount'), 0), 2)))
WHERE action = 'payment.refund' AND status IN ('pending', 'in_flight', 'failed', 'conflict')
  AND json_extract(payload, '$.body.partial_amount') IS NULL;
-- Deactivate was POST …/deactivate, which the pinned version does not have: DELETE archives.
UPDATE outbox
SET payload = json_set(payload, '$.method', 'DELETE',
        '$.path', replace(json_extract(payload, '$.path'), '/deactivate', ''), '$.body', json('null')),
    optimistic = json_set(optimistic, '$.status', 'archived')
WHERE action = 'promo_code.deactivate' AND status IN ('pending', 'in_flight', 'failed', 'conflict')
  AND json_extract(payload, '$.path') LIKE '%/deactivate';
-- A promo code "forever" cannot be created through the pinned version: the user recreates it.
UPDATE outbox
SET status = 'failed', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    last_error = 'Whop''s API needs the number of months a promo code lasts, and this one had none ("forever"): discard it and create the code again with 1 to 36 months'
WHERE action = 'promo_code.create' AND status IN ('pending', 'in_flight', 'failed')
  AND json_type(payload, '$.body.promo_duration_months') IS NOT 'integer';
