-- A customer's usable coupon with something left on it, told at each of [alerts] coupon_stages
-- before it expires (the nearest stage it has passed, as the expiry ladder does), one alert per
-- coupon and expiry. It ends 'used' when Huawei no longer lists it as usable or nothing is left
-- (whether by use or a reclaim: 'reclaimed' when a reclaim was recorded), 'frozen' when Huawei
-- froze it, and 'expired' when it expired with an amount unused: what the customer lost, told.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), st AS (
  SELECT rule_stages(p.s->'coupon_stages') AS stages FROM p
), c AS (
  SELECT 'coupon_expiry/' || co.coupon_id || '/'
      || to_char(co.expire_time AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS fp,
    co.*, rule_days_left(co.expire_time, p.now) AS days_left
  FROM coupons co CROSS JOIN p CROSS JOIN st
  WHERE co.usable_until IS NULL AND co.balance > 0 AND NOT co.frozen
    AND co.expire_time > p.now
    AND co.expire_time <= p.now + COALESCE(st.stages[cardinality(st.stages)], 0) * interval '1 day'
), k AS (
  SELECT c.*, st.stages[width_bucket(c.days_left - 1, st.stages) + 1] || 'd' AS stage
  FROM c CROSS JOIN st
), o AS MATERIALIZED (
  SELECT a.id, a.fingerprint, a.stage, a.facts FROM alerts a
  WHERE a.kind = 'coupon_expiry' AND a.resolved_at IS NULL
), s AS (
  -- Only what is new or moved a stage gets its facts written: an evaluation with nothing new
  -- builds none.
  SELECT k.*, o.id AS oid,
    jsonb_build_object('customer_id', k.customer_id,
      'customer', COALESCE(cu.customer_name, cu.account_name, k.customer_id),
      'account_name', cu.account_name, 'manager', cm.manager, 'coupon_id', k.coupon_id,
      'coupon_type', CASE k.coupon_type WHEN 4 THEN 'flexi' ELSE 'cash' END,
      'face_value', k.face_value::text, 'left', k.balance::text, 'currency', 'CNY',
      'expire_time', to_char(k.expire_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'expire_local', rule_local_time(k.expire_time, p.s->>'tz'), 'days_left', k.days_left)
      AS facts
  FROM k CROSS JOIN p LEFT JOIN o ON o.fingerprint = k.fp
  LEFT JOIN customers cu ON cu.customer_id = k.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = k.customer_id
  WHERE o.id IS NULL OR o.stage IS DISTINCT FROM k.stage
), fire AS (
  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT s.fp, 'coupon_expiry', 'warning', s.customer_id, s.stage, s.facts, p.now, p.now
  FROM s CROSS JOIN p WHERE s.oid IS NULL
  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
  RETURNING a.id, a.stage, a.severity, a.facts
), moved AS (
  UPDATE alerts a SET stage = s.stage, updated_at = p.now, facts = s.facts
  FROM s CROSS JOIN p WHERE a.id = s.oid
  RETURNING a.id, a.stage, a.severity, a.facts
), gone AS (
  SELECT o.id, co.coupon_id, co.balance, co.expire_time, co.usable_until, co.frozen FROM o
  LEFT JOIN coupons co ON co.coupon_id = o.facts->>'coupon_id'
  WHERE NOT EXISTS (SELECT 1 FROM k WHERE k.fp = o.fingerprint)
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = r.resolution
  FROM (SELECT g.id, CASE
      WHEN EXISTS (SELECT 1 FROM coupon_records cr WHERE cr.coupon_id = g.coupon_id
        AND cr.operation_type IN (2, 3, 5, 7, 8)) THEN 'reclaimed'
      WHEN g.balance > 0 AND g.expire_time <= p.now
        AND (g.usable_until IS NULL OR g.usable_until >= g.expire_time) THEN 'expired'
      WHEN g.frozen AND g.usable_until IS NULL THEN 'frozen'
      ELSE 'used' END AS resolution, g.balance
    FROM gone g CROSS JOIN p) AS r, p
  WHERE a.id = r.id
  RETURNING a.id, a.resolution, a.facts || jsonb_build_object('left', r.balance::text) AS facts
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
