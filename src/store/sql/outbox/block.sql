INSERT INTO destination_state AS s (destination, blocked_until, blocked_reason)
    VALUES ($1, clock_timestamp() + $2::double precision * interval '1 second', $3)
    ON CONFLICT (destination) DO UPDATE SET
  blocked_until = greatest(s.blocked_until, EXCLUDED.blocked_until),
  blocked_reason = EXCLUDED.blocked_reason
