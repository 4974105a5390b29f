WITH d AS (
  UPDATE deliveries SET state = 'dead', last_error = $2, platform_code = NULLIF($3, ''),
    dead_at = clock_timestamp()
  WHERE id = $1 AND lease_token = $7 RETURNING id, notification_ids, items
), f AS (
  INSERT INTO deliveries (destination, channel, notification_ids, items, created_at,
    not_before, retry_from, next_attempt_at, fallback_of)
  SELECT $5, $6, d.notification_ids, d.items, $4, $4, $4, $4, d.id FROM d
  WHERE $5 <> '' RETURNING 1) SELECT count(*) FROM d
