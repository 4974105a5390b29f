WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), c AS (
  SELECT cu.customer_id, cu.gone_at IS NULL AND cu.balance_state = 'available' AS applicable,
    cu.gone_at IS NOT NULL OR cu.balance_state = 'not_available' AS inapplicable,
    cu.customer_name, cu.account_name, cu.balance_amount, cu.debt_amount, cu.balance_currency,
    cu.balance_at, cs.account_manager,
    (p.s->>'arrears')::boolean AND COALESCE(cu.debt_amount, 0) > 0 AS fire,
    NOT (p.s->>'arrears')::boolean OR COALESCE(cu.debt_amount, 0) <= 0 AS clear
  FROM customers cu LEFT JOIN customer_settings cs USING (customer_id) CROSS JOIN p
  WHERE cu.customer_id IS NOT NULL), o AS (SELECT a.id, a.customer_id FROM alerts a
      WHERE a.kind = 'arrears' AND a.resolved_at IS NULL),fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, customer_id, stage, facts, started_at,
    updated_at)
  SELECT 'arrears/' || c.customer_id, 'arrears', 'critical', c.customer_id, 'arrears',
    jsonb_build_object('customer_id', c.customer_id, 'customer', COALESCE(c.customer_name, c.account_name, c.customer_id), 'account_name', c.account_name,
    'amount', c.balance_amount::text, 'debt', c.debt_amount::text,
    'currency', c.balance_currency, 'balance_local', to_char((c.balance_at) AT TIME ZONE (p.s->>'tz'), 'YYYY-MM-DD HH24:MI'), 'manager', c.account_manager), p.now, p.now
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
  RETURNING a.id, a.resolution, jsonb_build_object('customer_id', c.customer_id, 'customer', COALESCE(c.customer_name, c.account_name, c.customer_id), 'account_name', c.account_name,
    'amount', c.balance_amount::text, 'debt', c.debt_amount::text,
    'currency', c.balance_currency, 'balance_local', to_char((c.balance_at) AT TIME ZONE (p.s->>'tz'), 'YYYY-MM-DD HH24:MI'), 'manager', c.account_manager) AS facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', 'arrears', fire.severity, fire.facts, p.now FROM fire, p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE res.resolution <> 'not_applicable' AND EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = res.id
    AND n.event = 'firing' AND n.suppressed IS NULL)
  RETURNING 1)SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
