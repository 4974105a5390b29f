-- 0015: what customers spend. The consumption poll job reads each spending customer's
-- consumption records (ListSubCustomerBillDetail) and keeps one row per customer and billing day,
-- so that the runway comes from real spend (a top-up is not spending) and a day's jump shows.

ALTER TABLE poll_runs DROP CONSTRAINT poll_runs_job_check;
ALTER TABLE poll_runs ADD CONSTRAINT poll_runs_job_check
    CHECK (job IN ('customers', 'balances', 'resources', 'partner', 'coupons', 'consumption'));

-- One row per customer and day (in [poller] billing_timezone, Huawei's billing day): the sums of
-- that day's records, rewritten whole each time the day is read again. A day without records is
-- a row of zeros, so that a day of no spending counts as such.
CREATE TABLE consumption_daily (
    customer_id text NOT NULL,
    day         date NOT NULL,
    amount      numeric NOT NULL DEFAULT 0, -- payment_amount: what the day cost after discounts
    cash        numeric NOT NULL DEFAULT 0, -- paid from the cash balance
    credit      numeric NOT NULL DEFAULT 0, -- paid from credit
    coupons     numeric NOT NULL DEFAULT 0, -- paid with coupons and stored-value cards
    debt        numeric NOT NULL DEFAULT 0, -- left owing (arrears)
    records     integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    run_id      bigint,
    PRIMARY KEY (customer_id, day)
);
CREATE INDEX consumption_daily_day ON consumption_daily (day);

-- A run's per-page sums until the customer's pages are all read; then they replace the days.
CREATE UNLOGGED TABLE consumption_staging (
    run_id      bigint NOT NULL,
    customer_id text NOT NULL,
    day         date NOT NULL,
    amount      numeric NOT NULL,
    cash        numeric NOT NULL,
    credit      numeric NOT NULL,
    coupons     numeric NOT NULL,
    debt        numeric NOT NULL,
    records     integer NOT NULL
);
CREATE INDEX consumption_staging_run ON consumption_staging (run_id, customer_id);

-- Renewals charged (bill types 2 renewal and 8 auto-renewal), each record once: what a resource's
-- next renewal will likely cost when Huawei cannot be asked.
CREATE TABLE renewal_charges (
    record_id        text PRIMARY KEY,
    customer_id      text NOT NULL,
    resource_id      text,
    bill_detail_type smallint NOT NULL,
    amount           numeric,       -- payment_amount
    trade_time       timestamptz,   -- when it was charged
    period_type      smallint,      -- 19 year, 20 month
    period_num       numeric,
    run_id           bigint
);
CREATE INDEX renewal_charges_resource ON renewal_charges (customer_id, resource_id, trade_time);

-- Per customer: a day's spend more than spend_jump_factor times its trailing median, and at least
-- spend_jump_min, is a jump. NULL: the [alerts] defaults.
ALTER TABLE customer_settings ADD COLUMN spend_jump_factor numeric,
    ADD COLUMN spend_jump_min numeric;

ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('expiry', 'low_balance', 'arrears', 'runway', 'partner_low_balance',
                    'customer_bound', 'customer_new', 'customer_frozen', 'customer_gone',
                    'credentials_rejected', 'channel_failing', 'dead_letters', 'poller_behind',
                    'coupon_expiry', 'coupon_quota_expiry', 'coupon_reclaimed', 'spend_jump'));
