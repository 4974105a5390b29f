-- Deliveries delivered or dead more than $1 days ago, at most $2, once none of the notifications
-- they carried remains (those went with their alerts): an open alert's page still shows where
-- each of its stages went. Nothing pending or being sent is touched.
DELETE FROM deliveries WHERE id IN (SELECT d.id FROM deliveries d
  WHERE d.created_at < now() - $1::int * interval '1 day' AND d.state IN ('delivered', 'dead')
    AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.id = ANY (d.notification_ids))
    AND NOT EXISTS (SELECT 1 FROM deliveries f WHERE f.fallback_of = d.id)
  ORDER BY d.created_at LIMIT $2::int)
