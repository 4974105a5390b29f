-- Below the threshold fires; only above threshold + margin clears. $3: what a cleared alert's
-- resolution says.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), c AS (
  SELECT cu.*, t.thr,
    t.thr > 0 AND cu.balance_amount < t.thr AS fire,
    t.thr <= 0 OR cu.balance_amount >= t.thr + (p.s->>'margin')::numeric AS clear
  FROM rule_customer_balances cu CROSS JOIN p
  CROSS JOIN LATERAL (SELECT COALESCE(cu.low_balance_threshold, (p.s->>'low')::numeric) AS thr)
    AS t
), o AS (
  SELECT a.id, a.customer_id FROM alerts a
  WHERE a.kind = 'low_balance' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT 'low_balance/' || c.customer_id, 'low_balance', 'warning', c.customer_id, 'low',
    rule_balance_facts(c.customer_id, c.customer_name, c.account_name, c.balance_amount,
      c.debt_amount, c.balance_currency, c.balance_at, c.account_manager, p.s->>'tz')
      || jsonb_build_object('threshold', c.thr::text),
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
      || jsonb_build_object('threshold', c.thr::text) AS facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', 'low', fire.severity, fire.facts, p.now FROM fire, p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE res.resolution <> 'not_applicable' AND EXISTS (SELECT 1 FROM notifications n
    WHERE n.alert_id = res.id AND n.event = 'firing' AND n.suppressed IS NULL)
  RETURNING 1
)
SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
