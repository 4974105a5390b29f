-- The partner's balance snapshots older than $1 days, at most $2, rolled up first into
-- partner_balance_days: each day keeps its latest balance, across batches.
WITH d AS (
  DELETE FROM partner_balance_snapshots WHERE id IN (SELECT id FROM partner_balance_snapshots
    WHERE taken_at < now() - $1::int * interval '1 day' ORDER BY taken_at LIMIT $2::int)
  RETURNING *
), r AS (
  INSERT INTO partner_balance_days AS p (account_id, account_type, day, close_amount, currency,
    close_at)
  SELECT DISTINCT ON (COALESCE(account_id, ''), COALESCE(account_type, 0),
      (taken_at AT TIME ZONE 'UTC')::date)
    COALESCE(account_id, ''), COALESCE(account_type, 0), (taken_at AT TIME ZONE 'UTC')::date,
    amount, currency, taken_at
  FROM d ORDER BY COALESCE(account_id, ''), COALESCE(account_type, 0),
    (taken_at AT TIME ZONE 'UTC')::date, taken_at DESC
  ON CONFLICT (account_id, account_type, day) DO UPDATE SET close_amount = EXCLUDED.close_amount,
    currency = EXCLUDED.currency, close_at = EXCLUDED.close_at
  WHERE EXCLUDED.close_at > p.close_at
  RETURNING 1
) SELECT count(*) FROM d
