-- A dead letter keeps its rendering ($8, $9), so that alerts replay sends the same text.
WITH d AS (
  UPDATE deliveries SET state = 'dead', last_error = $2, platform_code = NULLIF($3, ''),
    dead_at = clock_timestamp(), body = COALESCE($8::jsonb, body),
    parts_total = COALESCE($9::int, parts_total)
  WHERE id = $1 AND lease_token = $7 RETURNING id, notification_ids, items
), f AS (
  INSERT INTO deliveries (destination, channel, notification_ids, items, created_at,
    not_before, retry_from, next_attempt_at, fallback_of)
  SELECT $5, $6, d.notification_ids, d.items, $4, $4, $4, $4, d.id FROM d
  WHERE $5 <> '' RETURNING 1) SELECT count(*) FROM d
