-- The partner's own cash balance (account type 1), per account.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), c AS (
  SELECT 'partner_low_balance/' || COALESCE(l.account_id, '-') AS fp, l.amount,
    (p.s->>'partner_low')::numeric AS thr,
    jsonb_build_object('account_id', l.account_id, 'amount', l.amount::text,
      'currency', l.currency, 'threshold', p.s->>'partner_low',
      'balance_local', rule_local_time(l.taken_at, p.s->>'tz')) AS facts
  FROM (SELECT DISTINCT ON (account_id) account_id, amount, currency, taken_at
        FROM partner_balance_snapshots WHERE account_type = 1
        ORDER BY account_id, taken_at DESC) AS l CROSS JOIN p
), o AS (
  SELECT a.id, a.fingerprint FROM alerts a
  WHERE a.kind = 'partner_low_balance' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, stage, facts, started_at, updated_at)
  SELECT c.fp, 'partner_low_balance', 'critical', 'low', c.facts, p.now, p.now
  FROM c CROSS JOIN p
  WHERE c.thr > 0 AND c.amount < c.thr AND NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = c.fp)
  RETURNING id, severity, facts
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = $3
  FROM o JOIN c ON c.fp = o.fingerprint, p
  WHERE a.id = o.id
    AND (c.thr <= 0 OR c.amount >= c.thr + (p.s->>'margin')::numeric)
  RETURNING a.id, a.resolution, c.facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', 'low', fire.severity, fire.facts, p.now FROM fire, p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = res.id
    AND n.event = 'firing' AND n.suppressed IS NULL)
  RETURNING 1)SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
