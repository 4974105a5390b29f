-- A delivery's page: the delivery, and each of its items, in the message's order, with its
-- alert's state now. Only for the destination the link was made for. $3: the time zone.
SELECT json_build_object('id', d.id, 'destination', d.destination, 'channel', d.channel,
  'state', d.state, 'created', rule_local_time(d.created_at, $3),
  'delivered', rule_local_time(d.delivered_at, $3),
  'items', COALESCE((SELECT json_agg(e.item::jsonb || jsonb_build_object('state', a.state,
      'acked_by', a.acked_by, 'alert_stage', a.stage) ORDER BY e.n)
    FROM delivery_items(d.notification_ids) AS di,
      json_array_elements(di.items) WITH ORDINALITY AS e(item, n)
    JOIN alerts a ON a.id = (e.item->>'alert_id')::bigint), '[]'))
  FROM deliveries d WHERE d.id = $1::bigint AND d.destination = $2
