-- The billing cycles (YYYY-MM) the consumption job may read: from $1 days ago to today, in the
-- billing zone $2; and the first day that far back.
SELECT to_char(m, 'YYYY-MM') FROM (SELECT (now() AT TIME ZONE $2)::date AS today) AS t
  CROSS JOIN generate_series(date_trunc('month', t.today - $1::int), t.today,
    interval '1 month') AS m
