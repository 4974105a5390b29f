-- The latest end of a run, not the highest id: runs started together end in any order.
SELECT COALESCE((SELECT (extract(epoch FROM max(finished_at)) * 1000000)::bigint
  FROM poll_runs), 0),
  EXISTS (SELECT 1 FROM callback_events WHERE notified_at IS NULL AND status = 'accepted')
  OR EXISTS (SELECT 1 FROM customer_events WHERE notified_at IS NULL)
