UPDATE poll_runs SET finished_at = now(), status = $2, calls = $3, retries = $4,
    throttled = $5, items = $6, errors = $7, detail = $8, auth_failed = $9 WHERE id = $1
