-- 0009: what the alert rules' statements (src/rules) share, kept once here so
-- that each statement says only what is its own. Plain SQL functions that
-- PostgreSQL inlines into the statements calling them, and a view it expands:
-- they cost nothing at run time.

-- A customer as the balance rules (low_balance, arrears, runway) judge it:
-- whether its balance can be judged at all, and its own settings.
CREATE VIEW rule_customer_balances AS
    SELECT cu.customer_id,
        cu.gone_at IS NULL AND cu.balance_state = 'available' AS applicable,
        cu.gone_at IS NOT NULL OR cu.balance_state = 'not_available' AS inapplicable,
        cu.customer_name, cu.account_name, cu.balance_amount, cu.debt_amount,
        cu.balance_currency, cu.balance_at, cs.account_manager, cs.low_balance_threshold,
        cs.runway_days
    FROM customers cu LEFT JOIN customer_settings cs USING (customer_id)
    WHERE cu.customer_id IS NOT NULL;

-- The facts every balance alert carries, times in the zone tz.
CREATE FUNCTION rule_balance_facts(customer_id text, customer_name text, account_name text,
        amount numeric, debt numeric, currency text, balance_at timestamptz, manager text,
        tz text)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('customer_id', customer_id,
        'customer', COALESCE(customer_name, account_name, customer_id),
        'account_name', account_name, 'amount', amount::text, 'debt', debt::text,
        'currency', currency,
        'balance_local', to_char(balance_at AT TIME ZONE tz, 'YYYY-MM-DD HH24:MI'),
        'manager', manager)
$$;

-- The expiry ladder's stages as the settings list them (a JSON array), in order.
CREATE FUNCTION rule_stages(list jsonb) RETURNS integer[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY(SELECT x::integer FROM jsonb_array_elements_text(list) AS x ORDER BY 1)
$$;

-- Whole days from now until expire_time, a part of a day counting as one.
CREATE FUNCTION rule_days_left(expire_time timestamptz, now timestamptz) RETURNS integer
    LANGUAGE sql STABLE AS $$
    SELECT ceil(extract(epoch FROM expire_time - now) / 86400)::integer
$$;

-- A resource's stage on the ladder: frozen (status 4), expired (status 5, or
-- its expiry passed), notice (auto-renewal on, before the last stage), or the
-- nearest stage it has passed, '7d'; NULL when none applies or is turned off.
CREATE FUNCTION rule_ladder_stage(status smallint, expire_time timestamptz,
        expire_policy smallint, days_left integer, stages integer[], now timestamptz,
        frozen boolean, expired boolean, notice boolean)
    RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN status = 4 THEN CASE WHEN frozen THEN 'frozen' END
        WHEN status = 5 OR expire_time <= now THEN CASE WHEN expired THEN 'expired' END
        WHEN stages[width_bucket(days_left - 1, stages) + 1] IS NULL THEN NULL
        WHEN expire_policy = 3 AND days_left > stages[1]
            THEN CASE WHEN notice THEN 'notice' END
        ELSE stages[width_bucket(days_left - 1, stages) + 1] || 'd' END
$$;

-- The ladder's settings ($2 of its statements) at the clock at: the default
-- stages, the furthest stage any customer or service has (no resource further
-- from expiry can be on the ladder), and which stages beyond the days are on.
CREATE FUNCTION rule_ladder_settings(s jsonb, at timestamptz)
    RETURNS TABLE (now timestamptz, tz text, stages integer[], max_days integer,
        expired boolean, frozen boolean, notice boolean, critical_days integer)
    LANGUAGE sql STABLE AS $$
    SELECT at, s->>'tz', rule_stages(s->'stages'),
        greatest((s->>'max_days')::integer, COALESCE((SELECT max(x) FROM customer_settings,
            unnest(expiry_stages) AS x), 0)),
        (s->>'expired')::boolean, (s->>'frozen')::boolean, (s->>'notice')::boolean,
        (s->>'critical_days')::integer
$$;

-- The stages of each service type that [alerts] expiry_stages_by_service names.
CREATE FUNCTION rule_ladder_by_service(s jsonb) RETURNS TABLE (code text, stages integer[])
    LANGUAGE sql STABLE AS $$
    SELECT e.key, rule_stages(e.value)
    FROM jsonb_each(COALESCE(s->'by_service', '{}'::jsonb)) AS e
$$;

-- The stages of each customer that has its own.
CREATE VIEW rule_customer_stages AS
    SELECT customer_id, ARRAY(SELECT x FROM unnest(expiry_stages) AS x ORDER BY 1) AS stages
    FROM customer_settings WHERE expiry_stages IS NOT NULL;
