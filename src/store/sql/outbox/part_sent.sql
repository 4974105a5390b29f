-- A part of several was sent. The rendering is stored with the first such record ($5, $6; NULL
-- when it already is), so that the parts still to go are those of the same rendering.
UPDATE deliveries SET parts_sent = $2, next_attempt_at = $3,
  body = COALESCE($5::jsonb, body), parts_total = COALESCE($6::int, parts_total)
    WHERE id = $1 AND lease_token = $4
