-- What is not to be sent: anything of a silenced alert, and reminders of an acknowledged one (its
-- expiry or freezing is still told).
-- Without a silence or an acknowledgement in play, nothing is suppressed.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), live AS (
  SELECT s.* FROM silences s, p
  WHERE s.ended_at IS NULL AND s.starts_at <= p.now AND s.ends_at > p.now
), x AS (
  SELECT n.id, CASE
    WHEN EXISTS (SELECT 1 FROM live s
      WHERE (s.customer_id IS NULL OR s.customer_id = a.customer_id)
        AND (s.resource_id IS NULL OR s.resource_id = a.resource_id)
        AND (s.kind IS NULL OR s.kind = a.kind)) THEN 'silenced'
    WHEN a.acked_at IS NOT NULL AND n.event IN ('firing', 'notice')
      AND n.stage NOT IN ('expired', 'frozen') THEN 'acknowledged' END AS why
  FROM notifications n JOIN alerts a ON a.id = n.alert_id
  WHERE n.id > $3::bigint AND n.suppressed IS NULL
    AND (EXISTS (SELECT 1 FROM live) OR a.acked_at IS NOT NULL)) UPDATE notifications n SET suppressed = x.why, routed_at = p.now FROM x, p
  WHERE n.id = x.id AND x.why IS NOT NULL
