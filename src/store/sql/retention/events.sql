-- What the poller saw happen, older than $1 days, at most $2 of each kind; only events an
-- evaluation has taken up (a reclaim or a customer event not yet told waits).
WITH c AS (
  DELETE FROM customer_events WHERE id IN (SELECT id FROM customer_events
    WHERE at < now() - $1::int * interval '1 day' AND notified_at IS NOT NULL
    ORDER BY at LIMIT $2::int) RETURNING 1
), r AS (
  DELETE FROM resource_events WHERE id IN (SELECT id FROM resource_events
    WHERE at < now() - $1::int * interval '1 day' ORDER BY at LIMIT $2::int) RETURNING 1
), k AS (
  DELETE FROM coupon_records WHERE id IN (SELECT id FROM coupon_records
    WHERE seen_at < now() - $1::int * interval '1 day' AND notified_at IS NOT NULL
    ORDER BY seen_at LIMIT $2::int) RETURNING 1
) SELECT greatest((SELECT count(*) FROM c), (SELECT count(*) FROM r), (SELECT count(*) FROM k))
