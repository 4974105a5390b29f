-- Every page of customer $2 for the days $3 to $4 read by run $1: those days become what the
-- pages summed, zero where nothing was spent; only rows that change are written.
WITH s AS (
  DELETE FROM consumption_staging WHERE run_id = $1 AND customer_id = $2 RETURNING *
), agg AS (
  SELECT g.day::date AS day, COALESCE(sum(s.amount), 0) AS amount, COALESCE(sum(s.cash), 0) AS cash,
    COALESCE(sum(s.credit), 0) AS credit, COALESCE(sum(s.coupons), 0) AS coupons,
    COALESCE(sum(s.debt), 0) AS debt, COALESCE(sum(s.records), 0)::int AS records
  FROM generate_series($3::date, $4::date, interval '1 day') AS g(day)
  LEFT JOIN s ON s.day = g.day::date
  GROUP BY g.day
), up AS (
  INSERT INTO consumption_daily AS d (customer_id, day, amount, cash, credit, coupons, debt,
    records, run_id)
  SELECT $2, day, amount, cash, credit, coupons, debt, records, $1 FROM agg
  ON CONFLICT (customer_id, day) DO UPDATE SET amount = EXCLUDED.amount, cash = EXCLUDED.cash,
    credit = EXCLUDED.credit, coupons = EXCLUDED.coupons, debt = EXCLUDED.debt,
    records = EXCLUDED.records, run_id = EXCLUDED.run_id, updated_at = now()
  WHERE (d.amount, d.cash, d.credit, d.coupons, d.debt, d.records)
    IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.cash, EXCLUDED.credit, EXCLUDED.coupons,
      EXCLUDED.debt, EXCLUDED.records)
  RETURNING 1
) SELECT count(*) FROM up
