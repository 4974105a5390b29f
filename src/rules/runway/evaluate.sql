-- Days of runway: the available amount over the average daily spend in the trailing window. The
-- spend is what the customer's consumption records say it paid from its balance or left owing
-- (cash + debt) over the window's whole billing days before today, when the consumption job has
-- read any of them: a top-up is not spending. Else, the drops between balance snapshots in the
-- window's whole UTC days, from the per-day sums balance_snapshots' trigger keeps (migration
-- 0005; top-ups do not count). Either needs at least a day of history. The auto-renewals charged
-- within the renewal window (rule_renewals, at their known prices) come out of the balance first.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), today AS (
  SELECT (p.now AT TIME ZONE (p.s->>'billing_tz'))::date AS d FROM p
), used AS (
  SELECT d.customer_id, sum(d.cash + d.debt) AS spent, count(*) AS days
  FROM consumption_daily d CROSS JOIN p CROSS JOIN today
  WHERE d.day >= today.d - (p.s->>'runway_window')::int AND d.day < today.d
  GROUP BY d.customer_id
), due AS (
  -- Auto-renewals charged within the renewal window come out of the balance first.
  SELECT x.customer_id, sum(x.price) AS renewals
  FROM p CROSS JOIN LATERAL rule_renewals(p.s, p.now) AS x GROUP BY x.customer_id
), sp AS (
  SELECT b.customer_id, sum(b.spent) AS spent,
    extract(epoch FROM max(b.last_at) - min(b.first_at)) / 86400 AS days
  FROM balance_days b CROSS JOIN p
  WHERE b.day > ((p.now - (p.s->>'runway_window')::int * interval '1 day')
      AT TIME ZONE 'UTC')::date
    AND b.day <= (p.now AT TIME ZONE 'UTC')::date
  GROUP BY b.customer_id
), c AS (
  SELECT cu.*, t.rd, t.daily, t.source, t.left_after, t.renewals,
    t.rd > 0 AND t.daily > 0 AND t.left_after / t.daily < t.rd AS fire,
    t.rd <= 0 OR t.daily = 0
      OR t.left_after / t.daily >= t.rd + (p.s->>'runway_margin')::int AS clear
  FROM rule_customer_balances cu CROSS JOIN p
  LEFT JOIN sp ON sp.customer_id = cu.customer_id
  LEFT JOIN used ON used.customer_id = cu.customer_id
  LEFT JOIN due ON due.customer_id = cu.customer_id
  CROSS JOIN LATERAL (SELECT COALESCE(cu.runway_days, (p.s->>'runway_days')::int) AS rd,
    cu.balance_amount - COALESCE(due.renewals, 0) AS left_after, due.renewals,
    CASE WHEN used.days >= 1 THEN used.spent / used.days
         WHEN sp.days >= 1 THEN sp.spent / sp.days END AS daily,
    CASE WHEN used.days >= 1 THEN 'consumption' ELSE 'balance' END AS source) AS t
), o AS (
  SELECT a.id, a.customer_id FROM alerts a WHERE a.kind = 'runway' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT 'runway/' || c.customer_id, 'runway', 'warning', c.customer_id, 'runway',
    rule_balance_facts(c.customer_id, c.customer_name, c.account_name, c.balance_amount,
      c.debt_amount, c.balance_currency, c.balance_at, c.account_manager, p.s->>'tz')
      || jsonb_build_object('daily_spend', round(c.daily, 2)::text,
        'days_left', greatest(floor(c.left_after / NULLIF(c.daily, 0)), 0)::int,
        'runway_days', c.rd, 'spend_source', c.source, 'renewals', c.renewals::text),
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
        'days_left', greatest(floor(c.left_after / NULLIF(c.daily, 0)), 0)::int,
        'runway_days', c.rd, 'spend_source', c.source, 'renewals', c.renewals::text) AS facts
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
