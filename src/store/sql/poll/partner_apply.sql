WITH ins AS (
  INSERT INTO partner_balance_snapshots (account_id, account_type, amount,
    designated_amount, credit_amount, currency, measure_id, memo, run_id)
  SELECT NULLIF(x->>'account_id', ''), NULLIF(x->>'account_type', '')::smallint,
    NULLIF(x->>'amount', '')::numeric, NULLIF(x->>'designated_amount', '')::numeric,
    NULLIF(x->>'credit_amount', '')::numeric, NULLIF(x->>'currency', ''),
    NULLIF(x->>'measure_id', '')::smallint, NULLIF(x->>'memo', ''), $2
  FROM jsonb_array_elements($1::jsonb -> 'account_balances') AS x
  RETURNING 1)SELECT count(*) FROM ins
