-- `hcwatch customers show` and `set`: one customer by its id; when none has that id, the
-- customer whose account name it is, marked so (`by_account_name`), for the command to say so.
SELECT json_build_object('customer_id', cu.customer_id, 'account_name', cu.account_name,
    'name', cu.customer_name, 'by_account_name', cu.customer_id IS DISTINCT FROM $1,
    'gone', cu.gone_at IS NOT NULL, 'frozen', cu.frozen, 'level', cu.customer_level,
    'balance', cu.balance_amount::text, 'debt', cu.debt_amount::text,
    'currency', cu.balance_currency, 'balance_at', cu.balance_at,
    'manager', cm.manager, 'source', COALESCE(cm.source, 'default'),
    'huawei_manager', cu.huawei_manager, 'threshold', cs.low_balance_threshold::text,
    'stages', array_to_string(cs.expiry_stages, ','), 'runway_days', cs.runway_days,
    'jump_factor', cs.spend_jump_factor::text, 'jump_min', cs.spend_jump_min::text,
    'alerts', COALESCE((SELECT json_agg(json_build_object('id', a.id::text, 'kind', a.kind,
        'severity', a.severity, 'state', a.state, 'stage', a.stage) ORDER BY a.id)
      FROM alerts a WHERE a.customer_id = cu.customer_id AND a.resolved_at IS NULL), '[]'))
  FROM customers cu LEFT JOIN customer_managers cm ON cm.customer_id = cu.customer_id
  LEFT JOIN customer_settings cs ON cs.customer_id = cu.customer_id
  WHERE cu.customer_id = $1 OR (cu.account_name = $1 AND cu.customer_id IS NOT NULL)
  ORDER BY cu.customer_id = $1 DESC LIMIT 1
