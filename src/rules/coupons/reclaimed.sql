-- Coupons Huawei reclaimed when their customer dissociated, told once: one notice per customer
-- and evaluation, with how many and how much. The reclaims of the first coupons run are its
-- baseline and are not told (nor those older than a week: alerts were off).
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), base AS (
  SELECT min(id) AS run FROM poll_runs WHERE job = 'coupons' AND status IN ('ok', 'partial')
), ev AS (
  UPDATE coupon_records r SET notified_at = p.now FROM p WHERE r.notified_at IS NULL
  RETURNING r.id, r.customer_id, r.coupon_id, r.amount, r.operation_time, r.run_id,
    r.operation_type
), pick AS (
  SELECT ev.customer_id, count(*) AS n, sum(ev.amount) AS amount, min(ev.id) AS first,
    max(ev.operation_time) AS at
  FROM ev CROSS JOIN p CROSS JOIN base
  WHERE (p.s->>'coupon_reclaimed')::boolean AND ev.operation_type = 3
    AND ev.customer_id IS NOT NULL AND ev.run_id IS DISTINCT FROM base.run
    AND COALESCE(ev.operation_time, p.now) > p.now - interval '7 days'
  GROUP BY ev.customer_id
), al AS (
  INSERT INTO alerts (fingerprint, kind, severity, state, customer_id, facts, started_at,
    updated_at, resolved_at, resolution)
  SELECT 'coupon_reclaimed/' || pick.customer_id || '/' || pick.first, 'coupon_reclaimed', 'info',
    'resolved', pick.customer_id, jsonb_build_object('customer_id', pick.customer_id,
      'customer', COALESCE(cu.customer_name, cu.account_name, pick.customer_id),
      'account_name', cu.account_name, 'manager', cm.manager, 'coupons', pick.n,
      'amount', pick.amount::text, 'currency', 'CNY',
      'at_local', rule_local_time(pick.at, p.s->>'tz')),
    p.now, p.now, p.now, 'notice'
  FROM pick CROSS JOIN p
  LEFT JOIN customers cu ON cu.customer_id = pick.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = pick.customer_id
  ON CONFLICT DO NOTHING
  RETURNING id, facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT al.id, 'notice', '', 'info', al.facts, p.now FROM al, p RETURNING 1)
SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)
