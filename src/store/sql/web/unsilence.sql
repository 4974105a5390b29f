-- Unsilenced from a page: the silences of exactly this alert's customer, resource and kind end
-- now; the alert goes back to acknowledged or firing unless another silence still covers it; the
-- audit row. Nothing if no such silence is in force.
WITH al AS (SELECT * FROM alerts WHERE id = $1::bigint AND resolved_at IS NULL), ended AS (
  UPDATE silences s SET ended_at = $7::timestamptz FROM al
  WHERE s.ended_at IS NULL AND s.ends_at > $7::timestamptz
    AND s.customer_id IS NOT DISTINCT FROM al.customer_id
    AND s.resource_id IS NOT DISTINCT FROM al.resource_id AND s.kind = al.kind
  RETURNING s.id
), st AS (
  UPDATE alerts a SET state = CASE WHEN a.acked_at IS NOT NULL THEN 'acknowledged'
    ELSE 'firing' END
  FROM al WHERE a.id = al.id AND a.state = 'silenced' AND EXISTS (SELECT 1 FROM ended)
    AND NOT EXISTS (SELECT 1 FROM silences s WHERE s.ended_at IS NULL
      AND s.starts_at <= $7::timestamptz AND s.ends_at > $7::timestamptz
      AND s.id NOT IN (SELECT id FROM ended)
      AND (s.customer_id IS NULL OR s.customer_id = al.customer_id)
      AND (s.resource_id IS NULL OR s.resource_id = al.resource_id)
      AND (s.kind IS NULL OR s.kind = al.kind))
  RETURNING a.id)
INSERT INTO web_actions (at, alert_id, action, name, note, destination, address, user_agent)
  SELECT $7::timestamptz, al.id, 'unsilence', $2, NULLIF($3, ''), $4, $5, $6 FROM al
  WHERE EXISTS (SELECT 1 FROM ended) RETURNING id
