-- The partner's per-day balances older than $1 days, at most $2.
DELETE FROM partner_balance_days WHERE (account_id, account_type, day) IN (
  SELECT account_id, account_type, day FROM partner_balance_days
  WHERE day < (now() - $1::int * interval '1 day')::date ORDER BY day LIMIT $2::int)
