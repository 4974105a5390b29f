-- A customer's spend on a whole billing day, of the last two, more than spend_jump_factor times
-- the median of its spend_jump_days days before, and at least spend_jump_min (each its
-- customer_settings value, else [alerts]). Only customers with at least half those days read are
-- judged. One alert per customer and day, told once; it ends, untold, when its day leaves the two.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), today AS (
  SELECT (p.now AT TIME ZONE (p.s->>'billing_tz'))::date AS d FROM p
), d AS (
  SELECT cd.customer_id, cd.day, cd.amount,
    COALESCE(cs.spend_jump_factor, (p.s->>'spend_jump_factor')::numeric) AS factor,
    COALESCE(cs.spend_jump_min, (p.s->>'spend_jump_min')::numeric) AS jmin
  FROM consumption_daily cd CROSS JOIN p CROSS JOIN today
  LEFT JOIN customer_settings cs ON cs.customer_id = cd.customer_id
  WHERE cd.day >= today.d - 2 AND cd.day < today.d AND (p.s->>'spend_jump_days')::int > 0
), m AS (
  SELECT d.*, h.median, h.n FROM d CROSS JOIN p CROSS JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x.amount) AS median, count(*) AS n
    FROM consumption_daily x WHERE x.customer_id = d.customer_id AND x.day < d.day
      AND x.day >= d.day - (p.s->>'spend_jump_days')::int) AS h
  WHERE d.factor > 0 AND d.amount >= d.jmin AND d.amount > d.factor * h.median
    AND h.n * 2 >= (p.s->>'spend_jump_days')::int
), c AS (
  SELECT 'spend_jump/' || m.customer_id || '/' || to_char(m.day, 'YYYY-MM-DD') AS fp, m.*,
    jsonb_build_object('customer_id', m.customer_id,
      'customer', COALESCE(cu.customer_name, cu.account_name, m.customer_id),
      'account_name', cu.account_name, 'manager', cm.manager,
      'day', to_char(m.day, 'YYYY-MM-DD'), 'amount', m.amount::text,
      'median', round(m.median::numeric, 2)::text, 'currency', 'CNY',
      'times', CASE WHEN m.median > 0 THEN round(m.amount / m.median::numeric, 1)::text END,
      'days', (p.s->>'spend_jump_days')::int) AS facts
  FROM m CROSS JOIN p
  LEFT JOIN customers cu ON cu.customer_id = m.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = m.customer_id
), o AS (
  SELECT a.id, a.fingerprint FROM alerts a WHERE a.kind = 'spend_jump' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT c.fp, 'spend_jump', 'warning', c.customer_id, 'jump', c.facts, p.now, p.now
  FROM c CROSS JOIN p WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = c.fp)
    -- told already and over (the day was judged before): not again
    AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.customer_id = c.customer_id
      AND x.kind = 'spend_jump' AND x.fingerprint = c.fp)
  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
  RETURNING a.id, a.severity, a.facts
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = 'passed'
  FROM o CROSS JOIN p CROSS JOIN today
  WHERE a.id = o.id AND (a.facts->>'day')::date < today.d - 2
  RETURNING a.id
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', 'jump', fire.severity, fire.facts, p.now FROM fire, p
  RETURNING 1
)
SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
