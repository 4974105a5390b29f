-- Silenced from a page: a silence of the alert's customer, resource and kind, for a day, a week,
-- or until its next stage (an expiry alert only: the next stage of the customer's stages, else of
-- $8, the default ones; the expiry itself after the last), its state, and the audit row.
WITH al AS (
  SELECT a.*, rule_days_left(a.expire_time, $9::timestamptz) AS days_left,
    COALESCE(cs.expiry_stages, rule_stages($8::jsonb)) AS stages
  FROM alerts a LEFT JOIN customer_settings cs ON cs.customer_id = a.customer_id
  WHERE a.id = $1::bigint AND a.resolved_at IS NULL
), e AS (
  SELECT al.id, CASE $7
    WHEN '1d' THEN $9::timestamptz + interval '1 day'
    WHEN '7d' THEN $9::timestamptz + interval '7 days'
    WHEN 'stage' THEN CASE WHEN al.kind = 'expiry' AND al.expire_time > $9::timestamptz THEN
      al.expire_time - interval '1 day' * COALESCE((SELECT max(s) FROM unnest(al.stages) AS s
        WHERE s < al.days_left), 0) END END AS until
  FROM al
), ins AS (
  INSERT INTO silences (customer_id, resource_id, kind, starts_at, ends_at, created_by, comment)
  SELECT al.customer_id, al.resource_id, al.kind, $9::timestamptz, e.until, $2, NULLIF($3, '')
  FROM al JOIN e ON e.id = al.id WHERE e.until > $9::timestamptz
  RETURNING id, ends_at
), q AS (
  UPDATE alerts a SET state = 'silenced' FROM al
  WHERE a.id = al.id AND EXISTS (SELECT 1 FROM ins) RETURNING a.id)
INSERT INTO web_actions (at, alert_id, action, name, note, destination, address, user_agent,
    silence_id, until)
  SELECT $9::timestamptz, al.id, 'silence', $2, NULLIF($3, ''), $4, $5, $6, ins.id, ins.ends_at
  FROM al CROSS JOIN ins RETURNING id
