-- 0010: messages that read right. Times name their zone: a local time alone
-- ("2026-12-08 10:00") reads differently to an account manager in Beijing and
-- one abroad; "2026-12-08 10:00 UTC+08:00" does not. And a delivery's items come
-- most urgent first, so that a cut never falls on what matters most.

-- at in the zone tz, with its offset from UTC at that moment.
CREATE FUNCTION rule_local_time(at timestamptz, tz text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT to_char(at AT TIME ZONE tz, 'YYYY-MM-DD HH24:MI') || ' UTC'
        || CASE WHEN o.s < 0 THEN '-' ELSE '+' END
        || lpad((abs(o.s) / 3600)::text, 2, '0') || ':'
        || lpad((abs(o.s) % 3600 / 60)::text, 2, '0')
    FROM (SELECT extract(epoch FROM (at AT TIME ZONE tz) - (at AT TIME ZONE 'UTC'))::integer
        AS s) AS o
$$;

CREATE OR REPLACE FUNCTION rule_balance_facts(customer_id text, customer_name text,
        account_name text, amount numeric, debt numeric, currency text,
        balance_at timestamptz, manager text, tz text)
    RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('customer_id', customer_id,
        'customer', COALESCE(customer_name, account_name, customer_id),
        'account_name', account_name, 'amount', amount::text, 'debt', debt::text,
        'currency', currency, 'balance_local', rule_local_time(balance_at, tz),
        'manager', manager)
$$;

-- A delivery's items, most urgent customer first: customers (the partner's own
-- and hcwatch's count as customers) by their most urgent item, each one's items
-- by urgency: critical < warning < info < resolved, then fewer days left.
CREATE FUNCTION delivery_items(ids bigint[]) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT COALESCE(json_agg(x.j ORDER BY x.gr, x.gdl NULLS LAST, x.g, x.r, x.dl NULLS LAST, x.id),
    '[]') FROM (
    SELECT y.*, first_value(y.r) OVER w AS gr, first_value(y.dl) OVER w AS gdl FROM (
      SELECT n.id, json_build_object('kind', a.kind, 'event', n.event, 'stage', n.stage,
          'severity', n.severity, 'facts', n.facts, 'alert_id', a.id) AS j,
        CASE WHEN n.event = 'resolved' THEN 3 WHEN n.severity = 'critical' THEN 0
          WHEN n.severity = 'warning' THEN 1 ELSE 2 END AS r,
        (n.facts->>'days_left')::int AS dl,
        CASE WHEN n.facts->>'scope' = 'hcwatch' THEN E'\x02'
          ELSE COALESCE(a.customer_id, '') END AS g
      FROM unnest(ids) AS i(id)
      JOIN notifications n ON n.id = i.id JOIN alerts a ON a.id = n.alert_id) AS y
    WINDOW w AS (PARTITION BY y.g ORDER BY y.r, y.dl NULLS LAST, y.id)) AS x
$$;
