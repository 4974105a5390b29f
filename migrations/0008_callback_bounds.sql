-- 0008: anyone who can reach the notification URL can make hcwatch record
-- something; these bound how much. Identical rejected requests (the same
-- body, rejected for the same reason) within one hour are one row that
-- counts them, and a rejected body is kept to its first bytes (its SHA-256,
-- the idempotency_key, and its full size stay).

-- How many requests the row stands for (1 but for merged rejections), the
-- latest of them, and the body's size as received (body may hold less).
ALTER TABLE callback_events ADD COLUMN repeats integer NOT NULL DEFAULT 1;
ALTER TABLE callback_events ADD COLUMN last_received_at timestamptz;
ALTER TABLE callback_events ADD COLUMN body_bytes integer;
UPDATE callback_events SET body_bytes = octet_length(body) WHERE body IS NOT NULL;

-- Finds this hour's row for a repeated rejection.
CREATE INDEX callback_events_rejected
    ON callback_events (channel, idempotency_key, reason, received_at) WHERE status = 'rejected';

-- The dashboard views count requests, not rows; the new columns go at the end.
CREATE OR REPLACE VIEW dashboard.callbacks AS
SELECT c.id AS callback_id,
       c.received_at,
       c.channel,
       c.status,
       c.reason,
       c.detail,
       c.customer_id,
       c.account_name,
       c.remote_addr,
       c.request_id,
       c.repeats,
       COALESCE(c.last_received_at, c.received_at) AS last_received_at
FROM callback_events c;

CREATE OR REPLACE VIEW dashboard.callback_intake AS
SELECT date_trunc('hour', c.received_at) AS hour,
       c.channel,
       c.status,
       COALESCE(c.reason, '') AS reason,
       sum(c.repeats)::int AS callbacks
FROM callback_events c
GROUP BY 1, 2, 3, 4;
