-- The auto-renew main resources (expire_policy 3, in use) expiring within $1 days whose renewal
-- price is unknown or older than $2 hours, a row per customer whose account name and platform
-- (the agency's name) hcwatch knows: customer, account name, agency, the resource IDs.
SELECT r.customer_id, cu.account_name, cu.xaccount_type,
    string_agg(r.resource_id, ',' ORDER BY r.resource_id)
  FROM resources r JOIN customers cu ON cu.customer_id = r.customer_id AND cu.gone_at IS NULL
  LEFT JOIN renewal_prices rp ON rp.customer_id = r.customer_id AND rp.resource_id = r.resource_id
  WHERE r.gone_at IS NULL AND r.expire_policy = 3 AND r.status = 2
    AND r.is_main_resource IS NOT FALSE AND r.expire_time > now()
    AND r.expire_time <= now() + $1::int * interval '1 day'
    AND (rp.priced_at IS NULL OR rp.priced_at < now() - $2::int * interval '1 hour')
    AND cu.account_name ~ '^[A-Za-z0-9_.@-]+$' AND cu.xaccount_type ~ '^[A-Za-z0-9_.-]+$'
    AND r.resource_id !~ '[\s,]'
  GROUP BY r.customer_id, cu.account_name, cu.xaccount_type
  ORDER BY r.customer_id
