UPDATE deliveries SET state = 'pending', next_attempt_at = $2, retry_from = $2,
  replays = replays + 1, dead_at = NULL
    WHERE state = 'dead' AND ($1 = 0 OR id = $1)
