SELECT COALESCE(extract(epoch FROM max(finished_at))::bigint, 0) FROM poll_runs
    WHERE job = $1 AND status IN ('ok', 'partial')
