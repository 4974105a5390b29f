-- 0018: a delivered message costs PostgreSQL less.
--
-- delivery_items() was a scalar SQL function. PostgreSQL cannot inline such a
-- function when its body has a FROM clause, so it parsed and planned the body
-- at every call: a claim of sixteen deliveries planned it sixteen times. A
-- set-returning SQL function whose body is one SELECT is inlined into the
-- statement that calls it in its FROM clause, and planned with it once. Same
-- items, same order, one row.
DROP FUNCTION delivery_items(bigint[]);
CREATE FUNCTION delivery_items(ids bigint[]) RETURNS TABLE (items json)
    LANGUAGE sql STABLE ROWS 1 AS $$
SELECT COALESCE(json_agg(x.j ORDER BY x.gr, x.gdl NULLS LAST, x.g, x.r, x.dl NULLS LAST, x.id),
    '[]') FROM (
    SELECT y.*, first_value(y.r) OVER w AS gr, first_value(y.dl) OVER w AS gdl FROM (
      SELECT n.id, json_build_object('kind', a.kind, 'event', n.event, 'stage', n.stage,
          'severity', n.severity, 'facts', n.facts, 'alert_id', a.id) AS j,
        CASE WHEN n.event = 'resolved' THEN 3 WHEN n.severity = 'critical' THEN 0
          WHEN n.severity = 'warning' THEN 1 ELSE 2 END AS r,
        (n.facts->>'days_left')::int AS dl,
        CASE WHEN n.facts->>'scope' = 'hcwatch' THEN E'\x02'
          ELSE COALESCE(a.customer_id, '') END AS g
      FROM unnest(ids) AS i(id)
      JOIN notifications n ON n.id = i.id JOIN alerts a ON a.id = n.alert_id) AS y
    WINDOW w AS (PARTITION BY y.g ORDER BY y.r, y.dl NULLS LAST, y.id)) AS x
$$;
