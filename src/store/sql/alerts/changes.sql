-- The resources whose stage may have moved since the previous run: $3 and $4 are its clock and the
-- highest change it saw. Beyond the changes, a stage moves only where the days left cross a
-- stage's number (or zero): the expiry is that many days after a moment in ($3, now].
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), cfg AS MATERIALIZED (
  SELECT p.now, p.s->>'tz' AS tz,
    ARRAY(SELECT x::int FROM jsonb_array_elements_text(p.s->'stages') AS x ORDER BY 1)
      AS stages,
    greatest((p.s->>'max_days')::int, COALESCE((SELECT max(x) FROM customer_settings,
      unnest(expiry_stages) AS x), 0)) AS max_days,
    (p.s->>'expired')::boolean AS expired, (p.s->>'frozen')::boolean AS frozen,
    (p.s->>'notice')::boolean AS notice, (p.s->>'critical_days')::int AS critical_days
  FROM p
), svc AS MATERIALIZED (
  SELECT e.key AS code,
    ARRAY(SELECT x::int FROM jsonb_array_elements_text(e.value) AS x ORDER BY 1) AS stages
  FROM p CROSS JOIN jsonb_each(COALESCE(p.s->'by_service', '{}'::jsonb)) AS e
), cst AS MATERIALIZED (
  SELECT customer_id, ARRAY(SELECT x FROM unnest(expiry_stages) AS x ORDER BY 1) AS stages
  FROM customer_settings WHERE expiry_stages IS NOT NULL
), bounds AS MATERIALIZED (
  SELECT $3::timestamptz + x.d * interval '1 day' AS lo,
    cfg.now + x.d * interval '1 day' AS hi
  FROM (SELECT 0 AS d UNION SELECT unnest(stages) FROM cfg
    UNION SELECT unnest(stages) FROM svc UNION SELECT unnest(stages) FROM cst) AS x
  CROSS JOIN cfg) INSERT INTO ladder_changes
  SELECT r.id, r.customer_id, r.resource_id FROM resources r
  WHERE r.changed_seq > $4::bigint
  UNION
  SELECT r.id, r.customer_id, r.resource_id FROM bounds b
  JOIN resources r ON r.expire_time > b.lo AND r.expire_time <= b.hi
  WHERE r.gone_at IS NULL
