WITH inp AS (
  SELECT DISTINCT ON (x->>'customer_id') x->>'customer_id' AS customer_id,
    NULLIF(x->>'account_name', '') AS account_name,
    NULLIF(x->>'customer', '') AS customer_name,
    NULLIF(x->>'label', '') AS label,
    NULLIF(x->>'association_type', '') AS association_type,
    NULLIF(x->>'associated_on', '')::timestamptz AS associated_on,
    COALESCE(NULLIF(x->>'is_frozen', '')::smallint, 0) AS frozen,
    NULLIF(x->>'customer_level', '') AS customer_level,
    NULLIF(x->>'xaccount_id', '') AS xaccount_id,
    NULLIF(x->>'xaccount_type', '') AS xaccount_type,
    NULLIF(x->'account_managers'->0->>'account_name', '') AS huawei_manager,
    x AS info
  FROM jsonb_array_elements($1::jsonb -> 'customer_infos') AS x
  WHERE NULLIF(x->>'customer_id', '') IS NOT NULL
), old AS (
  SELECT c.customer_id, c.association_type, c.frozen, c.gone_at, c.last_seen_at,
    c.first_bound_at
  FROM customers c JOIN inp USING (customer_id)
), up AS (
  INSERT INTO customers AS c (customer_id, account_name, customer_name, label,
    association_type, associated_on, frozen, customer_level, xaccount_id, xaccount_type,
    huawei_manager, info, first_seen_at, last_seen_at, last_seen_run)
  SELECT customer_id, account_name, customer_name, label, association_type, associated_on,
    frozen, customer_level, xaccount_id, xaccount_type, huawei_manager, info, now(), now(), $2
  FROM inp
  ON CONFLICT (customer_id) DO UPDATE SET
    account_name = COALESCE(EXCLUDED.account_name, c.account_name),
    customer_name = EXCLUDED.customer_name, label = EXCLUDED.label,
    association_type = EXCLUDED.association_type,
    associated_on = EXCLUDED.associated_on, frozen = EXCLUDED.frozen,
    customer_level = EXCLUDED.customer_level,
    xaccount_id = COALESCE(EXCLUDED.xaccount_id, c.xaccount_id),
    xaccount_type = EXCLUDED.xaccount_type, huawei_manager = EXCLUDED.huawei_manager,
    info = EXCLUDED.info,
    first_seen_at = COALESCE(c.first_seen_at, now()), last_seen_at = now(),
    last_seen_run = $2, gone_at = NULL, updated_at = now()
  RETURNING 1
), ev AS (
  INSERT INTO customer_events (customer_id, kind, old_value, new_value, detail, run_id)
  SELECT i.customer_id, e.kind, e.old_value, e.new_value, e.detail, $2
  FROM inp i LEFT JOIN old o USING (customer_id)
  CROSS JOIN LATERAL (VALUES
    (CASE WHEN o.last_seen_at IS NULL THEN 'associated'
          WHEN o.gone_at IS NOT NULL THEN 'reassociated' END,
     NULL::text, i.association_type,
     jsonb_build_object('callback_seen', o.first_bound_at IS NOT NULL,
                        'associated_on', i.associated_on)),
    (CASE WHEN o.last_seen_at IS NOT NULL
           AND o.association_type IS DISTINCT FROM i.association_type
          THEN 'association_changed' END, o.association_type, i.association_type, NULL),
    (CASE WHEN o.last_seen_at IS NOT NULL AND COALESCE(o.frozen, 0) = 0 AND i.frozen <> 0
          THEN 'frozen'
          WHEN o.last_seen_at IS NOT NULL AND COALESCE(o.frozen, 0) <> 0 AND i.frozen = 0
          THEN 'unfrozen' END, o.frozen::text, i.frozen::text, NULL)
  ) AS e(kind, old_value, new_value, detail)
  WHERE e.kind IS NOT NULL
  RETURNING 1)SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ev)
