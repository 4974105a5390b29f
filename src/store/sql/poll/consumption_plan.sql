-- Which days to read for each customer that spent ($1: a JSON array of ids, from
-- ListConsumeSubCustomers; those hcwatch does not know as associated are left out): from the
-- day before the last one read (it may have been read in part), else $2 days back, to today in
-- the billing zone $3. Leftover sums of a run that did not finish are dropped first.
WITH t AS (SELECT (now() AT TIME ZONE $3)::date AS today), x AS (
  SELECT DISTINCT id FROM jsonb_array_elements_text($1::jsonb) AS e(id)
), clean AS (
  DELETE FROM consumption_staging WHERE run_id <> $4::bigint RETURNING 1
)
SELECT x.id, to_char(greatest(COALESCE((SELECT max(d.day) FROM consumption_daily d
      WHERE d.customer_id = x.id) - 1, t.today - $2::int), t.today - $2::int), 'YYYY-MM-DD'),
    to_char(t.today, 'YYYY-MM-DD'), (SELECT count(*) FROM clean)
  FROM x CROSS JOIN t
  JOIN customers cu ON cu.customer_id = x.id AND cu.gone_at IS NULL
  ORDER BY x.id
