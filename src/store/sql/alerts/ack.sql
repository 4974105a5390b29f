UPDATE alerts SET acked_at = $4, acked_by = $2, ack_note = NULLIF($3, ''),
  state = CASE WHEN state = 'firing' THEN 'acknowledged' ELSE state END
    WHERE resolved_at IS NULL AND (id::text = $1 OR fingerprint = $1)
