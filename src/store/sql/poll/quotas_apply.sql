-- One ListQuotaCoupons page ($1) into coupon_quotas, seen by run $2. Amounts are read from the
-- answer's own digits.
WITH inp AS (
  SELECT DISTINCT ON (x->>'quota_id') x->>'quota_id' AS quota_id,
    NULLIF(x->>'quota_type', '')::smallint AS quota_type,
    NULLIF(x->>'quota_value', '')::numeric AS quota_value,
    NULLIF(x->>'balance', '')::numeric AS balance,
    NULLIF(x->>'quota_status', '')::smallint AS quota_status,
    NULLIF(x->>'currency', '') AS currency,
    NULLIF(x->>'effective_time', '')::timestamptz AS effective_time,
    NULLIF(x->>'expire_time', '')::timestamptz AS expire_time, x AS info
  FROM jsonb_array_elements($1::jsonb -> 'quotas') AS x
  WHERE NULLIF(x->>'quota_id', '') IS NOT NULL
), up AS (
  INSERT INTO coupon_quotas AS q (quota_id, quota_type, quota_value, balance, quota_status,
    currency, effective_time, expire_time, info, last_seen_run)
  SELECT quota_id, quota_type, quota_value, balance, quota_status, currency, effective_time,
    expire_time, info, $2 FROM inp
  ON CONFLICT (quota_id) DO UPDATE SET quota_type = EXCLUDED.quota_type,
    quota_value = EXCLUDED.quota_value, balance = EXCLUDED.balance,
    quota_status = EXCLUDED.quota_status, currency = EXCLUDED.currency,
    effective_time = EXCLUDED.effective_time, expire_time = EXCLUDED.expire_time,
    info = EXCLUDED.info, last_seen_run = EXCLUDED.last_seen_run, gone_at = NULL,
    updated_at = now()
  RETURNING 1) SELECT count(*) FROM up
