UPDATE deliveries SET parts_sent = $2,
  state = CASE WHEN $2 >= parts_total THEN 'delivered' ELSE state END,
  delivered_at = CASE WHEN $2 >= parts_total THEN clock_timestamp() END,
  last_error = CASE WHEN $2 >= parts_total THEN NULL ELSE last_error END,
  next_attempt_at = CASE WHEN $2 >= parts_total THEN next_attempt_at ELSE $3 END
    WHERE id = $1 AND lease_token = $4
