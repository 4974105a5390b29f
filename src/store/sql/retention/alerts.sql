-- Alerts resolved more than $1 days ago, at most $2, with what was told about them and done on
-- their pages. Nothing open is touched.
WITH a AS MATERIALIZED (
  SELECT id FROM alerts WHERE started_at < now() - $1::int * interval '1 day'
    AND resolved_at < now() - $1::int * interval '1 day' ORDER BY started_at LIMIT $2::int
), w AS (
  DELETE FROM web_actions WHERE alert_id IN (SELECT id FROM a) RETURNING 1
), n AS (
  DELETE FROM notifications WHERE alert_id IN (SELECT id FROM a) RETURNING 1
), x AS (
  -- Their notifications go in the same statement: the foreign key is checked at its end.
  DELETE FROM alerts WHERE id IN (SELECT id FROM a) RETURNING 1
) SELECT count(*) FROM x
