-- A firing, unacknowledged alert can change only while some silence is in force.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), live AS (
  SELECT s.* FROM silences s, p
  WHERE s.ended_at IS NULL AND s.starts_at <= p.now AND s.ends_at > p.now
), cand AS (
  -- Without a silence in force, only the alerts not plainly firing (an index of their own); with
  -- one, every open alert.
  SELECT a.id, a.customer_id, a.resource_id, a.kind, a.acked_at FROM alerts a
  WHERE a.resolved_at IS NULL AND (a.state <> 'firing' OR a.acked_at IS NOT NULL)
  UNION
  SELECT a.id, a.customer_id, a.resource_id, a.kind, a.acked_at FROM alerts a
  WHERE a.resolved_at IS NULL AND EXISTS (SELECT 1 FROM live)
), x AS MATERIALIZED (
  SELECT a.id, CASE
    WHEN EXISTS (SELECT 1 FROM live s
      WHERE (s.customer_id IS NULL OR s.customer_id = a.customer_id)
        AND (s.resource_id IS NULL OR s.resource_id = a.resource_id)
        AND (s.kind IS NULL OR s.kind = a.kind)) THEN 'silenced'
    WHEN a.acked_at IS NOT NULL THEN 'acknowledged' ELSE 'firing' END AS st
  FROM cand a)
-- By id, not a join the planner would size at every open alert.
UPDATE alerts a SET state = x.st FROM x
  WHERE a.id = x.id AND a.id = ANY (ARRAY(SELECT id FROM x)) AND a.state <> x.st
