-- `hcwatch customers`: customers still associated, those with open alerts first; text values.
SELECT COALESCE(json_agg(x ORDER BY x.n DESC, x.customer_id), '[]') FROM (
  SELECT cu.customer_id, cu.account_name, COALESCE(cu.customer_name, cu.account_name) AS name,
    cm.manager, COALESCE(cm.source, 'default') AS source, cu.huawei_manager,
    cu.balance_amount::text AS balance, o.n, o.n::text AS open
  FROM customers cu LEFT JOIN customer_managers cm ON cm.customer_id = cu.customer_id
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM alerts a
    WHERE a.customer_id = cu.customer_id AND a.resolved_at IS NULL) AS o
  WHERE cu.customer_id IS NOT NULL AND cu.gone_at IS NULL
  ORDER BY o.n DESC, cu.customer_id LIMIT $1) AS x
