-- A customer's page: its balance, its open alerts by urgency, its resources by expiry (the
-- nearest 100), its balance at the end of each of the last 60 days, and the last 100 things
-- told about it and to whom. $2: the time zone, $3: now.
SELECT json_build_object('customer_id', cu.customer_id,
  'name', COALESCE(cu.customer_name, cu.account_name, cu.customer_id),
  'account_name', cu.account_name, 'amount', cu.balance_amount::text,
  'debt', cu.debt_amount::text, 'currency', cu.balance_currency,
  'balance_at', rule_local_time(cu.balance_at, $2), 'gone', cu.gone_at IS NOT NULL,
  'manager', cs.account_manager,
  'alerts', COALESCE((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind,
      'severity', a.severity, 'state', a.state, 'stage', a.stage, 'facts', a.facts,
      'event', 'firing') ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1
      ELSE 2 END, a.expire_time NULLS LAST, a.id)
    FROM alerts a WHERE a.customer_id = cu.customer_id AND a.resolved_at IS NULL), '[]'),
  'resources', COALESCE((SELECT json_agg(json_build_object('id', r.resource_id,
      'name', COALESCE(r.resource_name, r.resource_id), 'region', r.region_code,
      'service', COALESCE(r.service_type_name, r.service_type_code),
      'service_code', r.service_type_code, 'expire', rule_local_time(r.expire_time, $2),
      'days_left', rule_days_left(r.expire_time, $3::timestamptz),
      'auto_renew', r.expire_policy = 3, 'status', r.status) ORDER BY r.expire_time NULLS LAST)
    FROM (SELECT * FROM resources r WHERE r.customer_id = cu.customer_id AND r.gone_at IS NULL
      ORDER BY r.expire_time NULLS LAST LIMIT 100) AS r), '[]'),
  'balances', COALESCE((SELECT json_agg(json_build_object('day', to_char(b.day, 'MM-DD'),
      'amount', (b.close_amount - COALESCE(b.close_debt, 0))::text) ORDER BY b.day)
    FROM balance_days b WHERE b.customer_id = cu.customer_id AND b.close_amount IS NOT NULL
      AND b.day > ($3::timestamptz - interval '60 days')::date), '[]'),
  'told', COALESCE((SELECT json_agg(t ORDER BY t.nid DESC) FROM (
      SELECT n.id AS nid, a.id AS alert_id, a.kind, n.event, n.stage, n.severity, n.facts,
        rule_local_time(n.created_at, $2) AS at, n.suppressed,
        COALESCE((SELECT json_agg(json_build_object('destination', d.destination,
            'state', d.state, 'delivered', rule_local_time(d.delivered_at, $2)) ORDER BY d.id)
          FROM deliveries d WHERE d.notification_ids @> ARRAY[n.id]), '[]') AS deliveries
      FROM alerts a JOIN notifications n ON n.alert_id = a.id
      WHERE a.customer_id = cu.customer_id ORDER BY n.id DESC LIMIT 100) AS t), '[]'))
  FROM customers cu LEFT JOIN customer_settings cs ON cs.customer_id = cu.customer_id
  WHERE cu.customer_id = $1
