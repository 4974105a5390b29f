-- `hcwatch customers set`: each of manager, threshold, stages, runway, jump factor and jump
-- minimum is changed only when its flag says so; '' clears it (back to the default). The command
-- checked every value first.
INSERT INTO customer_settings AS cs (customer_id, account_manager, low_balance_threshold,
    expiry_stages, runway_days, spend_jump_factor, spend_jump_min, updated_at)
  SELECT $1, NULLIF($3, ''), NULLIF($5, '')::numeric,
    CASE WHEN $7 = '' THEN NULL ELSE rule_stages($7::jsonb) END, NULLIF($9, '')::integer,
    NULLIF($11, '')::numeric, NULLIF($13, '')::numeric, now()
  FROM customers cu WHERE cu.customer_id = $1
  ON CONFLICT (customer_id) DO UPDATE SET
    account_manager = CASE WHEN $2::boolean THEN EXCLUDED.account_manager
      ELSE cs.account_manager END,
    low_balance_threshold = CASE WHEN $4::boolean THEN EXCLUDED.low_balance_threshold
      ELSE cs.low_balance_threshold END,
    expiry_stages = CASE WHEN $6::boolean THEN EXCLUDED.expiry_stages ELSE cs.expiry_stages END,
    runway_days = CASE WHEN $8::boolean THEN EXCLUDED.runway_days ELSE cs.runway_days END,
    spend_jump_factor = CASE WHEN $10::boolean THEN EXCLUDED.spend_jump_factor
      ELSE cs.spend_jump_factor END,
    spend_jump_min = CASE WHEN $12::boolean THEN EXCLUDED.spend_jump_min
      ELSE cs.spend_jump_min END,
    updated_at = now()
  RETURNING 1
