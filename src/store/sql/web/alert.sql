-- An alert's page: its facts, its customer's balance and its resource as the poller last read
-- them, everything told about it and to whom, what readers did, and the silence it is under.
-- $2: the time zone, $3: now.
SELECT json_build_object('id', a.id, 'kind', a.kind, 'severity', a.severity, 'state', a.state,
  'stage', a.stage, 'customer_id', a.customer_id, 'resource_id', a.resource_id, 'facts', a.facts,
  'started', rule_local_time(a.started_at, $2), 'resolved', rule_local_time(a.resolved_at, $2),
  'resolution', a.resolution, 'acked', rule_local_time(a.acked_at, $2), 'acked_by', a.acked_by,
  'ack_note', a.ack_note, 'expire', rule_local_time(a.expire_time, $2),
  'days_left', rule_days_left(a.expire_time, $3::timestamptz),
  'customer', (SELECT json_build_object('name', COALESCE(cu.customer_name, cu.account_name,
      cu.customer_id), 'account_name', cu.account_name, 'amount', cu.balance_amount::text,
      'debt', cu.debt_amount::text, 'currency', cu.balance_currency,
      'at', rule_local_time(cu.balance_at, $2))
    FROM customers cu WHERE cu.customer_id = a.customer_id),
  'resource', (SELECT json_build_object('name', r.resource_name, 'region', r.region_code,
      'service', COALESCE(r.service_type_name, r.service_type_code),
      'service_code', r.service_type_code, 'expire', rule_local_time(r.expire_time, $2),
      'status', r.status, 'auto_renew', r.expire_policy = 3, 'gone', r.gone_at IS NOT NULL)
    FROM resources r WHERE r.customer_id = a.customer_id AND r.resource_id = a.resource_id),
  'told', COALESCE((SELECT json_agg(json_build_object('event', n.event, 'stage', n.stage,
      'severity', n.severity, 'at', rule_local_time(n.created_at, $2), 'suppressed', n.suppressed,
      'deliveries', COALESCE((SELECT json_agg(json_build_object('destination', d.destination,
          'state', d.state, 'delivered', rule_local_time(d.delivered_at, $2)) ORDER BY d.id)
        FROM deliveries d WHERE d.notification_ids @> ARRAY[n.id]), '[]')) ORDER BY n.id)
    FROM notifications n WHERE n.alert_id = a.id), '[]'),
  'actions', COALESCE((SELECT json_agg(json_build_object('action', w.action,
      'at', rule_local_time(w.at, $2), 'name', w.name, 'note', w.note,
      'destination', w.destination, 'address', w.address, 'user_agent', w.user_agent,
      'until', rule_local_time(w.until, $2)) ORDER BY w.id)
    FROM web_actions w WHERE w.alert_id = a.id), '[]'),
  'silenced_until', (SELECT rule_local_time(max(s.ends_at), $2) FROM silences s
    WHERE s.ended_at IS NULL AND s.starts_at <= $3::timestamptz AND s.ends_at > $3::timestamptz
      AND (s.customer_id IS NULL OR s.customer_id = a.customer_id)
      AND (s.resource_id IS NULL OR s.resource_id = a.resource_id)
      AND (s.kind IS NULL OR s.kind = a.kind)))
  FROM alerts a WHERE a.id = $1::bigint
