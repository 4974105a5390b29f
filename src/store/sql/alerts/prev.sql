-- Whether the ladder may read only what changed: the previous run used the same settings, its
-- clock is not ahead of this one, and not so far behind that the crossings would cover most
-- resources anyway. Also the highest change this run sees (writers are locked out). The hash
-- leaves out the settings of hcwatch's own alerts: they move no resource's stage.
SELECT to_char(r.evaluated_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  r.resource_seq, COALESCE(r.settings_hash = md5(($2::jsonb - 'self')::text)
    AND r.resource_seq IS NOT NULL
    AND r.evaluated_for <= $1::timestamptz
    AND r.evaluated_for > $1::timestamptz - interval '7 days', false),
  (SELECT COALESCE(max(changed_seq), 0) FROM resources), md5(($2::jsonb - 'self')::text),
  (SELECT COALESCE(max(id), 0) FROM notifications)
    FROM (SELECT 1) AS one LEFT JOIN LATERAL (
  SELECT evaluated_for, resource_seq, settings_hash FROM alert_runs ORDER BY id DESC LIMIT 1) AS r ON true
