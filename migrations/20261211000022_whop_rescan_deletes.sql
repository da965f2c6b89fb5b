-- A complete re-scan marks the objects Whop no longer lists as deleted on Whop (issue 21): a
-- tombstone, as memberships have had since the outbox (the row and what hangs off it stay, and
-- the mark clears if Whop lists the object again). Products and plans are the other kinds Whop
-- deletes; payments, refunds, members, leads, reviews and promo codes are never removed from its
-- lists (they end in a status), so they get no mark (docs/whop-mapping.md).
ALTER TABLE whop_product ADD COLUMN remote_deleted_at TEXT;
ALTER TABLE whop_plan ADD COLUMN remote_deleted_at TEXT;

-- When the pass in progress asked for its first page. A re-scan marks only when it knows this:
-- a pass resumed from a cursor written before this column cannot show that it saw every page.
ALTER TABLE whop_sync_cursor ADD COLUMN pass_started_at TEXT;

-- The ids a re-scan in progress has listed so far, per (resource, scope), written with each page
-- and its cursor in one transaction, so a re-scan resumed after a crash still knows what its
-- earlier pages held. Emptied when the re-scan completes (or a new one starts).
CREATE TABLE whop_rescan_seen (
    resource TEXT NOT NULL,
    scope    TEXT NOT NULL,
    id       TEXT NOT NULL,
    PRIMARY KEY (resource, scope, id)
) WITHOUT ROWID;
