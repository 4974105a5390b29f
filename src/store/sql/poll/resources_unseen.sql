SELECT resource_id FROM resources
    WHERE customer_id = $1 AND gone_at IS NULL AND last_seen_run IS DISTINCT FROM $2
   AND status IS DISTINCT FROM 3
   AND NOT COALESCE(status = 2 AND expire_time > now() + make_interval(days => $3::int),
                    false)
   AND ($4::boolean OR status = 2) ORDER BY resource_id
