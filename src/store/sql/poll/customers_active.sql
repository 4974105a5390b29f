SELECT customer_id FROM customers
    WHERE last_seen_at IS NOT NULL AND gone_at IS NULL AND customer_id IS NOT NULL
   AND (NOT $1::boolean OR association_type = '2') ORDER BY customer_id
