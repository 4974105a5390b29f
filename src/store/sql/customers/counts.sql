-- How many associated customers each manager receives under the configuration being checked:
-- $1 is its {"huawei login": "manager"} (not manager_accounts, which the running service wrote),
-- a customer_settings row first, else its Huawei manager's section; a NULL manager is the
-- default route.
WITH m AS (SELECT key AS login, value AS manager FROM jsonb_each_text($1::jsonb))
SELECT COALESCE(json_agg(json_build_object('manager', x.manager, 'customers', x.n)
    ORDER BY x.manager NULLS LAST), '[]') FROM (
  SELECT COALESCE(cs.account_manager, m.manager) AS manager, count(*) AS n
  FROM customers cu LEFT JOIN customer_settings cs ON cs.customer_id = cu.customer_id
  LEFT JOIN m ON m.login = cu.huawei_manager
  WHERE cu.customer_id IS NOT NULL AND cu.gone_at IS NULL GROUP BY 1) AS x
