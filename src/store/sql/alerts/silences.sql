SELECT COALESCE(json_agg(x ORDER BY x.id::bigint), '[]') FROM (
  SELECT id::text AS id, customer_id, resource_id, kind,
    to_char((starts_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS starts_at,
    to_char((ends_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    AS ends_at, created_by, comment
  FROM silences WHERE ended_at IS NULL AND ends_at > $1) AS x
