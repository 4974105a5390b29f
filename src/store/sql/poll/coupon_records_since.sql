-- Where the next reading of reclaims starts: a day before the latest one hcwatch has (Huawei may
-- record one late), else a week ago; UTC, as the API takes it.
SELECT to_char(COALESCE(max(operation_time) - interval '1 day', now() - interval '7 days')
    AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  FROM coupon_records
