-- A silence, and at once the state of the open alerts it covers (the evaluation would set it only
-- at its next run); counts them.
WITH ins AS (
  INSERT INTO silences (customer_id, resource_id, kind, starts_at, ends_at, created_by,
    comment)
  VALUES (NULLIF($1, ''), NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, NULLIF($7, ''))
  RETURNING id
), covered AS (
  SELECT a.id, a.state FROM alerts a
  WHERE a.resolved_at IS NULL AND ($1 = '' OR a.customer_id = $1)
    AND ($2 = '' OR a.resource_id = $2) AND ($3 = '' OR a.kind = $3)
), quiet AS (
  UPDATE alerts a SET state = 'silenced' FROM covered c
  WHERE a.id = c.id AND c.state <> 'silenced'
  RETURNING 1) SELECT (SELECT id FROM ins), (SELECT count(*) FROM covered),
  (SELECT count(*) FROM quiet)
