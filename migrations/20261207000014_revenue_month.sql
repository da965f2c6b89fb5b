-- Complete months' figures, kept (docs/revenue.md, "Speed"). A month's MRR and its movement are
-- measured at its end, so once the month is over they change only when the coverage under them
-- changes: the revenue crate deletes the kept months from the earliest instant a recomputed
-- coverage row differs (`cover::refresh`), and computes only the months it lacks, plus the month
-- in progress. `figure` names the figure, its pass and its scope; `value` is the month's rows.
CREATE TABLE revenue_month (
    figure TEXT NOT NULL,
    month  INTEGER NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (figure, month)
) WITHOUT ROWID;
CREATE INDEX revenue_month_by_month ON revenue_month (month);

-- A customer's earlier coverage: whether a customer who starts paying in a month is new or back.
CREATE INDEX revenue_cover_by_customer ON revenue_cover (customer, t0, currency, t1, t1_usd, paid_at, account_id, product_id);

-- "Every synced business" is the scope of the default figures: a business added or removed
-- changes every month of them.
CREATE TRIGGER revenue_month_account_insert AFTER INSERT ON whop_account BEGIN DELETE FROM revenue_month; END;
CREATE TRIGGER revenue_month_account_delete AFTER DELETE ON whop_account BEGIN DELETE FROM revenue_month; END;

-- Partial indexes for what the figures count that is rare, so finding it (nearly always nothing)
-- costs a few probes instead of reading every payment (docs/performance.md, "Revenue desk"):
-- what a total leaves out (no currency, no USD amount, a plan missing from the mirror), the
-- refunded payments, and the payments that failed at least once (`net::FAILED_ONCE`, the very
-- expression: SQLite uses a partial index only when the query repeats its condition), with every
-- column Recover reads of them.
CREATE INDEX whop_payment_paid_no_currency ON whop_payment (paid_at, total_micros, account_id, product_id)
    WHERE status = 'paid' AND currency IS NULL;
CREATE INDEX whop_payment_paid_no_usd ON whop_payment (paid_at, currency, total_micros, account_id, product_id)
    WHERE status = 'paid' AND usd_total_micros IS NULL;
CREATE INDEX whop_payment_paid_by_plan ON whop_payment (plan_id, paid_at) WHERE status = 'paid';
CREATE INDEX whop_payment_refunded ON whop_payment (id) WHERE status = 'paid' AND refunded_micros > 0;
CREATE INDEX whop_payment_failed_once ON whop_payment (
    created_at, status, account_id, product_id, membership_id, user_id, plan_id, total_micros, currency,
    usd_total_micros, failure_message, payments_failed, next_payment_attempt, retryable, substatus, id
)
    WHERE (coalesce(payments_failed, 0) > 0
           OR (status NOT IN ('paid', 'void') AND (substatus IN ('failed', 'past_due', 'uncollectible')
               OR failure_message IS NOT NULL)));

-- Each customer's received payments, summed per product, plan, currency and business: LTV and the
-- top customers group these (about one row per customer) instead of every payment. Payment writes
-- mark their customer dirty; the revenue crate recomputes the dirty customers' rows, in one
-- statement, before it reads (`customers::refresh`). `customer` is the customer's key
-- (`cohorts::CUSTOMER`), '' for a payment with none.
CREATE TABLE revenue_customer (
    customer      TEXT NOT NULL,
    product_id    TEXT,
    plan_id       TEXT,
    currency      TEXT,
    account_id    TEXT,
    first_paid_at TEXT NOT NULL,
    last_paid_at  TEXT NOT NULL,
    -- paid minus refunded, and how many payments
    net           INTEGER NOT NULL,
    payments      INTEGER NOT NULL,
    -- the same in Whop's USD amounts, over the payments that have one
    usd           INTEGER,
    usd_payments  INTEGER NOT NULL
);
CREATE INDEX revenue_customer_by_product ON revenue_customer (product_id, plan_id, currency, customer, net, account_id);
CREATE INDEX revenue_customer_by_customer ON revenue_customer (customer, usd, usd_payments, account_id, product_id, first_paid_at);

