UPDATE deliveries SET state = 'pending', next_attempt_at = $2,
  attempts = greatest(attempts - 1, 0) WHERE id = $1 AND lease_token = $3
