-- Acknowledged from a page: the alert, and the audit row, at once. Nothing for a resolved alert.
WITH a AS (
  UPDATE alerts SET acked_at = $7::timestamptz, acked_by = $2, ack_note = NULLIF($3, ''),
    state = CASE WHEN state = 'firing' THEN 'acknowledged' ELSE state END
  WHERE id = $1::bigint AND resolved_at IS NULL RETURNING id)
INSERT INTO web_actions (at, alert_id, action, name, note, destination, address, user_agent)
  SELECT $7::timestamptz, a.id, 'acknowledge', $2, NULLIF($3, ''), $4, $5, $6 FROM a RETURNING id
