-- The resources whose stage may have moved since the previous run: $3 and $4 are its clock and the
-- highest change it saw. Beyond the changes, a stage moves only where the days left cross a
-- stage's number (or zero): the expiry is that many days after a moment in ($3, now]; and past
-- expiry where the days until deletion cross a deletion stage's.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), cfg AS MATERIALIZED (
  SELECT l.* FROM p CROSS JOIN LATERAL rule_ladder_settings(p.s, p.now) AS l
), svc AS MATERIALIZED (
  SELECT b.* FROM p CROSS JOIN LATERAL rule_ladder_by_service(p.s) AS b
), cst AS MATERIALIZED (
  SELECT * FROM rule_customer_stages
), bounds AS MATERIALIZED (
  SELECT $3::timestamptz + x.d * interval '1 day' AS lo,
    cfg.now + x.d * interval '1 day' AS hi
  FROM (SELECT 0 AS d UNION SELECT unnest(stages) FROM cfg
    UNION SELECT unnest(stages) FROM svc UNION SELECT unnest(stages) FROM cst) AS x
  CROSS JOIN cfg
  UNION ALL
  -- Past expiry, a deletion stage moves where the deletion date (grace plus retention days of
  -- some level after the expiry, in [alerts] timezone: an hour either way where that zone keeps
  -- daylight saving, i.e. its offset half a year on differs) less the stage's days is a moment
  -- in ($3, now].
  SELECT $3::timestamptz + (s.d - t.t) * interval '1 day' - dst.pad,
    cfg.now + (s.d - t.t) * interval '1 day' + dst.pad
  FROM cfg CROSS JOIN p CROSS JOIN unnest(rule_stages(p.s->'deletion_stages')) AS s(d)
  CROSS JOIN LATERAL (SELECT CASE WHEN (p.now AT TIME ZONE (p.s->>'tz')) - (p.now AT TIME ZONE 'UTC')
      = ((p.now + interval '182 days') AT TIME ZONE (p.s->>'tz'))
        - ((p.now + interval '182 days') AT TIME ZONE 'UTC')
    THEN interval '0' ELSE interval '1 hour' END AS pad) AS dst
  CROSS JOIN (SELECT DISTINCT rule_level_days(p.s, 'grace', l)
      + rule_level_days(p.s, 'retention', l) AS t
    FROM p CROSS JOIN unnest(ARRAY['V0', 'V1', 'V2', 'V3', 'V4', 'V5']) AS l) AS t
) INSERT INTO ladder_changes
  SELECT r.id, r.customer_id, r.resource_id FROM resources r
  WHERE r.changed_seq > $4::bigint
  UNION
  SELECT r.id, r.customer_id, r.resource_id FROM bounds b
  JOIN resources r ON r.expire_time > b.lo AND r.expire_time <= b.hi
  WHERE r.gone_at IS NULL
