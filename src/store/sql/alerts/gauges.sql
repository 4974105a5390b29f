-- /metrics' gauges, as Prometheus text; shared by every instance, so read from here.
SELECT concat_ws(E'\n',
  '# HELP hcwatch_alerts Open alerts by kind and state.', '# TYPE hcwatch_alerts gauge',
  (SELECT string_agg(format('hcwatch_alerts{kind="%s",state="%s"} %s', kind, state, n),
     E'\n' ORDER BY kind, state)
   FROM (SELECT kind, state, count(*) AS n FROM alerts WHERE resolved_at IS NULL
         GROUP BY 1, 2) AS a),
  '# HELP hcwatch_outbox_depth Deliveries waiting to be sent, by destination.',
  '# TYPE hcwatch_outbox_depth gauge',
  (SELECT string_agg(format('hcwatch_outbox_depth{destination="%s"} %s',
     replace(destination, '"', ''), n), E'\n' ORDER BY destination)
   FROM (SELECT destination, count(*) AS n FROM deliveries
         WHERE state IN ('pending', 'sending') GROUP BY 1) AS d),
  '# HELP hcwatch_outbox_oldest_seconds Age of the oldest delivery due now.',
  '# TYPE hcwatch_outbox_oldest_seconds gauge',
  format('hcwatch_outbox_oldest_seconds %s', COALESCE((SELECT round(extract(epoch FROM
     now() - min(not_before))::numeric, 3) FROM deliveries
     WHERE state IN ('pending', 'sending') AND not_before <= now()), 0)),
  '# HELP hcwatch_dead_letters Deliveries that are dead letters, by destination.',
  '# TYPE hcwatch_dead_letters gauge',
  (SELECT string_agg(format('hcwatch_dead_letters{destination="%s"} %s',
     replace(destination, '"', ''), n), E'\n' ORDER BY destination)
   FROM (SELECT destination, count(*) AS n FROM deliveries WHERE state = 'dead'
         GROUP BY 1) AS d)) || E'\n'
