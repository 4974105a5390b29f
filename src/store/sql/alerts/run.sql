INSERT INTO alert_runs (instance, evaluated_for, started_at, seconds, fired, resolved,
  notices, deliveries, settings_hash, resource_seq, full_pass)
    VALUES ($1, $2, clock_timestamp() - $3::double precision * interval '1 second', $3, $4,
  $5, $6, $7, $8, $9, $10)
