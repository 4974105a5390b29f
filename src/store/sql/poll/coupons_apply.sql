-- One ListIssuedPartnerCoupons page of usable coupons ($1) into coupons, seen by run $2: listed
-- as usable, so usable_until is cleared. is_frozen comes as the text "0" or "1".
WITH inp AS (
  SELECT DISTINCT ON (x->>'coupon_id') x->>'coupon_id' AS coupon_id,
    x->>'customer_id' AS customer_id, NULLIF(x->>'coupon_type', '')::smallint AS coupon_type,
    NULLIF(x->>'status', '')::smallint AS status,
    NULLIF(x->>'face_value', '')::numeric AS face_value,
    NULLIF(x->>'balance', '')::numeric AS balance,
    COALESCE(x->>'is_frozen' = '1', false) AS frozen,
    NULLIF(x->>'effective_time', '')::timestamptz AS effective_time,
    NULLIF(x->>'expire_time', '')::timestamptz AS expire_time, x AS info
  FROM jsonb_array_elements($1::jsonb -> 'user_coupons') AS x
  WHERE NULLIF(x->>'coupon_id', '') IS NOT NULL AND NULLIF(x->>'customer_id', '') IS NOT NULL
), up AS (
  INSERT INTO coupons AS c (coupon_id, customer_id, coupon_type, status, face_value, balance,
    frozen, effective_time, expire_time, info, last_seen_run)
  SELECT coupon_id, customer_id, coupon_type, status, face_value, balance, frozen,
    effective_time, expire_time, info, $2 FROM inp
  ON CONFLICT (coupon_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
    coupon_type = EXCLUDED.coupon_type, status = EXCLUDED.status,
    face_value = EXCLUDED.face_value, balance = EXCLUDED.balance, frozen = EXCLUDED.frozen,
    effective_time = EXCLUDED.effective_time, expire_time = EXCLUDED.expire_time,
    info = EXCLUDED.info, last_seen_run = EXCLUDED.last_seen_run, usable_until = NULL,
    updated_at = now()
  RETURNING 1) SELECT count(*) FROM up
