-- `alerts link`: the alert an id or a fingerprint names (an open one before a resolved one).
SELECT id FROM alerts WHERE id::text = $1 OR fingerprint = $1
  ORDER BY resolved_at IS NULL DESC, id DESC LIMIT 1
