-- Whether the customer and the resource a silence names exist; if the customer does not, the ids
-- of customers with that account or company name (a name given for an id).
SELECT ($1 = '' OR EXISTS (SELECT 1 FROM customers WHERE customer_id = $1))::text,
  COALESCE((SELECT string_agg(customer_id, ', ' ORDER BY customer_id) FROM (
    SELECT customer_id FROM customers WHERE $1 <> '' AND customer_id IS NOT NULL
      AND (account_name = $1 OR customer_name = $1) LIMIT 5) x), ''),
  ($2 = '' OR EXISTS (SELECT 1 FROM resources WHERE resource_id = $2))::text
