-- hcwatch's own trouble, from what every instance records, so that any instance judges it alike,
-- and by the real clock (clock_offset drills the customer rules, not this). c has a row per
-- subject that can be judged, with fire and clear; an open alert is resolved when clear holds or
-- its subject is gone (dead letters replayed).
-- The credentials: the latest run that got an answer either way decides.
-- The schedule: the next good run of a job should end by the last good one's end + its interval +
-- as long as it took, plus grace. Never a good run: grace after the first run ended.
-- A destination: a delivery to it became a dead letter since its last success.
-- Dead letters: fires at the threshold, clears under half of it.
WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s), jobs AS (
  SELECT unnest(ARRAY['customers', 'balances', 'resources', 'partner']
    || CASE WHEN (p.s->'self'->>'coupons')::boolean THEN ARRAY['coupons'] ELSE '{}' END
    || CASE WHEN (p.s->'self'->>'consumption')::boolean THEN ARRAY['consumption'] ELSE '{}' END)
    AS job
  FROM p
), c AS (
  SELECT 'credentials_rejected/' || j.job AS fp, 'credentials_rejected' AS kind,
    'critical' AS severity, 'rejected' AS stage, r.auth_failed AS fire,
    NOT r.auth_failed AS clear,
    jsonb_build_object('scope', 'hcwatch', 'job', j.job, 'error', r.detail,
      'at_local', rule_local_time(r.finished_at, p.s->>'tz')) AS facts
  FROM jobs j CROSS JOIN p CROSS JOIN LATERAL (
    SELECT x.auth_failed, x.detail, x.finished_at FROM poll_runs x
    WHERE x.job = j.job AND x.finished_at IS NOT NULL
      AND (x.auth_failed OR x.status IN ('ok', 'partial'))
    ORDER BY x.started_at DESC LIMIT 1) AS r
  WHERE (p.s->'self'->'on'->>'credentials_rejected')::boolean
  UNION ALL
  SELECT 'poller_behind/' || j.job, 'poller_behind', 'warning', 'behind',
    now() > b.due + b.grace, now() <= b.due + b.grace,
    jsonb_build_object('scope', 'hcwatch', 'job', j.job,
      'last_ok_local', rule_local_time(b.last_ok, p.s->>'tz'),
      'due_local', rule_local_time(b.due + b.grace, p.s->>'tz'))
  FROM jobs j CROSS JOIN p
  LEFT JOIN LATERAL (
    SELECT x.started_at, x.finished_at, x.interval_seconds FROM poll_runs x
    WHERE x.job = j.job AND x.interval_seconds IS NOT NULL
      AND x.status IN ('ok', 'partial')
    ORDER BY x.started_at DESC LIMIT 1) AS g ON true
  CROSS JOIN LATERAL (SELECT g.finished_at AS last_ok,
    COALESCE(g.finished_at + g.interval_seconds * interval '1 second'
             + (g.finished_at - g.started_at),
      (SELECT min(x.finished_at) FROM poll_runs x
       WHERE x.job = j.job AND x.interval_seconds IS NOT NULL)) AS due,
    (p.s->'self'->>'poller_grace')::int * interval '1 second' AS grace) AS b
  WHERE (p.s->'self'->'on'->>'poller_behind')::boolean AND b.due IS NOT NULL
  UNION ALL
  SELECT 'channel_failing/' || d.destination, 'channel_failing', 'critical', 'failing',
    d.dead_at > COALESCE(ds.last_ok_at, '-infinity'),
    d.dead_at <= COALESCE(ds.last_ok_at, '-infinity'),
    jsonb_build_object('scope', 'hcwatch', 'destination', d.destination,
      'channel', d.channel, 'error', d.last_error, 'code', d.platform_code,
      'dead', d.n, 'at_local', rule_local_time(d.dead_at, p.s->>'tz'))
  FROM (SELECT DISTINCT ON (x.destination) x.destination, x.channel, x.last_error,
      x.platform_code, x.dead_at, count(*) OVER (PARTITION BY x.destination) AS n
    FROM deliveries x WHERE x.state = 'dead'
    ORDER BY x.destination, x.dead_at DESC NULLS LAST) AS d
  LEFT JOIN destination_state ds ON ds.destination = d.destination CROSS JOIN p
  WHERE (p.s->'self'->'on'->>'channel_failing')::boolean
  UNION ALL
  SELECT 'dead_letters', 'dead_letters', 'warning', 'piling_up', x.n >= t.thr,
    x.n * 2 < t.thr,
    jsonb_build_object('scope', 'hcwatch', 'dead', x.n, 'threshold', t.thr)
  FROM p CROSS JOIN LATERAL (SELECT (p.s->'self'->>'dead_letters')::int AS thr) AS t
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM deliveries WHERE state = 'dead') AS x
  WHERE (p.s->'self'->'on'->>'dead_letters')::boolean
), o AS (
  SELECT a.id, a.fingerprint, a.kind, a.facts FROM alerts a
  WHERE a.kind IN ('credentials_rejected', 'poller_behind', 'channel_failing',
    'dead_letters') AND a.resolved_at IS NULL
), fire AS (
  INSERT INTO alerts (fingerprint, kind, severity, stage, facts, started_at, updated_at)
  SELECT c.fp, c.kind, c.severity, c.stage, c.facts, p.now, p.now FROM c CROSS JOIN p
  WHERE c.fire AND NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = c.fp)
  RETURNING id, stage, severity, facts
), res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,
    resolution = CASE WHEN COALESCE((p.s->'self'->'on'->>o.kind)::boolean, false)
      THEN 'recovered' ELSE 'not_applicable' END
  FROM o LEFT JOIN c ON c.fp = o.fingerprint, p
  WHERE a.id = o.id AND (c.fp IS NULL OR c.clear)
  RETURNING a.id, a.resolution, COALESCE(c.facts, o.facts) AS facts
), ins AS (
  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)
  SELECT fire.id, 'firing', fire.stage, fire.severity, fire.facts, p.now FROM fire, p
  UNION ALL
  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p
  WHERE res.resolution <> 'not_applicable' AND EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = res.id
    AND n.event = 'firing' AND n.suppressed IS NULL)
  RETURNING 1)SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)
