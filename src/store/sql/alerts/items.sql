SELECT COALESCE(json_agg(json_build_object('kind', a.kind, 'event', n.event,
  'stage', n.stage, 'severity', n.severity, 'facts', n.facts) ORDER BY n.id), '[]')
    FROM alerts a JOIN notifications n ON n.alert_id = a.id
    WHERE a.id::text = $1 OR a.fingerprint = $1
