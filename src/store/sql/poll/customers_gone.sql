WITH g AS (
  UPDATE customers SET gone_at = now(), updated_at = now()
  WHERE last_seen_at IS NOT NULL AND gone_at IS NULL
    AND last_seen_run IS DISTINCT FROM $1
  RETURNING customer_id, association_type
), ev AS (
  INSERT INTO customer_events (customer_id, kind, old_value, run_id)
  SELECT customer_id, 'gone', association_type, $1 FROM g RETURNING 1)SELECT count(*) FROM ev
