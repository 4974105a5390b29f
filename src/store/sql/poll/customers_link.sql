-- A customer whose binding notification arrived without a domainId has a row without customer_id:
-- give it the ID the listing shows, matched by the partner's own xaccount_id or by account name.
UPDATE customers c SET customer_id = m.customer_id, updated_at = now()
    FROM (SELECT DISTINCT ON (i.customer_id) c2.id, i.customer_id
   FROM (SELECT x->>'customer_id' AS customer_id,
           NULLIF(x->>'xaccount_id', '') AS xaccount_id,
           NULLIF(x->>'account_name', '') AS account_name
         FROM jsonb_array_elements($1::jsonb -> 'customer_infos') AS x) AS i
   JOIN customers c2 ON c2.customer_id IS NULL
     AND (c2.xaccount_id = i.xaccount_id OR c2.account_name = i.account_name)
   WHERE NULLIF(i.customer_id, '') IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM customers d WHERE d.customer_id = i.customer_id)
   ORDER BY i.customer_id, c2.id) AS m WHERE c.id = m.id
