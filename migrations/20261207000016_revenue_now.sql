-- The month in progress, kept per customer (decision 0024): each customer's MRR at the end of last
-- month and now, its movement, and the first instant the MRR now can change without a write (a
-- coverage row ending, or a payment dated later starting). The MRR series, the summary and the
-- cohort grid of the default scope (every synced business) sum these rows instead of reading every
-- coverage row that spans the month. `revenue_now_state` holds the month the rows are for and the
-- latest instant they were computed at; a read at an earlier instant or in another month rebuilds
-- them. `cover::refresh` marks the customers whose coverage it recomputed dirty.

CREATE TABLE revenue_now (
    customer TEXT NOT NULL,
    -- the pass ('PerCurrency' or 'AllInUsd') and the currency ('USD*' in the second)
    pass     TEXT NOT NULL,
    cur      TEXT NOT NULL,
    -- MRR at the end of last month and now, in micros
    before   INTEGER NOT NULL,
    after    INTEGER NOT NULL,
    -- 'new', 'reactivated', 'churned', 'expansion', 'contraction', 'active', or '' for neither
    movement TEXT NOT NULL,
    -- a counted coverage row spans now (the customer counts in the cohort grid's month)
    covered  INTEGER NOT NULL,
    -- julianday: from then on `after` and `covered` must be computed again
    expires  REAL NOT NULL,
    PRIMARY KEY (customer, pass, cur)
) WITHOUT ROWID;
CREATE INDEX revenue_now_by_movement ON revenue_now (pass, cur, movement, before, after, covered);
CREATE INDEX revenue_now_by_expiry ON revenue_now (expires);

CREATE TABLE revenue_now_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    month INTEGER NOT NULL,
    since TEXT NOT NULL
);

-- No key: a customer marked twice is recomputed once (the refresh reads it as a set).
CREATE TABLE revenue_now_dirty (customer TEXT NOT NULL);

-- "Every synced business" is the scope kept: a business added or removed changes every row.
CREATE TRIGGER revenue_now_account_insert AFTER INSERT ON whop_account BEGIN DELETE FROM revenue_now_state; END;
CREATE TRIGGER revenue_now_account_delete AFTER DELETE ON whop_account BEGIN DELETE FROM revenue_now_state; END;
