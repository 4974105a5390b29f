INSERT INTO destination_state AS s (destination, last_ok_at, last_error_at, last_error)
    VALUES ($1, CASE WHEN $2 THEN clock_timestamp() END,
  CASE WHEN NOT $2 THEN clock_timestamp() END, CASE WHEN NOT $2 THEN $3 END)
    ON CONFLICT (destination) DO UPDATE SET
  last_ok_at = COALESCE(EXCLUDED.last_ok_at, s.last_ok_at),
  last_error_at = COALESCE(EXCLUDED.last_error_at, s.last_error_at),
  last_error = COALESCE(EXCLUDED.last_error, s.last_error)
