-- For connections whose writes may be lost in a crash without harm (see store_set_async_commit).
SELECT set_config('synchronous_commit', 'off', false)
