-- Whether a gated rule must run (1, else 0), and the sum of its inputs' counts now ($4: the
-- tables it reads). It must when it has not run yet, when a table it reads changed, when the
-- settings changed, when the clock went back, and when an hour passed in any zone its days are
-- counted in: a billing day, a stage's day before a renewal charge at 03:00, a runway window all
-- begin on the hour there. What its rows name to the second (a coupon's expiry) its own gate
-- statement checks.
WITH p AS (SELECT $2::timestamptz AS now, ($3::text)::jsonb AS s), v AS (
  SELECT COALESCE(sum(version), 0)::bigint AS version FROM rule_inputs
  WHERE tab IN (SELECT jsonb_array_elements_text(($4::text)::jsonb))
)
SELECT (g.rule IS NULL OR g.version <> v.version OR g.settings <> md5($3::text)
    OR p.now < g.evaluated_at
    OR EXISTS (SELECT 1 FROM unnest(ARRAY[p.s->>'tz', p.s->>'billing_tz', 'UTC']) AS z(tz)
      WHERE date_trunc('hour', p.now AT TIME ZONE z.tz)
        <> date_trunc('hour', g.evaluated_at AT TIME ZONE z.tz)))::int,
  v.version
FROM p CROSS JOIN v LEFT JOIN rule_gates g ON g.rule = $1::text
