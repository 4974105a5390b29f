-- A retry sends the rendering made for this attempt ($6, $7; NULL when it was stored before).
UPDATE deliveries SET state = 'pending', next_attempt_at = $2, last_error = $3,
  platform_code = NULLIF($4, ''), body = COALESCE($6::jsonb, body),
  parts_total = COALESCE($7::int, parts_total) WHERE id = $1 AND lease_token = $5
