-- Each accepted binding notification is announced once.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), ev AS (
  UPDATE callback_events c SET notified_at = p.now FROM p
  WHERE c.notified_at IS NULL AND c.status = 'accepted'
  RETURNING c.id, c.customer_id, c.account_name,
    COALESCE(c.xaccount_id, c.payload->>'xAccountId') AS xaccount_id,
    COALESCE(c.bind_action, c.payload->>'bindAction') AS bind_action, c.received_at
), al AS (
  INSERT INTO alerts (fingerprint, kind, severity, state, customer_id, facts, started_at,
    updated_at, resolved_at, resolution)
  SELECT 'customer_bound/' || COALESCE(ev.customer_id, ev.account_name) || '/' || ev.id,
    'customer_bound', 'info', 'resolved', ev.customer_id,
    jsonb_build_object('customer_id', ev.customer_id,
      'customer', COALESCE(cu.customer_name, ev.account_name, ev.customer_id),
      'account_name', ev.account_name, 'xaccount_id', ev.xaccount_id,
      'bind_action', ev.bind_action,
      'at_local', rule_local_time(ev.received_at, p.s->>'tz'), 'manager', cm.manager),
    p.now, p.now, p.now, 'notice'
  FROM ev CROSS JOIN p
  LEFT JOIN customers cu ON cu.customer_id = ev.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = ev.customer_id
  WHERE (p.s->>'customer_notices')::boolean
    AND ev.received_at > clock_timestamp() - interval '7 days'
  RETURNING id, facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT al.id, 'notice', '', 'info', al.facts, p.now FROM al, p RETURNING 1) SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)
