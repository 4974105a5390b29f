-- Balance snapshots older than $1 days, at most $2 (their days are already in balance_days).
DELETE FROM balance_snapshots WHERE id IN (SELECT id FROM balance_snapshots
  WHERE taken_at < now() - $1::int * interval '1 day' ORDER BY taken_at LIMIT $2::int)
