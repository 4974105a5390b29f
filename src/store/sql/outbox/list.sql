SELECT COALESCE(json_agg(x ORDER BY x.id::bigint DESC), '[]') FROM (
  SELECT id::text AS id, destination, channel, state, items::text AS items,
    attempts::text AS attempts, parts_sent::text AS parts_sent,
    parts_total::text AS parts_total,
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
    to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      AS next_attempt_at, last_error, platform_code, idempotency_key,
    fallback_of::text AS fallback_of
  FROM deliveries d WHERE NOT $1 OR state = 'dead' ORDER BY d.id DESC LIMIT $2) AS x
