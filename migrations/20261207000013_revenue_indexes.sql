-- Indexes that cover what the revenue desk's figures read (docs/performance.md, "Revenue desk"):
-- a mirror row carries Whop's raw JSON inline (about 3.6 KB a payment), so a figure that reads a
-- few columns of every paid payment read a page per row. Each index below holds every column its
-- queries name, so they read the index alone: 92,000 paid payments in about 18 MB instead of
-- 367 MB. Measured on the benchmark's mirror (100,000 payments): churn counts 476 → 148 ms, LTV
-- 522 → 320 ms, net revenue 82 → 44 ms, top customers 159 → 103 ms (SQLite 3.40, idle machine).

-- Paid payments: net revenue, LTV, top customers, cohorts, recovered, what a total leaves out.
CREATE INDEX whop_payment_paid_cover ON whop_payment (
    paid_at, currency, total_micros, refunded_micros, usd_total_micros, tax_micros, account_id, product_id,
    plan_id, user_id, member_id, membership_id, payments_failed, refunded_at, billing_reason, status, id
) WHERE status = 'paid';
-- A customer's last payment (churn: "no payment in 60 days").
CREATE INDEX whop_payment_paid_by_user ON whop_payment (user_id, paid_at) WHERE status = 'paid';
-- Churn's per-customer facts, and a payment's membership (its plan, status and end).
CREATE INDEX whop_membership_by_user_cover ON whop_membership (
    user_id, status, cancel_at_period_end, renewal_period_end, payment_collection_paused, canceled_at,
    account_id, product_id, plan_id, id
);
CREATE INDEX whop_membership_by_id_cover ON whop_membership (id, plan_id, status, canceled_at, user_id, account_id, product_id);
-- Recover's past-due memberships (a handful among tens of thousands).
CREATE INDEX whop_membership_past_due ON whop_membership (id) WHERE status = 'past_due';
-- A customer's name and Whop's latest member action.
CREATE INDEX whop_member_by_user_cover ON whop_member (user_id, most_recent_action, name, email);
-- The old single-column indexes these make redundant.
DROP INDEX whop_member_by_user;
DROP INDEX whop_membership_by_user;

-- Churn reads notes too ("no note in 90 days"): a second counter, bumped by note writes, keeps
-- the churn counts and lists (the sidebar reloads them after every change) until either moves.
ALTER TABLE revenue_version ADD COLUMN notes INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER revenue_note_insert AFTER INSERT ON note BEGIN UPDATE revenue_version SET notes = notes + 1; END;
CREATE TRIGGER revenue_note_update AFTER UPDATE OF created_at, deleted_at ON note BEGIN UPDATE revenue_version SET notes = notes + 1; END;
CREATE TRIGGER revenue_note_delete AFTER DELETE ON note BEGIN UPDATE revenue_version SET notes = notes + 1; END;
CREATE TRIGGER revenue_note_target_insert AFTER INSERT ON note_target BEGIN UPDATE revenue_version SET notes = notes + 1; END;
CREATE TRIGGER revenue_note_target_delete AFTER DELETE ON note_target BEGIN UPDATE revenue_version SET notes = notes + 1; END;
-- Recover shows the person's email beside the name.
CREATE TRIGGER revenue_person_email AFTER UPDATE OF email ON person BEGIN UPDATE revenue_version SET version = version + 1; END;
