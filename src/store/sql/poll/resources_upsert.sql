WITH inp AS (
  SELECT DISTINCT ON (x->>'resource_id') $2::text AS customer_id,
    x->>'resource_id' AS resource_id, NULLIF(x->>'id', '') AS instance_id,
    x->>'resource_name' AS resource_name, x->>'region_code' AS region_code,
    x->>'service_type_code' AS service_type_code,
    x->>'service_type_name' AS service_type_name,
    x->>'resource_type_code' AS resource_type_code,
    x->>'resource_type_name' AS resource_type_name,
    x->>'resource_spec_code' AS resource_spec_code, x->>'project_id' AS project_id,
    x->>'product_id' AS product_id,
    NULLIF(x->>'parent_resource_id', '') AS parent_resource_id,
    NULLIF(x->>'is_main_resource', '')::smallint = 1 AS is_main_resource,
    NULLIF(x->>'status', '')::smallint AS status,
    NULLIF(x->>'effective_time', '')::timestamptz AS effective_time,
    NULLIF(x->>'expire_time', '')::timestamptz AS expire_time,
    NULLIF(x->>'expire_policy', '')::smallint AS expire_policy,
    x->>'product_spec_desc' AS product_spec_desc,
    x->'enterprise_project'->>'id' AS enterprise_project_id,
    x->'enterprise_project'->>'name' AS enterprise_project_name,
    NULLIF(x->>'update_time', '')::timestamptz AS update_time,
    x AS info
  FROM jsonb_array_elements($1::jsonb -> 'data') AS x
  WHERE NULLIF(x->>'resource_id', '') IS NOT NULL
), old AS (
  SELECT r.resource_id, r.expire_time, r.status, r.expire_policy, r.gone_at
  FROM resources r JOIN inp USING (customer_id, resource_id)
), up AS (
  INSERT INTO resources AS r (customer_id, resource_id, instance_id, resource_name,
    region_code, service_type_code, service_type_name, resource_type_code,
    resource_type_name, resource_spec_code, project_id, product_id, parent_resource_id,
    is_main_resource, status, effective_time, expire_time, expire_policy,
    product_spec_desc, enterprise_project_id, enterprise_project_name, update_time, info,
    last_seen_run)
  SELECT customer_id, resource_id, instance_id, resource_name, region_code,
    service_type_code, service_type_name, resource_type_code, resource_type_name,
    resource_spec_code, project_id, product_id, parent_resource_id, is_main_resource,
    status, effective_time, expire_time, expire_policy, product_spec_desc,
    enterprise_project_id, enterprise_project_name, update_time, info, $3
  FROM inp
  ON CONFLICT (customer_id, resource_id) DO UPDATE SET
    instance_id = EXCLUDED.instance_id, resource_name = EXCLUDED.resource_name,
    region_code = EXCLUDED.region_code, service_type_code = EXCLUDED.service_type_code,
    service_type_name = EXCLUDED.service_type_name,
    resource_type_code = EXCLUDED.resource_type_code,
    resource_type_name = EXCLUDED.resource_type_name,
    resource_spec_code = EXCLUDED.resource_spec_code, project_id = EXCLUDED.project_id,
    product_id = EXCLUDED.product_id, parent_resource_id = EXCLUDED.parent_resource_id,
    is_main_resource = EXCLUDED.is_main_resource, status = EXCLUDED.status,
    effective_time = EXCLUDED.effective_time, expire_time = EXCLUDED.expire_time,
    expire_policy = EXCLUDED.expire_policy,
    product_spec_desc = EXCLUDED.product_spec_desc,
    enterprise_project_id = EXCLUDED.enterprise_project_id,
    enterprise_project_name = EXCLUDED.enterprise_project_name,
    update_time = EXCLUDED.update_time, info = EXCLUDED.info,
    last_seen_at = now(), last_seen_run = $3, gone_at = NULL
  RETURNING 1
), ev AS (
  INSERT INTO resource_events (customer_id, resource_id, kind, old_value, new_value,
    run_id)
  SELECT i.customer_id, i.resource_id, e.kind, e.old_value, e.new_value, $3
  FROM inp i LEFT JOIN old o USING (resource_id)
  CROSS JOIN LATERAL (VALUES
    (CASE WHEN o.resource_id IS NULL THEN 'appeared'
          WHEN o.gone_at IS NOT NULL THEN 'returned' END,
     NULL::text, to_char((i.expire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    (CASE WHEN o.resource_id IS NOT NULL AND o.expire_time IS DISTINCT FROM i.expire_time
          THEN 'expiry_changed' END,
     to_char((o.expire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char((i.expire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    (CASE WHEN o.resource_id IS NOT NULL AND o.status IS DISTINCT FROM i.status
          THEN 'status_changed' END, o.status::text, i.status::text),
    (CASE WHEN o.resource_id IS NOT NULL AND o.expire_policy IS DISTINCT FROM i.expire_policy
          THEN 'policy_changed' END, o.expire_policy::text, i.expire_policy::text)
  ) AS e(kind, old_value, new_value)
  WHERE e.kind IS NOT NULL
  RETURNING 1)SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ev)
