WITH req AS (
  SELECT DISTINCT jsonb_array_elements_text($2::jsonb) AS customer_id
), inp AS (
  SELECT DISTINCT ON (x->>'customer_id') x->>'customer_id' AS customer_id,
    (x->>'amount')::numeric AS amount,
    COALESCE(NULLIF(x->>'debt_amount', '')::numeric, 0) AS debt_amount,
    NULLIF(x->>'currency', '') AS currency,
    NULLIF(x->>'measure_id', '')::smallint AS measure_id
  FROM jsonb_array_elements($1::jsonb -> 'customer_balances') AS x
  WHERE x->>'customer_id' IN (SELECT customer_id FROM req)
    AND NULLIF(x->>'amount', '') IS NOT NULL
), snap AS (
  INSERT INTO balance_snapshots (customer_id, amount, debt_amount, currency, measure_id,
    run_id)
  SELECT customer_id, amount, debt_amount, currency, measure_id, $3 FROM inp
  RETURNING 1
), upd AS (
  UPDATE customers c SET balance_state = 'available', balance_amount = i.amount,
    debt_amount = i.debt_amount, balance_currency = i.currency, balance_at = now(),
    updated_at = now()
  FROM inp i WHERE c.customer_id = i.customer_id
  RETURNING 1
), miss AS (
  UPDATE customers c SET balance_state = 'not_returned', balance_at = now(),
    updated_at = now()
  FROM req WHERE c.customer_id = req.customer_id
    AND NOT EXISTS (SELECT 1 FROM inp WHERE inp.customer_id = req.customer_id)
  RETURNING 1)SELECT (SELECT count(*) FROM snap), (SELECT count(*) FROM miss),
  (SELECT count(*) FROM upd)