CREATE INDEX whop_payment_by_customer ON whop_payment (coalesce(user_id, member_id, membership_id, ''));
CREATE TABLE revenue_customer_dirty (customer TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO revenue_customer_dirty SELECT DISTINCT coalesce(user_id, member_id, membership_id, '') FROM whop_payment;
CREATE TRIGGER revenue_customer_payment_insert AFTER INSERT ON whop_payment
BEGIN
    INSERT INTO revenue_customer_dirty SELECT coalesce(NEW.user_id, NEW.member_id, NEW.membership_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM revenue_customer_dirty
                      WHERE customer = coalesce(NEW.user_id, NEW.member_id, NEW.membership_id, ''));
END;
CREATE TRIGGER revenue_customer_payment_update AFTER UPDATE ON whop_payment
BEGIN
    INSERT INTO revenue_customer_dirty SELECT coalesce(NEW.user_id, NEW.member_id, NEW.membership_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM revenue_customer_dirty
                      WHERE customer = coalesce(NEW.user_id, NEW.member_id, NEW.membership_id, ''));
    INSERT INTO revenue_customer_dirty SELECT coalesce(OLD.user_id, OLD.member_id, OLD.membership_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM revenue_customer_dirty
                      WHERE customer = coalesce(OLD.user_id, OLD.member_id, OLD.membership_id, ''));
END;
CREATE TRIGGER revenue_customer_payment_delete AFTER DELETE ON whop_payment
BEGIN
    INSERT INTO revenue_customer_dirty SELECT coalesce(OLD.user_id, OLD.member_id, OLD.membership_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM revenue_customer_dirty
                      WHERE customer = coalesce(OLD.user_id, OLD.member_id, OLD.membership_id, ''));
END;

-- The cohort grid's and net revenue's kept months also read the payments: who paid in a month,
-- whose first payment it was, what was paid and refunded in it. A payment written forgets them
-- from its earliest date (paid, refunded; old and new), a refund from its own date or its
-- payment's (the part of a refund not listed yet is dated at the payment).
CREATE TRIGGER revenue_month_payment_insert AFTER INSERT ON whop_payment
    WHEN coalesce(NEW.paid_at, NEW.refunded_at) IS NOT NULL
BEGIN
    DELETE FROM revenue_month WHERE (figure LIKE 'cohorts:%' OR figure LIKE 'net:%')
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT NEW.paid_at AS t UNION ALL SELECT NEW.refunded_at));
END;
CREATE TRIGGER revenue_month_payment_update AFTER UPDATE ON whop_payment
    WHEN coalesce(NEW.paid_at, NEW.refunded_at, OLD.paid_at, OLD.refunded_at) IS NOT NULL
BEGIN
    DELETE FROM revenue_month WHERE (figure LIKE 'cohorts:%' OR figure LIKE 'net:%')
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT NEW.paid_at AS t UNION ALL SELECT NEW.refunded_at
                            UNION ALL SELECT OLD.paid_at UNION ALL SELECT OLD.refunded_at));
END;
CREATE TRIGGER revenue_month_payment_delete AFTER DELETE ON whop_payment
    WHEN coalesce(OLD.paid_at, OLD.refunded_at) IS NOT NULL
BEGIN
    DELETE FROM revenue_month WHERE (figure LIKE 'cohorts:%' OR figure LIKE 'net:%')
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT OLD.paid_at AS t UNION ALL SELECT OLD.refunded_at));
END;
CREATE TRIGGER revenue_month_refund_insert AFTER INSERT ON whop_refund
BEGIN
    DELETE FROM revenue_month WHERE figure LIKE 'net:%'
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT NEW.created_at AS t
                            UNION ALL SELECT coalesce(refunded_at, paid_at) FROM whop_payment WHERE id = NEW.payment_id));
END;
CREATE TRIGGER revenue_month_refund_update AFTER UPDATE ON whop_refund
BEGIN
    DELETE FROM revenue_month WHERE figure LIKE 'net:%'
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT NEW.created_at AS t UNION ALL SELECT OLD.created_at
                            UNION ALL SELECT coalesce(refunded_at, paid_at) FROM whop_payment
                            WHERE id IN (NEW.payment_id, OLD.payment_id)));
END;
CREATE TRIGGER revenue_month_refund_delete AFTER DELETE ON whop_refund
BEGIN
    DELETE FROM revenue_month WHERE figure LIKE 'net:%'
        AND month >= (SELECT CAST(substr(min(t), 1, 4) AS INTEGER) * 12 + CAST(substr(min(t), 6, 2) AS INTEGER) - 1
                      FROM (SELECT OLD.created_at AS t
                            UNION ALL SELECT coalesce(refunded_at, paid_at) FROM whop_payment WHERE id = OLD.payment_id));
END;
