-- Before each send: still ours? Then the lease runs on from here.
UPDATE deliveries SET next_attempt_at = $3
    WHERE id = $1 AND lease_token = $2 AND state = 'sending'
