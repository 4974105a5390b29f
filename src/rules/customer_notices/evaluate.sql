-- Customer events become notices once. The first complete customer listing is the baseline and
-- announces nobody; a customer whose binding notification came first was announced then. Events
-- older than a week (alerts were off) are marked without a notice.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), base AS (
  SELECT min(id) AS run FROM poll_runs
  WHERE job = 'customers' AND status IN ('ok', 'partial')
), ev AS (
  UPDATE customer_events e SET notified_at = p.now FROM p WHERE e.notified_at IS NULL
  RETURNING e.id, e.customer_id, e.kind, e.old_value, e.new_value, e.detail, e.run_id, e.at
), pick AS (
  SELECT ev.*, CASE ev.kind WHEN 'associated' THEN 'customer_new'
    WHEN 'reassociated' THEN 'customer_new' WHEN 'frozen' THEN 'customer_frozen'
    WHEN 'gone' THEN 'customer_gone' END AS akind
  FROM ev CROSS JOIN p CROSS JOIN base
  WHERE (p.s->>'customer_notices')::boolean AND ev.at > clock_timestamp() - interval '7 days'
    AND NOT (ev.kind = 'associated' AND (ev.run_id IS NOT DISTINCT FROM base.run
      OR COALESCE((ev.detail->>'callback_seen')::boolean, false)))
), al AS (
  INSERT INTO alerts (fingerprint, kind, severity, state, customer_id, facts, started_at,
    updated_at, resolved_at, resolution)
  SELECT pick.akind || '/' || pick.customer_id || '/' || pick.id, pick.akind, 'info',
    'resolved', pick.customer_id, jsonb_build_object('customer_id', pick.customer_id,
      'customer', COALESCE(cu.customer_name, cu.account_name, pick.customer_id),
      'account_name', cu.account_name, 'event', pick.kind, 'old_value', pick.old_value,
      'new_value', pick.new_value, 'association_type', cu.association_type,
      'at_local', rule_local_time(pick.at, p.s->>'tz'), 'manager', cm.manager),
    p.now, p.now, p.now, 'notice'
  FROM pick CROSS JOIN p
  LEFT JOIN customers cu ON cu.customer_id = pick.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = pick.customer_id
  WHERE pick.akind IS NOT NULL
  RETURNING id, facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT al.id, 'notice', '', 'info', al.facts, p.now FROM al, p RETURNING 1) SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)
