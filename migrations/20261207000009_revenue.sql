-- The revenue desk (docs/revenue.md): the fields of Whop's own objects that MRR, churn, cohorts and
-- Recover read, as columns beside the raw JSON, so the metrics are SQL over indexed columns rather
-- than json_extract over every payment. Rows synced before are filled from their raw JSON here.

ALTER TABLE whop_plan ADD COLUMN title TEXT;
ALTER TABLE whop_plan ADD COLUMN trial_period_days INTEGER;

ALTER TABLE whop_member ADD COLUMN most_recent_action TEXT;
ALTER TABLE whop_member ADD COLUMN most_recent_action_at TEXT;

ALTER TABLE whop_membership ADD COLUMN joined_at TEXT;
ALTER TABLE whop_membership ADD COLUMN renewal_period_start TEXT;

ALTER TABLE whop_payment ADD COLUMN plan_id TEXT;
ALTER TABLE whop_payment ADD COLUMN usd_total_micros INTEGER;
ALTER TABLE whop_payment ADD COLUMN tax_micros INTEGER;
ALTER TABLE whop_payment ADD COLUMN billing_reason TEXT;
ALTER TABLE whop_payment ADD COLUMN failure_message TEXT;
ALTER TABLE whop_payment ADD COLUMN payments_failed INTEGER;
ALTER TABLE whop_payment ADD COLUMN retryable INTEGER;
ALTER TABLE whop_payment ADD COLUMN next_payment_attempt TEXT;
ALTER TABLE whop_payment ADD COLUMN refunded_at TEXT;

-- The store's timestamp text (fixed width, UTC, microseconds) from an ISO string or Unix seconds,
-- as resources.rs writes it for rows synced from now on.
UPDATE whop_plan SET
    title = json_extract(raw, '$.title'),
    trial_period_days = CAST(json_extract(raw, '$.trial_period_days') AS INTEGER);
UPDATE whop_member SET
    most_recent_action = json_extract(raw, '$.most_recent_action'),
    most_recent_action_at = CASE json_type(raw, '$.most_recent_action_at')
        WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.most_recent_action_at')) || '000Z'
        WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.most_recent_action_at'), 'unixepoch') || '000Z'
    END;
UPDATE whop_membership SET
    joined_at = CASE json_type(raw, '$.joined_at')
        WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.joined_at')) || '000Z'
        WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.joined_at'), 'unixepoch') || '000Z'
    END,
    renewal_period_start = CASE json_type(raw, '$.renewal_period_start')
        WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.renewal_period_start')) || '000Z'
        WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.renewal_period_start'), 'unixepoch') || '000Z'
    END;
UPDATE whop_payment SET
    plan_id = json_extract(raw, '$.plan.id'),
    usd_total_micros = CAST(round(json_extract(raw, '$.usd_total') * 1000000) AS INTEGER),
    tax_micros = CAST(round(json_extract(raw, '$.tax_amount') * 1000000) AS INTEGER),
    billing_reason = json_extract(raw, '$.billing_reason'),
    failure_message = json_extract(raw, '$.failure_message'),
    payments_failed = CAST(json_extract(raw, '$.payments_failed') AS INTEGER),
    retryable = json_extract(raw, '$.retryable'),
    next_payment_attempt = CASE json_type(raw, '$.next_payment_attempt')
        WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.next_payment_attempt')) || '000Z'
        WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.next_payment_attempt'), 'unixepoch') || '000Z'
    END,
    refunded_at = CASE json_type(raw, '$.refunded_at')
        WHEN 'text' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.refunded_at')) || '000Z'
        WHEN 'integer' THEN strftime('%Y-%m-%dT%H:%M:%f', json_extract(raw, '$.refunded_at'), 'unixepoch') || '000Z'
    END;

-- Revenue reads paid payments by business and time, and each membership's payments in order;
-- Recover reads failed payments by business.
CREATE INDEX whop_payment_by_membership ON whop_payment (membership_id, created_at);
CREATE INDEX whop_payment_paid ON whop_payment (account_id, paid_at) WHERE status = 'paid';
CREATE INDEX whop_membership_by_plan ON whop_membership (plan_id);
-- Recover reads the unsettled payments only (a few among many).
CREATE INDEX whop_payment_unsettled ON whop_payment (created_at) WHERE status NOT IN ('paid', 'void');
