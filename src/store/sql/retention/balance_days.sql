-- Per-day balance history older than $1 days, at most $2.
DELETE FROM balance_days WHERE (customer_id, day) IN (SELECT customer_id, day FROM balance_days
  WHERE day < (now() - $1::int * interval '1 day')::date ORDER BY day LIMIT $2::int)
