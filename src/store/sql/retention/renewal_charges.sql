-- Renewal records older than $1 days, at most $2: a resource renewed yearly needs a year of them.
DELETE FROM renewal_charges WHERE record_id IN (SELECT record_id FROM renewal_charges
  WHERE trade_time < now() - $1::int * interval '1 day' ORDER BY trade_time LIMIT $2::int)
