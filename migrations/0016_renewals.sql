-- 0016: auto-renewals that will fail. Huawei charges an auto-renew resource's renewal from the
-- customer's balance at 03:00 (billing zone) some days before it expires, and retries daily until
-- expiry. The renewals job asks Huawei what each renewal will cost (ListRenewRateOnPeriod, with
-- the customer's own token); the renewal_short rule compares what a customer's coming charges
-- need with its balance and usable coupons, and tells a charge that failed.

ALTER TABLE poll_runs DROP CONSTRAINT poll_runs_job_check;
ALTER TABLE poll_runs ADD CONSTRAINT poll_runs_job_check
    CHECK (job IN ('customers', 'balances', 'resources', 'partner', 'coupons', 'consumption',
                   'renewals'));

-- What renewing a main resource (its attached resources included) for one period will cost, as
-- Huawei answered the customer's token; amount NULL with the error where Huawei could not price it.
CREATE TABLE renewal_prices (
    customer_id text NOT NULL,
    resource_id text NOT NULL,
    amount      numeric,
    currency    text,
    error_code  text,
    priced_at   timestamptz NOT NULL DEFAULT now(),
    run_id      bigint,
    PRIMARY KEY (customer_id, resource_id)
);

-- When Huawei first tries to charge the renewal of a resource expiring at expire_time: 03:00 in
-- the billing zone, [alerts] renewal_charge_days (7) days before the day it expires.
CREATE FUNCTION rule_charge_at(expire_time timestamptz, s jsonb) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT ((expire_time AT TIME ZONE (s->>'billing_tz'))::date
        - (s->>'renewal_charge_days')::int + time '03:00') AT TIME ZONE (s->>'billing_tz')
$$;

-- The auto-renew resources (expire_policy 3, in use) whose first charge is at most
-- renewal_window_days away, or has passed while they have not yet expired: what each will cost
-- (Huawei's renewal price, else the amount of its last renewal, else NULL: unknown, never 0), and
-- whether the poller has seen it since its charge with the same expiry, i.e. the charge failed.
CREATE FUNCTION rule_renewals(s jsonb, now timestamptz)
    RETURNS TABLE (customer_id text, resource_id text, resource_name text,
        expire_time timestamptz, charge_at timestamptz, price numeric, price_source text,
        failed boolean)
    LANGUAGE sql STABLE AS $$
    SELECT r.customer_id, r.resource_id, r.resource_name, r.expire_time, c.charge_at,
        COALESCE(rp.amount, rc.amount),
        CASE WHEN rp.amount IS NOT NULL THEN 'renew_rate'
             WHEN rc.amount IS NOT NULL THEN 'last_renewal' END,
        c.charge_at <= r.last_seen_at
    FROM resources r
    CROSS JOIN LATERAL (SELECT rule_charge_at(r.expire_time, s) AS charge_at) AS c
    LEFT JOIN renewal_prices rp ON rp.customer_id = r.customer_id
        AND rp.resource_id = r.resource_id
    LEFT JOIN LATERAL (SELECT x.amount FROM renewal_charges x
        WHERE x.customer_id = r.customer_id AND x.resource_id = r.resource_id
        ORDER BY x.trade_time DESC LIMIT 1) AS rc ON true
    WHERE r.gone_at IS NULL AND r.expire_policy = 3 AND r.status = 2
        AND r.expire_time > now
        AND r.expire_time <= now + ((s->>'renewal_charge_days')::int
            + (s->>'renewal_window_days')::int + 1) * interval '1 day'
        AND c.charge_at <= now + (s->>'renewal_window_days')::int * interval '1 day'
$$;

ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('expiry', 'low_balance', 'arrears', 'runway', 'partner_low_balance',
                    'customer_bound', 'customer_new', 'customer_frozen', 'customer_gone',
                    'credentials_rejected', 'channel_failing', 'dead_letters', 'poller_behind',
                    'coupon_expiry', 'coupon_quota_expiry', 'coupon_reclaimed', 'spend_jump',
                    'renewal_short'));
