-- Each customer's churn facts (docs/revenue.md, "Churn"), kept beside the mirror so the sidebar's
-- counts, the at-risk list and the segments read one row per customer instead of grouping every
-- membership and looking up each customer's last payment, note and Whop action (decision 0023).
-- Only what does not depend on "now" is kept: the read compares the kept dates with its own
-- horizons (a trial ending within 7 days, no payment in 60 days). Writes only mark a customer
-- dirty; the revenue crate recomputes the dirty customers before it reads (`churn::refresh`).

CREATE TABLE churn_customer (
    user_id      TEXT PRIMARY KEY,
    person_id    TEXT,
    -- over the memberships of connected businesses (or of none): how many, and Whop's signals
    memberships  INTEGER NOT NULL,
    live         INTEGER NOT NULL,
    canceling    INTEGER NOT NULL,
    past_due     INTEGER NOT NULL,
    paused       INTEGER NOT NULL,
    trialing     INTEGER NOT NULL,
    -- the first and last end of a trialing membership's period, and of an ended membership's
    -- cancellation: the read decides "trial ending" and "churned this month" from them, and looks
    -- at the memberships only when its window lies strictly between the two
    trial_first  TEXT,
    trial_last   TEXT,
    ended_first  TEXT,
    ended_last   TEXT,
    -- over every business: the last paid payment, the last note on the customer's person, and
    -- Whop's latest member action ('' when none)
    last_paid    TEXT,
    last_note    TEXT,
    action       TEXT NOT NULL
) WITHOUT ROWID;

-- The same signals per business, for a business's own view (every membership naming it).
CREATE TABLE churn_business (
    account_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    live         INTEGER NOT NULL,
    canceling    INTEGER NOT NULL,
    past_due     INTEGER NOT NULL,
    paused       INTEGER NOT NULL,
    trialing     INTEGER NOT NULL,
    trial_first  TEXT,
    trial_last   TEXT,
    ended_first  TEXT,
    ended_last   TEXT,
    PRIMARY KEY (account_id, user_id)
) WITHOUT ROWID;
CREATE INDEX churn_business_by_user ON churn_business (user_id);

-- A customer may be marked more than once between two reads; the refresh reads the set.
CREATE TABLE churn_customer_dirty (user_id TEXT NOT NULL);
INSERT INTO churn_customer_dirty SELECT DISTINCT user_id FROM whop_membership WHERE user_id IS NOT NULL;

-- No key on the dirty set, so no trigger can fail a write: the sync's upserts (`ON CONFLICT … DO
-- UPDATE`) override a trigger's own conflict clause (OR IGNORE would abort them, SQLite 3.51).
CREATE TRIGGER churn_customer_membership_insert AFTER INSERT ON whop_membership
BEGIN INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL; END;
CREATE TRIGGER churn_customer_membership_update AFTER UPDATE ON whop_membership
BEGIN
    INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL;
    INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
END;
CREATE TRIGGER churn_customer_membership_delete AFTER DELETE ON whop_membership
BEGIN INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL; END;

CREATE TRIGGER churn_customer_payment_insert AFTER INSERT ON whop_payment WHEN NEW.status = 'paid'
BEGIN INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL; END;
CREATE TRIGGER churn_customer_payment_update AFTER UPDATE OF status, paid_at, user_id ON whop_payment
    WHEN NEW.status = 'paid' OR OLD.status = 'paid'
BEGIN
    INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL;
    INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
END;
CREATE TRIGGER churn_customer_payment_delete AFTER DELETE ON whop_payment WHEN OLD.status = 'paid'
BEGIN INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL; END;

CREATE TRIGGER churn_customer_member_insert AFTER INSERT ON whop_member
BEGIN INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL; END;
CREATE TRIGGER churn_customer_member_update AFTER UPDATE OF most_recent_action, user_id ON whop_member
BEGIN
    INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL;
    INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
END;
CREATE TRIGGER churn_customer_member_delete AFTER DELETE ON whop_member
BEGIN INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL; END;

CREATE TRIGGER churn_customer_person_link_insert AFTER INSERT ON whop_person
BEGIN INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL; END;
CREATE TRIGGER churn_customer_person_link_update AFTER UPDATE ON whop_person
BEGIN
    INSERT INTO churn_customer_dirty SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL;
    INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
END;
CREATE TRIGGER churn_customer_person_link_delete AFTER DELETE ON whop_person
BEGIN INSERT INTO churn_customer_dirty SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL; END;

-- A note counts for the customers linked to the person it is on. A note deleted for good takes
-- its targets with it (ON DELETE CASCADE), which fires the targets' trigger.
CREATE TRIGGER churn_customer_note_target_insert AFTER INSERT ON note_target WHEN NEW.record_kind = 'person'
BEGIN INSERT INTO churn_customer_dirty SELECT user_id FROM whop_person WHERE person_id = NEW.record_id; END;
CREATE TRIGGER churn_customer_note_target_delete AFTER DELETE ON note_target WHEN OLD.record_kind = 'person'
BEGIN INSERT INTO churn_customer_dirty SELECT user_id FROM whop_person WHERE person_id = OLD.record_id; END;
CREATE TRIGGER churn_customer_note_update AFTER UPDATE OF created_at, deleted_at ON note
BEGIN
    INSERT INTO churn_customer_dirty
    SELECT DISTINCT wp.user_id FROM note_target t JOIN whop_person wp ON wp.person_id = t.record_id
    WHERE t.note_id = NEW.id AND t.record_kind = 'person';
END;

-- Connecting or removing a business changes which memberships count (rare: every customer).
CREATE TRIGGER churn_customer_account_insert AFTER INSERT ON whop_account
BEGIN INSERT INTO churn_customer_dirty SELECT DISTINCT user_id FROM whop_membership WHERE user_id IS NOT NULL; END;
CREATE TRIGGER churn_customer_account_delete AFTER DELETE ON whop_account
BEGIN INSERT INTO churn_customer_dirty SELECT DISTINCT user_id FROM whop_membership WHERE user_id IS NOT NULL; END;

-- Kept churn results (revenue_cache) missed two writes that change them: Whop's latest member
-- action, and a customer linked to another person.
CREATE TRIGGER revenue_member_action AFTER UPDATE OF most_recent_action, user_id ON whop_member
BEGIN UPDATE revenue_version SET version = version + 1; END;
CREATE TRIGGER revenue_whop_person_update AFTER UPDATE ON whop_person
BEGIN UPDATE revenue_version SET version = version + 1; END;
