-- Whether the clock passed, since the coupon rules last ran, a moment a coupon or a coupon quota
-- names (1, else 0): a stage's number of days before its expiry, or the expiry itself. One range
-- of the expiry index per stage.
WITH g AS MATERIALIZED (SELECT evaluated_at AS last FROM rule_gates WHERE rule = $1::text),
d AS MATERIALIZED (
  SELECT g.last + x * interval '1 day' AS lo, $2::timestamptz + x * interval '1 day' AS hi
  FROM g CROSS JOIN unnest(rule_stages(($3::text)::jsonb->'coupon_stages') || 0) AS x
)
SELECT (EXISTS (SELECT 1 FROM d CROSS JOIN LATERAL (SELECT 1 FROM coupons c
      WHERE c.usable_until IS NULL AND c.expire_time > d.lo AND c.expire_time <= d.hi LIMIT 1) AS c)
  OR EXISTS (SELECT 1 FROM d CROSS JOIN LATERAL (SELECT 1 FROM coupon_quotas q
      WHERE q.gone_at IS NULL AND q.expire_time > d.lo AND q.expire_time <= d.hi LIMIT 1) AS q))::int
