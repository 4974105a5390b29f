-- Up to $5 due deliveries at once, with the items of those not yet rendered: one round trip for
-- what took four per delivery.
-- Items in the order a digest lists them, most urgent customer first (delivery_items, which
-- PostgreSQL inlines here: planned once with the statement, not at every row).
-- Whether the destination's last recorded outcome is a failure (or none): see note_ok.
WITH c AS (
  SELECT d.id FROM deliveries d
  WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= $1
    AND d.destination IN (SELECT jsonb_array_elements_text($4::jsonb))
    AND NOT EXISTS (SELECT 1 FROM destination_state s
      WHERE s.destination = d.destination AND s.blocked_until > clock_timestamp())
  ORDER BY d.next_attempt_at, d.id LIMIT $5 FOR UPDATE OF d SKIP LOCKED
), u AS (
  UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1,
    next_attempt_at = $1::timestamptz + $2::int * interval '1 second', leased_by = $3,
    last_attempt_at = $1, lease_token = d.lease_token + 1
  FROM c WHERE d.id = c.id
  RETURNING d.id, d.idempotency_key, d.destination, d.channel, d.attempts, d.parts_sent,
    d.body::text AS body, COALESCE(d.fallback_of, 0) AS fallback_of,
    extract(epoch FROM $1::timestamptz - d.retry_from) AS age, d.lease_token,
    d.notification_ids) SELECT u.id, u.idempotency_key, u.destination, u.channel, u.attempts, u.parts_sent,
  u.body, u.fallback_of, u.age, u.lease_token, di.items,
  COALESCE((SELECT s.last_ok_at IS NULL OR s.last_error_at > s.last_ok_at IS TRUE
    FROM destination_state s WHERE s.destination = u.destination), true)
  FROM u LEFT JOIN LATERAL (SELECT i.items FROM delivery_items(u.notification_ids) AS i
    WHERE u.body IS NULL) AS di ON true ORDER BY u.id
