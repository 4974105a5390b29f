-- 0007: hcwatch watches itself. The evaluation also raises alerts about
-- hcwatch's own trouble (docs/alerts.md#hcwatch-itself); these facts let it
-- judge from the database alone, whichever instance evaluates.

-- Whether Huawei refused the credentials during the run (HTTP 401/403), and
-- when the scheduler means to run the job again: interval_seconds after the
-- run ends. NULL for `hcwatch poll --once`, which no schedule follows.
ALTER TABLE poll_runs ADD COLUMN auth_failed boolean NOT NULL DEFAULT false;
ALTER TABLE poll_runs ADD COLUMN interval_seconds integer;
-- The evaluator looks every two seconds for the latest end of a run.
CREATE INDEX poll_runs_finished_at ON poll_runs (finished_at);

ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('expiry', 'low_balance', 'arrears', 'runway', 'partner_low_balance',
                    'customer_bound', 'customer_new', 'customer_frozen', 'customer_gone',
                    'credentials_rejected', 'channel_failing', 'dead_letters', 'poller_behind'));

-- When a delivery became a dead letter (NULL while it is not one): the
-- channel_failing rule compares it with the destination's last success.
ALTER TABLE deliveries ADD COLUMN dead_at timestamptz;
UPDATE deliveries SET dead_at = COALESCE(last_attempt_at, created_at) WHERE state = 'dead';
