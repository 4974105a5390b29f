-- Auto-renewals that will fail (rule_renewals): per customer, what its coming charges need (the
-- known prices; how many are unknown) against its balance plus the usable coupons that outlive the
-- first charge. Short: the need is more than that, or nothing is available and some price is
-- unknown. Told at each of renewal_stages days before the first charge; and, whatever the balance,
-- once the poller has seen a resource after its charge with its expiry unchanged, as 'failed'
-- (critical): Huawei retries daily until it expires. One alert per customer and first charge day.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), r AS (
  SELECT x.* FROM p CROSS JOIN LATERAL rule_renewals(p.s, p.now) AS x
), g AS (
  SELECT r.customer_id, min(r.charge_at) AS first_charge, min(r.expire_time) AS first_expiry,
    sum(r.price) AS need, count(*) AS n, count(*) FILTER (WHERE r.price IS NULL) AS unknown,
    count(*) FILTER (WHERE r.failed) AS failed,
    (array_agg(COALESCE(r.resource_name, r.resource_id) ORDER BY r.charge_at, r.resource_id))[1]
      AS first_resource
  FROM r GROUP BY r.customer_id
), c AS (
  SELECT g.*, b.applicable, b.balance_amount, b.balance_currency, b.customer_name, b.account_name,
    b.account_manager, COALESCE(cp.coupons, 0) AS coupons,
    b.balance_amount + COALESCE(cp.coupons, 0) AS available,
    rule_days_left(g.first_charge, p.now) AS days,
    'renewal_short/' || g.customer_id || '/'
      || to_char(g.first_charge AT TIME ZONE (p.s->>'billing_tz'), 'YYYY-MM-DD') AS fp
  FROM g CROSS JOIN p
  LEFT JOIN rule_customer_balances b ON b.customer_id = g.customer_id
  LEFT JOIN LATERAL (SELECT sum(co.balance) AS coupons FROM coupons co
    WHERE co.customer_id = g.customer_id AND co.usable_until IS NULL AND NOT co.frozen
      AND co.expire_time > g.first_charge) AS cp ON true
), st AS (
  SELECT c.*, CASE
      WHEN c.failed > 0 THEN 'failed'
      WHEN c.applicable AND (c.need > c.available OR (c.unknown > 0 AND c.available <= 0))
        THEN (SELECT x || 'd' FROM unnest(rule_stages(p.s->'renewal_stages')) AS x
              WHERE x >= c.days ORDER BY x LIMIT 1) END AS stage
  FROM c CROSS JOIN p
), o AS MATERIALIZED (
  SELECT a.id, a.fingerprint, a.stage, a.customer_id FROM alerts a
  WHERE a.kind = 'renewal_short' AND a.resolved_at IS NULL
), s AS (
  -- Only what is new or moved a stage gets its facts written: an evaluation with nothing new
  -- builds none.
  SELECT st.*, o.id AS oid, CASE WHEN st.stage = 'failed' THEN 'critical'
      WHEN substr(st.stage, 1, length(st.stage) - 1)::int <= (p.s->>'critical_days')::int
      THEN 'critical' ELSE 'warning' END AS severity,
    jsonb_build_object('customer_id', st.customer_id,
      'customer', COALESCE(st.customer_name, cu.customer_name, cu.account_name, st.customer_id),
      'account_name', COALESCE(st.account_name, cu.account_name), 'manager', cm.manager,
      'resources', st.n, 'unknown', NULLIF(st.unknown, 0), 'failed', NULLIF(st.failed, 0),
      'need', st.need::text, 'balance', st.balance_amount::text, 'coupons',
      CASE WHEN st.coupons > 0 THEN st.coupons::text END,
      'available', st.available::text, 'currency', COALESCE(st.balance_currency, 'CNY'),
      'first_resource', st.first_resource,
      'charge_local', rule_local_time(st.first_charge, p.s->>'tz'),
      'expire_local', rule_local_time(st.first_expiry, p.s->>'tz'), 'days', st.days) AS facts
  FROM st CROSS JOIN p LEFT JOIN o ON o.fingerprint = st.fp
  LEFT JOIN customers cu ON cu.customer_id = st.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = st.customer_id
  WHERE st.stage IS NOT NULL AND (o.id IS NULL OR o.stage IS DISTINCT FROM st.stage)
), fire AS (
  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT s.fp, 'renewal_short', s.severity, s.customer_id, s.stage, s.facts, p.now, p.now
  FROM s CROSS JOIN p WHERE s.oid IS NULL
  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
  RETURNING a.id, a.stage, a.severity, a.facts
), moved AS (
  UPDATE alerts a SET stage = s.stage, severity = s.severity, facts = s.facts, updated_at = p.now
  FROM s CROSS JOIN p WHERE a.id = s.oid
  RETURNING a.id, a.stage, a.severity, a.facts
), res AS (
  -- Renewed: nothing is waiting for that charge day any more; else the money is there now.
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = CASE WHEN c.fp IS DISTINCT FROM o.fingerprint THEN 'renewed'
      ELSE 'topped_up' END
  FROM o CROSS JOIN p LEFT JOIN c ON c.customer_id = o.customer_id
  WHERE a.id = o.id
    AND NOT EXISTS (SELECT 1 FROM st WHERE st.fp = o.fingerprint AND st.stage IS NOT NULL)
  RETURNING a.id, a.resolution, a.facts || jsonb_build_object('need', c.need::text,
    'available', c.available::text) AS facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT u.id, 'firing', u.stage, u.severity, u.facts, p.now
  FROM (SELECT * FROM fire UNION ALL SELECT * FROM moved) AS u CROSS JOIN p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = res.id
    AND n.event = 'firing' AND n.suppressed IS NULL)
  ON CONFLICT (alert_id, event, stage) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM fire) + (SELECT count(*) FROM moved), (SELECT count(*) FROM res),
  (SELECT count(*) FROM ins)
