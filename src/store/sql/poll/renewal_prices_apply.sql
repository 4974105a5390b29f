-- One ListRenewRateOnPeriod answer ($1) for customer $2, run $3, which priced the IDs $4 (a JSON
-- array): each priced one's amount; each it could not price, or did not mention, its error and
-- no amount. $1 NULL: the call failed with the error code $5 for all of them.
WITH asked AS (SELECT jsonb_array_elements_text($4::jsonb) AS resource_id), ok AS (
  SELECT x->>'resource_id' AS resource_id, NULLIF(x->>'amount', '')::numeric AS amount
  FROM jsonb_array_elements(COALESCE($1::jsonb -> 'renew_inquiry_results', '[]')) AS x
), bad AS (
  SELECT x->>'resource_id' AS resource_id, x->>'error_code' AS code
  FROM jsonb_array_elements(COALESCE($1::jsonb -> 'fail_resource_infos', '[]')) AS x
), up AS (
  INSERT INTO renewal_prices AS p (customer_id, resource_id, amount, currency, error_code,
    priced_at, run_id)
  SELECT $2, a.resource_id, ok.amount, COALESCE(NULLIF($1::jsonb->>'currency', ''), 'CNY'),
    CASE WHEN ok.amount IS NULL THEN COALESCE(bad.code, $5, 'not_answered') END, now(), $3
  FROM asked a LEFT JOIN ok USING (resource_id) LEFT JOIN bad USING (resource_id)
  ON CONFLICT (customer_id, resource_id) DO UPDATE SET amount = EXCLUDED.amount,
    currency = EXCLUDED.currency, error_code = EXCLUDED.error_code,
    priced_at = EXCLUDED.priced_at, run_id = EXCLUDED.run_id
  RETURNING p.amount
) SELECT count(*) FILTER (WHERE amount IS NOT NULL) FROM up
