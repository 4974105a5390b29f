-- 0014: coupons. The coupons poll job reads the partner's coupon quotas (ListQuotaCoupons), the
-- usable coupons it issued to its customers (ListIssuedPartnerCoupons) and the coupons Huawei
-- reclaimed automatically when a customer dissociated (ListPartnerCouponsRecord); the rules warn
-- before a quota or a customer's coupons expire unused, and tell a reclaim.

ALTER TABLE poll_runs DROP CONSTRAINT poll_runs_job_check;
ALTER TABLE poll_runs ADD CONSTRAINT poll_runs_job_check
    CHECK (job IN ('customers', 'balances', 'resources', 'partner', 'coupons'));

-- The partner's coupon quotas, as the latest coupons run listed them.
CREATE TABLE coupon_quotas (
    quota_id       text PRIMARY KEY,
    quota_type     smallint,      -- 0 cash-coupon quota, 1 flexi-purchase-coupon quota
    quota_value    numeric,       -- the quota's size
    balance        numeric,       -- what is left to issue
    quota_status   smallint,      -- 0 normal, 3 invalid, 4 being adjusted, 5 frozen
    currency       text,
    effective_time timestamptz,
    expire_time    timestamptz,
    info           jsonb,         -- the latest quotas[] item, as received
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_run  bigint,
    gone_at        timestamptz    -- no longer listed; NULL while it is
);

-- The coupons the partner issued to its customers that Huawei lists as usable (status 2). One
-- that stops being listed before it expires was used up or reclaimed (usable_until).
CREATE TABLE coupons (
    coupon_id      text PRIMARY KEY,
    customer_id    text NOT NULL,
    coupon_type    smallint,      -- 1 cash coupon (代金券), 4 flexi-purchase coupon (现金券)
    status         smallint,      -- as last listed: 2 usable
    face_value     numeric,
    balance        numeric,       -- what is left on it
    frozen         boolean NOT NULL DEFAULT false,
    effective_time timestamptz,
    expire_time    timestamptz,
    info           jsonb,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_run  bigint,
    usable_until   timestamptz    -- no longer listed as usable since; NULL while it is
);
CREATE INDEX coupons_customer ON coupons (customer_id);
CREATE INDEX coupons_usable_expiry ON coupons (expire_time) WHERE usable_until IS NULL;

-- Coupons Huawei reclaimed (ListPartnerCouponsRecord), each record once.
CREATE TABLE coupon_records (
    id             text PRIMARY KEY,
    operation_type smallint NOT NULL, -- 3 reclaimed automatically when the customer dissociated
    coupon_id      text,
    customer_id    text,
    quota_id       text,
    amount         numeric,           -- the value reclaimed
    operation_time timestamptz,
    result         smallint,          -- 0 success
    info           jsonb,
    seen_at        timestamptz NOT NULL DEFAULT now(),
    run_id         bigint,
    notified_at    timestamptz        -- when an evaluation took it up; NULL until then
);
CREATE INDEX coupon_records_seen ON coupon_records (seen_at);
CREATE INDEX coupon_records_unnotified ON coupon_records (id) WHERE notified_at IS NULL;
CREATE INDEX coupon_records_coupon ON coupon_records (coupon_id);

ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('expiry', 'low_balance', 'arrears', 'runway', 'partner_low_balance',
                    'customer_bound', 'customer_new', 'customer_frozen', 'customer_gone',
                    'credentials_rejected', 'channel_failing', 'dead_letters', 'poller_behind',
                    'coupon_expiry', 'coupon_quota_expiry', 'coupon_reclaimed'));
