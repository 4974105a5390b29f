-- Poll and evaluation runs older than $1 days, at most $2 of each; a job's latest finished run
-- stays, whatever its age (the schedule and hcwatch's own alerts read it).
WITH p AS (
  DELETE FROM poll_runs WHERE id IN (SELECT r.id FROM poll_runs r
    WHERE r.started_at < now() - $1::int * interval '1 day'
      AND r.id <> (SELECT max(x.id) FROM poll_runs x WHERE x.job = r.job
        AND x.finished_at IS NOT NULL)
    ORDER BY r.started_at LIMIT $2::int) RETURNING 1
), e AS (
  DELETE FROM alert_runs WHERE id IN (SELECT id FROM alert_runs
    WHERE started_at < now() - $1::int * interval '1 day'
      AND id <> (SELECT max(id) FROM alert_runs) ORDER BY started_at LIMIT $2::int) RETURNING 1
) SELECT greatest((SELECT count(*) FROM p), (SELECT count(*) FROM e))
