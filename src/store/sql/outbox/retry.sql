UPDATE deliveries SET state = 'pending', next_attempt_at = $2, last_error = $3,
  platform_code = NULLIF($4, '') WHERE id = $1 AND lease_token = $5
