INSERT INTO poll_runs (job, instance, interval_seconds)
    VALUES ($1, $2, NULLIF($3::int, 0)) RETURNING id
