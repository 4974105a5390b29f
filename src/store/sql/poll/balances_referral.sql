UPDATE customers SET balance_state = 'not_available', balance_amount = NULL,
  debt_amount = NULL, balance_currency = NULL, balance_at = now(), updated_at = now()
    WHERE last_seen_at IS NOT NULL AND gone_at IS NULL AND association_type = '1'
   AND balance_state <> 'not_available'
