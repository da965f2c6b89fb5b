-- The customers at risk of churning (an at-risk score of 40 or more, docs/revenue.md) at the
-- last check, so a customer who newly becomes at risk raises a `customer_at_risk` workflow event
-- once (docs/ai-and-automations.md). A customer who leaves the set is removed; coming back later
-- is new again.
CREATE TABLE churn_at_risk (
    user_id   TEXT PRIMARY KEY,
    -- the customer's person when the check ran (NULL: not in the CRM; no event)
    person_id TEXT,
    -- the check that first saw them at risk
    since     TEXT NOT NULL
);

-- automation_event's kind CHECK grows by the new workflow triggers' events (a payment failed, a
-- membership past due, a trial ending, a customer at risk), which SQLite can only do by
-- rebuilding the table. Nothing references it, so foreign keys can stay on.
CREATE TABLE automation_event_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('whop_membership_activated', 'whop_membership_cancelled',
                                              'whop_payment_succeeded', 'contract_completed',
                                              'whop_payment_failed', 'whop_membership_past_due',
                                              'whop_trial_ending', 'customer_at_risk')),
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    subject     TEXT NOT NULL
);
INSERT INTO automation_event_new SELECT id, at, kind, record_kind, record_id, subject FROM automation_event;
DROP TABLE automation_event;
ALTER TABLE automation_event_new RENAME TO automation_event;
