-- What each paid renewal covers (docs/revenue.md, "MRR"), kept beside the mirror so MRR, its
-- movement and cohorts read a compact table instead of recomputing every payment's coverage:
-- one row per counted payment, its monthly amount and until when it covers, in each currency and
-- in the USD* chain. Writes to the mirror only mark their membership dirty (row triggers); the
-- revenue crate recomputes the dirty memberships' rows, in one statement, before it reads.

CREATE TABLE revenue_cover (
    payment_id    TEXT PRIMARY KEY,
    membership_id TEXT NOT NULL,
    account_id    TEXT,
    product_id    TEXT,
    customer      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    paid_at       TEXT NOT NULL,
    -- julianday(paid_at), and when the coverage ends (the same chain, payments without a USD
    -- amount left out, for the USD* total: NULL for such a payment)
    t0            REAL NOT NULL,
    t1            REAL NOT NULL,
    mrr           INTEGER NOT NULL,
    t1_usd        REAL,
    mrr_usd       INTEGER
);
CREATE INDEX revenue_cover_by_membership ON revenue_cover (membership_id);
CREATE INDEX revenue_cover_by_end ON revenue_cover (t1, t0, customer, currency, mrr, paid_at, account_id, product_id);
CREATE INDEX revenue_cover_usd_by_end ON revenue_cover (t1_usd, t0, customer, mrr_usd, paid_at, account_id, product_id)
    WHERE t1_usd IS NOT NULL;

CREATE TABLE revenue_dirty (membership_id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO revenue_dirty (membership_id)
SELECT membership_id FROM whop_payment WHERE membership_id IS NOT NULL
UNION SELECT id FROM whop_membership;

CREATE TRIGGER revenue_dirty_payment_insert AFTER INSERT ON whop_payment WHEN NEW.membership_id IS NOT NULL
BEGIN INSERT INTO revenue_dirty SELECT NEW.membership_id WHERE NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = NEW.membership_id); END;
CREATE TRIGGER revenue_dirty_payment_update AFTER UPDATE ON whop_payment
BEGIN
    INSERT INTO revenue_dirty SELECT NEW.membership_id WHERE NEW.membership_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = NEW.membership_id);
    INSERT INTO revenue_dirty SELECT OLD.membership_id WHERE OLD.membership_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = OLD.membership_id);
END;
CREATE TRIGGER revenue_dirty_payment_delete AFTER DELETE ON whop_payment WHEN OLD.membership_id IS NOT NULL
BEGIN INSERT INTO revenue_dirty SELECT OLD.membership_id WHERE NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = OLD.membership_id); END;
CREATE TRIGGER revenue_dirty_membership_insert AFTER INSERT ON whop_membership
BEGIN INSERT INTO revenue_dirty SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = NEW.id); END;
CREATE TRIGGER revenue_dirty_membership_update AFTER UPDATE ON whop_membership
BEGIN INSERT INTO revenue_dirty SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = NEW.id); END;
CREATE TRIGGER revenue_dirty_membership_delete AFTER DELETE ON whop_membership
BEGIN INSERT INTO revenue_dirty SELECT OLD.id WHERE NOT EXISTS (SELECT 1 FROM revenue_dirty WHERE membership_id = OLD.id); END;
-- A plan's period or type changes every payment on it (rare: a scan is fine).
CREATE TRIGGER revenue_dirty_plan_update AFTER UPDATE OF plan_type, billing_period ON whop_plan
BEGIN
    INSERT INTO revenue_dirty SELECT id FROM whop_membership WHERE plan_id = NEW.id
        AND id NOT IN (SELECT membership_id FROM revenue_dirty);
    INSERT INTO revenue_dirty SELECT DISTINCT membership_id FROM whop_payment WHERE plan_id = NEW.id AND membership_id IS NOT NULL
        AND membership_id NOT IN (SELECT membership_id FROM revenue_dirty);
END;
CREATE TRIGGER revenue_dirty_plan_insert AFTER INSERT ON whop_plan
BEGIN
    INSERT INTO revenue_dirty SELECT id FROM whop_membership WHERE plan_id = NEW.id
        AND id NOT IN (SELECT membership_id FROM revenue_dirty);
    INSERT INTO revenue_dirty SELECT DISTINCT membership_id FROM whop_payment WHERE plan_id = NEW.id AND membership_id IS NOT NULL
        AND membership_id NOT IN (SELECT membership_id FROM revenue_dirty);
END;
CREATE TRIGGER revenue_dirty_plan_delete AFTER DELETE ON whop_plan
BEGIN
    INSERT INTO revenue_dirty SELECT id FROM whop_membership WHERE plan_id = OLD.id
        AND id NOT IN (SELECT membership_id FROM revenue_dirty);
    INSERT INTO revenue_dirty SELECT DISTINCT membership_id FROM whop_payment WHERE plan_id = OLD.id AND membership_id IS NOT NULL
        AND membership_id NOT IN (SELECT membership_id FROM revenue_dirty);
END;
