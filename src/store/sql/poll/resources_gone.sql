WITH g AS (
  UPDATE resources SET gone_at = now()
  WHERE customer_id = $1
    AND resource_id IN (SELECT jsonb_array_elements_text($2::jsonb))
    AND gone_at IS NULL AND last_seen_run IS DISTINCT FROM $3
  RETURNING customer_id, resource_id, expire_time
), ev AS (
  INSERT INTO resource_events (customer_id, resource_id, kind, old_value, run_id)
  SELECT customer_id, resource_id, 'gone', to_char((expire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), $3 FROM g
  RETURNING 1)SELECT count(*) FROM ev
