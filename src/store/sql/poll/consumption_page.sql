-- One ListSubCustomerBillDetail page ($1) of customer $2, run $3: its sums per billing day (in
-- the zone $4, by consumption time) into consumption_staging, and its renewals (bill types 2 and
-- 8) into renewal_charges once each. Amounts are read from the answer's own digits.
WITH r AS (
  SELECT x, (COALESCE(NULLIF(x->>'consume_time', ''), x->>'trade_time')::timestamptz
      AT TIME ZONE $4)::date AS day,
    COALESCE(NULLIF(x->>'payment_amount', '')::numeric, 0) AS amount,
    COALESCE(NULLIF(x->>'cash_amount', '')::numeric, 0) AS cash,
    COALESCE(NULLIF(x->>'credit_amount', '')::numeric, 0) AS credit,
    COALESCE(NULLIF(x->>'coupon_amount', '')::numeric, 0)
      + COALESCE(NULLIF(x->>'flexipurchase_coupon_amount', '')::numeric, 0)
      + COALESCE(NULLIF(x->>'stored_value_card_amount', '')::numeric, 0) AS coupons,
    COALESCE(NULLIF(x->>'debt_amount', '')::numeric, 0) AS debt
  FROM jsonb_array_elements($1::jsonb -> 'fee_records') AS x
  WHERE COALESCE(NULLIF(x->>'consume_time', ''), NULLIF(x->>'trade_time', '')) IS NOT NULL
), st AS (
  INSERT INTO consumption_staging (run_id, customer_id, day, amount, cash, credit, coupons, debt,
    records)
  SELECT $3, $2, day, sum(amount), sum(cash), sum(credit), sum(coupons), sum(debt), count(*)
  FROM r GROUP BY day
  RETURNING 1
), rc AS (
  INSERT INTO renewal_charges (record_id, customer_id, resource_id, bill_detail_type, amount,
    trade_time, period_type, period_num, run_id)
  SELECT r.x->>'id', $2, NULLIF(r.x->>'resource_id', ''), (r.x->>'bill_detail_type')::smallint,
    r.amount, NULLIF(r.x->>'trade_time', '')::timestamptz,
    NULLIF(r.x->>'period_type', '')::smallint, NULLIF(r.x->>'period_num', '')::numeric, $3
  FROM r WHERE r.x->>'bill_detail_type' IN ('2', '8') AND NULLIF(r.x->>'id', '') IS NOT NULL
  ON CONFLICT (record_id) DO NOTHING
  RETURNING 1
) SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM st), (SELECT count(*) FROM rc)
