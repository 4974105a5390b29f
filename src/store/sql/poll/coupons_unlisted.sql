-- After a complete listing by run $1: usable coupons it did not list are usable no more (used up,
-- expired or reclaimed), and quotas it did not list are gone.
WITH c AS (
  UPDATE coupons SET usable_until = now(), updated_at = now()
  WHERE usable_until IS NULL AND last_seen_run IS DISTINCT FROM $1 RETURNING 1
), q AS (
  UPDATE coupon_quotas SET gone_at = now(), updated_at = now()
  WHERE gone_at IS NULL AND last_seen_run IS DISTINCT FROM $1 RETURNING 1
) SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM q)
