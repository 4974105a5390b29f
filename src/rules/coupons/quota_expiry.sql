-- The partner's coupon quota with something left to issue, told at each of [alerts] coupon_stages
-- before it expires, one alert per quota and expiry. It ends 'used' when nothing is left or Huawei
-- no longer lists it as normal, and 'expired' when it expired with an amount left: what the
-- partner lost, told.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), st AS (
  SELECT rule_stages(p.s->'coupon_stages') AS stages FROM p
), c AS (
  SELECT 'coupon_quota_expiry/' || q.quota_id || '/'
      || to_char(q.expire_time AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS fp,
    q.*, rule_days_left(q.expire_time, p.now) AS days_left
  FROM coupon_quotas q CROSS JOIN p CROSS JOIN st
  WHERE q.gone_at IS NULL AND q.quota_status = 0 AND q.balance > 0 AND q.expire_time > p.now
    AND q.expire_time <= p.now + COALESCE(st.stages[cardinality(st.stages)], 0) * interval '1 day'
), s AS (
  SELECT c.*, st.stages[width_bucket(c.days_left - 1, st.stages) + 1] || 'd' AS stage,
    jsonb_build_object('quota_id', c.quota_id,
      'quota_type', CASE c.quota_type WHEN 1 THEN 'flexi' ELSE 'cash' END,
      'quota_value', c.quota_value::text, 'left', c.balance::text,
      'currency', COALESCE(c.currency, 'CNY'),
      'expire_time', to_char(c.expire_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'expire_local', rule_local_time(c.expire_time, p.s->>'tz'), 'days_left', c.days_left)
      AS facts
  FROM c CROSS JOIN p CROSS JOIN st
), o AS (
  SELECT a.id, a.fingerprint, a.stage, a.facts FROM alerts a
  WHERE a.kind = 'coupon_quota_expiry' AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts AS a (fingerprint, kind, severity, stage, facts, started_at, updated_at)
  SELECT s.fp, 'coupon_quota_expiry', 'warning', s.stage, s.facts, p.now, p.now
  FROM s CROSS JOIN p WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = s.fp)
  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
  RETURNING a.id, a.stage, a.severity, a.facts
), moved AS (
  UPDATE alerts a SET stage = s.stage, updated_at = p.now, facts = s.facts
  FROM o JOIN s ON s.fp = o.fingerprint, p
  WHERE a.id = o.id AND o.stage IS DISTINCT FROM s.stage
  RETURNING a.id, a.stage, a.severity, a.facts
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = r.resolution
  FROM (SELECT o.id, q.balance, CASE
      WHEN q.balance > 0 AND q.expire_time <= p.now
        AND (q.gone_at IS NULL OR q.gone_at >= q.expire_time) THEN 'expired'
      ELSE 'used' END AS resolution
    FROM o CROSS JOIN p LEFT JOIN coupon_quotas q ON q.quota_id = o.facts->>'quota_id'
    WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.fp = o.fingerprint)) AS r, p
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
