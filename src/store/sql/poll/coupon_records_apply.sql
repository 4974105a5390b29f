-- One ListPartnerCouponsRecord page ($1) into coupon_records by run $2, each record once; counts
-- the records new to hcwatch.
WITH ins AS (
  INSERT INTO coupon_records (id, operation_type, coupon_id, customer_id, quota_id, amount,
    operation_time, result, info, run_id)
  SELECT x->>'id', (x->>'operation_type')::smallint, NULLIF(x->>'coupon_id', ''),
    NULLIF(x->>'customer_id', ''), NULLIF(x->>'quota_id', ''),
    NULLIF(x->>'operation_amount', '')::numeric,
    NULLIF(x->>'operation_time', '')::timestamptz, NULLIF(x->>'result', '')::smallint, x, $2
  FROM jsonb_array_elements($1::jsonb -> 'records') AS x
  WHERE NULLIF(x->>'id', '') IS NOT NULL AND x->>'operation_type' ~ '^[0-9]+$'
  ON CONFLICT (id) DO NOTHING
  RETURNING 1) SELECT count(*) FROM ins
