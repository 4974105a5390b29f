-- Days of runway: the available amount over the average daily spend (the drops between snapshots;
-- top-ups do not count) in the trailing window of whole UTC days, read from the per-day sums that
-- balance_snapshots' trigger keeps (migration 0005). Needs at least a day of history.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), sp AS (
  SELECT b.customer_id, sum(b.spent) AS spent,
    extract(epoch FROM max(b.last_at) - min(b.first_at)) / 86400 AS days
  FROM balance_days b CROSS JOIN p
  WHERE b.day > ((p.now - (p.s->>'runway_window')::int * interval '1 day')
      AT TIME ZONE 'UTC')::date
    AND b.day <= (p.now AT TIME ZONE 'UTC')::date
  GROUP BY b.customer_id
), c AS (
  SELECT cu.*, t.rd, t.daily,
    t.rd > 0 AND t.daily > 0 AND cu.balance_amount / t.daily < t.rd AS fire,
    t.rd <= 0 OR t.daily = 0
      OR cu.balance_amount / t.daily >= t.rd + (p.s->>'runway_margin')::int AS clear
  FROM rule_customer_balances cu CROSS JOIN p
  LEFT JOIN sp ON sp.customer_id = cu.customer_id
  CROSS JOIN LATERAL (SELECT COALESCE(cu.runway_days, (p.s->>'runway_days')::int) AS rd,
    CASE WHEN sp.days >= 1 THEN sp.spent / sp.days END AS daily) AS t
), o AS (
  SELECT a.id, a.customer_id FROM alerts a WHERE a.kind = 'runway' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT 'runway/' || c.customer_id, 'runway', 'warning', c.customer_id, 'runway',
    rule_balance_facts(c.customer_id, c.customer_name, c.account_name, c.balance_amount,
      c.debt_amount, c.balance_currency, c.balance_at, c.account_manager, p.s->>'tz')
      || jsonb_build_object('daily_spend', round(c.daily, 2)::text,
        'days_left', floor(c.balance_amount / NULLIF(c.daily, 0))::int, 'runway_days', c.rd),
    p.now, p.now
  FROM c CROSS JOIN p
  WHERE c.applicable AND c.fire AND NOT EXISTS (SELECT 1 FROM o WHERE o.customer_id = c.customer_id)
  RETURNING id, severity, facts
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = CASE WHEN c.customer_id IS NULL OR c.inapplicable THEN 'not_applicable'
                      ELSE $3 END
  FROM o LEFT JOIN c USING (customer_id), p
  WHERE a.id = o.id AND a.id = ANY (ARRAY(SELECT id FROM o))
    AND (c.customer_id IS NULL OR c.inapplicable OR (c.applicable AND c.clear))
  RETURNING a.id, a.resolution,
    rule_balance_facts(c.customer_id, c.customer_name, c.account_name, c.balance_amount,
      c.debt_amount, c.balance_currency, c.balance_at, c.account_manager, p.s->>'tz')
      || jsonb_build_object('daily_spend', round(c.daily, 2)::text,
        'days_left', floor(c.balance_amount / NULLIF(c.daily, 0))::int, 'runway_days', c.rd) AS facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', 'runway', fire.severity, fire.facts, p.now FROM fire, p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE res.resolution <> 'not_applicable' AND EXISTS (SELECT 1 FROM notifications n
    WHERE n.alert_id = res.id AND n.event = 'firing' AND n.suppressed IS NULL)
  RETURNING 1
)
SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
