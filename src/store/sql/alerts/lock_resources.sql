-- The evaluation reads resources as one snapshot: the poller's writes wait for its end, so that
-- changed_seq does not move under it (see migration 0004).
LOCK TABLE resources IN SHARE ROW EXCLUSIVE MODE
