-- Rejected rows ($1 true) or the others ($1 false) older than $2 days, at most $3.
DELETE FROM callback_events WHERE id IN (
  SELECT id FROM callback_events
  WHERE (status = 'rejected') = $1::boolean
    AND received_at < now() - $2::int * interval '1 day'
  LIMIT $3::int)
