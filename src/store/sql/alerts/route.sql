-- Routing: the customer's account manager's destinations (customer_managers: its
-- customer_settings row, else Huawei's assignment), else the default ones (the operator's
-- for the partner's own balance and for hcwatch's own trouble). One delivery per destination per
-- evaluation, holding every notification routed there (a digest), or one per notification where
-- digest is off. In quiet hours a digest waits until they end, and later notifications join the
-- waiting one. $2 is the routing, not settings; this run's notifications are those above $3 (see
-- A_PREV). Only those no destination takes are marked.
-- Not about a destination's failure to that destination. It also counts the customers told
-- about that have no [manager] and so took the default route, and names the first five.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS r), n AS MATERIALIZED (
  SELECT n.id, a.kind IN ('partner_low_balance', 'credentials_rejected', 'poller_behind',
    'channel_failing', 'dead_letters', 'coupon_quota_expiry') AS partner, cm.manager AS account_manager, a.customer_id,
    CASE WHEN a.kind = 'channel_failing' THEN a.facts->>'destination' END AS avoid
  FROM notifications n JOIN alerts a ON a.id = n.alert_id
  LEFT JOIN customer_managers cm ON cm.customer_id = a.customer_id
  WHERE n.id > $3::bigint AND n.suppressed IS NULL
), mgr AS MATERIALIZED (
  SELECT m.key AS manager, d.dest FROM p CROSS JOIN jsonb_each(p.r->'managers') AS m
  LEFT JOIN LATERAL jsonb_array_elements_text(m.value) AS d(dest) ON true
), t AS (
  SELECT n.id AS nid, mgr.dest FROM n JOIN mgr ON mgr.manager = n.account_manager
  WHERE NOT n.partner AND mgr.dest IS NOT NULL
  UNION ALL
  SELECT n.id, d.dest FROM n CROSS JOIN p
  CROSS JOIN jsonb_array_elements_text(p.r->'default') AS d(dest)
  WHERE NOT n.partner AND NOT EXISTS (SELECT 1 FROM mgr WHERE mgr.manager = n.account_manager)
  UNION ALL
  SELECT n.id, d.dest FROM n CROSS JOIN p
  CROSS JOIN jsonb_array_elements_text(COALESCE(p.r->'operator', p.r->'default')) AS d(dest)
  WHERE n.partner AND d.dest IS DISTINCT FROM n.avoid
), dd AS (
  SELECT d.name, d.channel, d.digest, CASE
    WHEN d.quiet_start IS NULL THEN p.now
    WHEN (d.quiet_start < d.quiet_end AND l.t >= d.quiet_start AND l.t < d.quiet_end)
      OR (d.quiet_start > d.quiet_end AND (l.t >= d.quiet_start OR l.t < d.quiet_end))
      THEN ((CASE WHEN l.t < d.quiet_end THEN l.d ELSE l.d + 1 END) + d.quiet_end)
           AT TIME ZONE d.tz
    ELSE p.now END AS not_before
  FROM p CROSS JOIN jsonb_to_recordset(p.r->'dests') AS d(name text, channel text,
    digest boolean, quiet_start time, quiet_end time, tz text)
  CROSS JOIN LATERAL (SELECT (p.now AT TIME ZONE d.tz)::time AS t,
    (p.now AT TIME ZONE d.tz)::date AS d) AS l
), td AS MATERIALIZED (
  SELECT t.nid, t.dest, dd.channel, dd.digest, dd.not_before FROM t JOIN dd ON dd.name = t.dest
), g AS (
  SELECT dest, channel, digest, not_before, array_agg(nid ORDER BY nid) AS nids
  FROM td GROUP BY dest, channel, digest, not_before, CASE WHEN digest THEN 0 ELSE nid END
), app AS (
  UPDATE deliveries d SET notification_ids = d.notification_ids || g.nids,
    items = d.items + cardinality(g.nids)
  FROM g WHERE g.digest AND d.id = (SELECT max(x.id) FROM deliveries x
    WHERE x.destination = g.dest AND x.state = 'pending' AND x.attempts = 0
      AND x.body IS NULL AND x.fallback_of IS NULL AND x.not_before > (SELECT now FROM p))
  RETURNING g.dest
), ins AS (
  INSERT INTO deliveries (destination, channel, notification_ids, items, created_at,
    not_before, retry_from, next_attempt_at)
  SELECT g.dest, g.channel, g.nids, cardinality(g.nids), p.now, g.not_before, g.not_before,
    g.not_before
  FROM g CROSS JOIN p WHERE NOT (g.digest AND g.dest IN (SELECT dest FROM app))
  RETURNING 1
), mark AS (
  UPDATE notifications x SET routed_at = p.now, suppressed = 'no_route'
  FROM n CROSS JOIN p
  WHERE x.id = n.id AND NOT EXISTS (SELECT 1 FROM td WHERE td.nid = n.id)
  RETURNING 1
), fb AS MATERIALIZED (
  SELECT DISTINCT n.customer_id FROM n WHERE NOT n.partner AND n.customer_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM mgr WHERE mgr.manager = n.account_manager)
) SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM app), (SELECT count(*) FROM mark),
  (SELECT count(*) FROM fb), (SELECT string_agg(regexp_replace(COALESCE(cu.account_name, f.customer_id),
    '[[:cntrl:]]', '?', 'g'), ', '
    ORDER BY f.customer_id) FROM (SELECT customer_id FROM fb ORDER BY 1 LIMIT 5) AS f
    LEFT JOIN customers cu ON cu.customer_id = f.customer_id)
