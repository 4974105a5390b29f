-- Consumption days older than $1 days, at most $2.
DELETE FROM consumption_daily WHERE (customer_id, day) IN (SELECT customer_id, day
  FROM consumption_daily WHERE day < (now() - $1::int * interval '1 day')::date ORDER BY day
  LIMIT $2::int)
