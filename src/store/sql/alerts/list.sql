-- The command line's.
-- Text throughout: the command line prints the values as they are.
SELECT COALESCE(json_agg(x ORDER BY x.id::bigint DESC), '[]') FROM (
  SELECT a.id::text AS id, a.kind, a.severity, a.state, a.stage, a.customer_id,
    a.resource_id,
    a.facts->>'customer' AS customer, a.facts->>'resource' AS resource,
    ceil(extract(epoch FROM a.expire_time - $5::timestamptz) / 86400)::int::text AS days_left,
    a.fingerprint,
    to_char((a.started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at, to_char((a.resolved_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS resolved_at,
    a.resolution, a.acked_by
  FROM alerts a
  WHERE ($1 OR a.resolved_at IS NULL) AND ($2 = '' OR a.kind = $2)
    AND ($3 = '' OR a.customer_id = $3)
  ORDER BY a.id DESC LIMIT $4) AS x
