-- A customer whose pages were not all read: its partial sums go, its days stay as they were.
DELETE FROM consumption_staging WHERE run_id = $1 AND customer_id = $2
