-- The expiry ladder. $3 true: a pass over every resource near its expiry (the first run, or after
-- the settings changed); false: over those candidates.sql put in ladder_changes, whose stage may
-- have moved, looked up one by one (the planner would rather read both tables whole). PostgreSQL
-- plans each execution for its $3, so the other half costs nothing.
--
-- A resource's stage is the nearest stage it has passed (the smallest number of days not below
-- the days left), or expired, or frozen; its stages come from customer_settings, else its service
-- type, else the default. Auto-renew resources (expire_policy 3) have one 'notice' stage until the
-- last one. An alert whose stage changed gets a notification, and the unique key (alert, event,
-- stage) makes each stage fire once. An open alert ends when its resource's expiry moves (a
-- renewal when later), or the resource is gone or closed; those whose firing was sent get a
-- resolution notice (an auto-renew notice alone does not). Only alerts whose resource is not in
-- the pass at the same expiry can end, so only those look their resource up.
--
-- Past its expiry a resource's data is deleted at a date its customer's level sets (grace, then
-- retention: rule_delete_at); the deletion stages before it ('delete_3d') follow expired and
-- frozen, and a resource that leaves Huawei's list on or after that date was released, not merely
-- gone. Only resources past expiry look their customer's level up.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), cfg AS MATERIALIZED (
  SELECT l.* FROM p CROSS JOIN LATERAL rule_ladder_settings(p.s, p.now) AS l
), svc AS MATERIALIZED (
  SELECT b.* FROM p CROSS JOIN LATERAL rule_ladder_by_service(p.s) AS b
), cst AS MATERIALIZED (
  SELECT * FROM rule_customer_stages
), r AS (
  SELECT r.id AS rid, r.customer_id, r.resource_id, r.status, r.expire_time,
    r.resource_name, r.service_type_code, r.service_type_name, r.resource_type_name,
    r.region_code, r.expire_policy,
    rule_days_left(r.expire_time, cfg.now) AS days_left,
    COALESCE(cst.stages, svc.stages, cfg.stages) AS stages,
    CASE WHEN r.status IN (4, 5) OR r.expire_time <= cfg.now THEN COALESCE((SELECT
      cu.customer_level FROM customers cu WHERE cu.customer_id = r.customer_id), '') END AS level
  FROM (SELECT r.* FROM resources r WHERE $3::boolean
        UNION ALL
        SELECT r.* FROM ladder_changes k CROSS JOIN LATERAL
          (SELECT * FROM resources r WHERE r.id = k.id OFFSET 0) AS r
        WHERE NOT $3::boolean) AS r
  CROSS JOIN cfg
  LEFT JOIN cst ON cst.customer_id = r.customer_id
  LEFT JOIN svc ON svc.code = r.service_type_code
  WHERE r.gone_at IS NULL AND r.expire_time IS NOT NULL AND r.status IN (2, 4, 5)
    AND (r.expire_time <= cfg.now + cfg.max_days * interval '1 day' OR r.status IN (4, 5))
), d AS (
  SELECT r.*, CASE WHEN r.level IS NOT NULL
    THEN rule_delete_at(r.expire_time, r.level, p.s) END AS delete_at
  FROM r CROSS JOIN p
), c AS (
  SELECT d.rid, d.customer_id, d.resource_id, d.expire_time, d.expire_policy, d.days_left,
    d.resource_name, d.service_type_code, d.service_type_name, d.resource_type_name,
    d.region_code, d.status, d.level, d.delete_at, rule_deletion_stage(
      rule_ladder_stage(d.status, d.expire_time, d.expire_policy, d.days_left, d.stages, cfg.now,
        cfg.frozen, cfg.expired, cfg.notice),
      rule_days_left(d.delete_at, cfg.now), rule_stages(p.s->'deletion_stages'),
      rule_level_days(p.s, 'grace', d.level) + rule_level_days(p.s, 'retention', d.level))
      AS stage
  FROM d CROSS JOIN cfg CROSS JOIN p
), o AS (
  SELECT a.id, a.customer_id, a.resource_id, a.expire_time, a.stage FROM alerts a
  WHERE $3::boolean AND a.kind = 'expiry' AND a.resolved_at IS NULL
  UNION ALL
  SELECT a.id, a.customer_id, a.resource_id, a.expire_time, a.stage
  FROM ladder_changes k CROSS JOIN LATERAL (SELECT * FROM alerts a
    WHERE a.customer_id = k.customer_id AND a.resource_id = k.resource_id
      AND a.kind = 'expiry' AND a.resolved_at IS NULL OFFSET 0) AS a
  WHERE NOT $3::boolean
), j AS MATERIALIZED (
  SELECT c.rid, c.customer_id, c.resource_id, c.expire_time, c.expire_policy, c.days_left,
    c.resource_name, c.service_type_code, c.service_type_name, c.resource_type_name,
    c.region_code, c.stage, c.status, c.level, c.delete_at, o.id AS alert_id, o.customer_id AS o_customer, o.resource_id AS o_resource,
    o.expire_time AS o_expire, o.stage AS o_stage,
    o.expire_time IS NOT DISTINCT FROM c.expire_time AS same
  FROM c FULL JOIN o ON o.customer_id = c.customer_id AND o.resource_id = c.resource_id
  WHERE (o.id IS NULL AND c.stage IS NOT NULL)
    OR o.expire_time IS DISTINCT FROM c.expire_time OR o.stage IS DISTINCT FROM c.stage
), x0 AS (
  SELECT j.alert_id, rr.expire_time AS new_expire, rr.gone_at,
    rr.id IS NULL OR rr.gone_at IS NOT NULL AS gone,
    CASE WHEN rr.id IS NULL OR rr.gone_at IS NOT NULL THEN rule_delete_at(j.o_expire,
      COALESCE((SELECT cu.customer_level FROM customers cu WHERE cu.customer_id = j.o_customer),
        ''), p.s) END AS delete_at,
    CASE WHEN rr.expire_time > j.o_expire THEN 'renewed'
         WHEN rr.expire_time IS DISTINCT FROM j.o_expire THEN 'expiry_changed'
         WHEN rr.status = 3 THEN 'closed' END AS moved
  FROM j CROSS JOIN p LEFT JOIN resources rr
    ON rr.customer_id = j.o_customer AND rr.resource_id = j.o_resource
  WHERE j.alert_id IS NOT NULL AND NOT j.same
), x AS (
  -- Released: it left the list on or after the day its data was to be deleted.
  SELECT x0.alert_id, x0.new_expire, x0.delete_at, CASE
    WHEN x0.gone AND (p.s->>'released')::boolean
      AND (COALESCE(x0.gone_at, p.now) AT TIME ZONE (p.s->>'tz'))::date
        >= (x0.delete_at AT TIME ZONE (p.s->>'tz'))::date THEN 'released'
    WHEN x0.gone THEN 'gone' ELSE x0.moved END AS resolution
  FROM x0 CROSS JOIN p
), done AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = x.resolution
  FROM x, p WHERE a.id = x.alert_id AND x.resolution IS NOT NULL
    AND a.id = ANY (ARRAY(SELECT alert_id FROM x WHERE resolution IS NOT NULL))
  RETURNING a.id, x.resolution, a.facts, x.new_expire, x.delete_at
), ch AS MATERIALIZED (
  SELECT j.customer_id, j.resource_id, j.expire_time, j.stage,
    CASE WHEN j.same THEN j.alert_id END AS alert_id,
    CASE WHEN j.stage = 'notice' THEN 'info'
         WHEN j.stage IN ('expired', 'frozen') OR j.stage LIKE 'delete\_%'
           OR j.days_left <= cfg.critical_days THEN 'critical' ELSE 'warning' END AS severity,
    jsonb_build_object('customer_id', j.customer_id,
      'customer', COALESCE(cu.customer_name, cu.account_name, j.customer_id),
      'account_name', cu.account_name, 'resource_id', j.resource_id,
      'resource', COALESCE(j.resource_name, j.resource_id),
      'service', COALESCE(j.service_type_name, j.service_type_code),
      'service_code', j.service_type_code,
      'resource_type', j.resource_type_name, 'region', j.region_code,
      'expire_time', to_char((j.expire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'expire_local', rule_local_time(j.expire_time, cfg.tz),
      'days_left', j.days_left, 'auto_renew', j.expire_policy = 3,
      'stage', j.stage, 'manager', cm.manager) || CASE WHEN j.delete_at IS NULL
        THEN '{}'::jsonb ELSE jsonb_build_object('level', NULLIF(j.level, ''),
      'freeze_local', rule_local_time(rule_freeze_at(j.expire_time, j.level, p.s), cfg.tz),
      'delete_time', to_char(j.delete_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'delete_local', rule_local_time(j.delete_at, cfg.tz),
      'days_to_delete', greatest(rule_days_left(j.delete_at, cfg.now), 0),
      'deletion', j.stage LIKE 'delete\_%', 'frozen_now', j.status = 4,
      'delete_due', j.delete_at <= cfg.now) END AS facts
  FROM j CROSS JOIN cfg CROSS JOIN p
  LEFT JOIN customers cu ON cu.customer_id = j.customer_id
  LEFT JOIN customer_managers cm ON cm.customer_id = j.customer_id
  WHERE j.stage IS NOT NULL AND (NOT j.same OR j.alert_id IS NULL
    OR j.o_stage IS DISTINCT FROM j.stage)
), upd AS (
  UPDATE alerts a SET stage = ch.stage, severity = ch.severity, updated_at = p.now
  FROM ch CROSS JOIN p WHERE ch.alert_id IS NOT NULL AND a.id = ch.alert_id
    AND a.id = ANY (ARRAY(SELECT alert_id FROM ch WHERE alert_id IS NOT NULL))
  RETURNING a.id, a.stage, a.severity, ch.facts
), new AS (
  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, resource_id,
    expire_time, stage, facts, started_at, updated_at)
  SELECT 'expiry/' || ch.customer_id || '/' || ch.resource_id || '/' ||
      to_char(ch.expire_time AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
    'expiry', ch.severity, ch.customer_id, ch.resource_id, ch.expire_time, ch.stage,
    ch.facts, p.now, p.now
  FROM ch CROSS JOIN p WHERE ch.alert_id IS NULL
  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
  RETURNING a.id, a.stage, a.severity, a.facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT d.id, 'resolved', d.resolution, 'info', d.facts || jsonb_build_object(
      'resolution', d.resolution, 'new_expire_time', to_char((d.new_expire) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'new_expire_local', rule_local_time(d.new_expire, p.s->>'tz'))
    || CASE WHEN d.resolution = 'released' THEN jsonb_build_object('delete_local',
      rule_local_time(d.delete_at, p.s->>'tz')) ELSE '{}'::jsonb END, p.now
  FROM done d, p WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = d.id
    AND n.event = 'firing' AND n.suppressed IS NULL)
  UNION ALL
  SELECT u.id, CASE WHEN u.stage = 'notice' THEN 'notice' ELSE 'firing' END, u.stage,
    u.severity, u.facts, p.now
  FROM (SELECT * FROM upd UNION ALL SELECT * FROM new) AS u CROSS JOIN p
  ON CONFLICT (alert_id, event, stage) DO NOTHING
  RETURNING 1) SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM new),
  (SELECT count(*) FROM done), (SELECT count(*) FROM ins)
