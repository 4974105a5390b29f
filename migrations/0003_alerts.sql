-- 0003: alerts, what was told about them, and the outbox that delivers it.
-- Dashboards query these tables directly: rename nothing without a migration.

-- Per-customer routing and thresholds. hcwatch only reads this table: fill it
-- from the partner's CRM, with SQL, or with `hcwatch customers set`.
CREATE TABLE customer_settings (
    customer_id           text PRIMARY KEY,
    account_manager       text,           -- a [manager NAME] of the configuration
    low_balance_threshold numeric,        -- NULL: [alerts] low_balance_threshold
    expiry_stages         integer[],      -- days before expiry; NULL: by service type, else [alerts] expiry_stages
    runway_days           integer,        -- NULL: [alerts] runway_days
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- One row per problem: a resource's expiry (per expire_time), a customer's low
-- balance episode, and so on. Information notices are rows that start resolved.
CREATE TABLE alerts (
    id          bigserial PRIMARY KEY,
    -- kind/subject[/expire_time]: the same problem always has the same fingerprint.
    fingerprint text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('expiry', 'low_balance', 'arrears', 'runway',
                                             'partner_low_balance', 'customer_bound',
                                             'customer_new', 'customer_frozen', 'customer_gone')),
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state       text NOT NULL DEFAULT 'firing'
                CHECK (state IN ('firing', 'acknowledged', 'silenced', 'resolved')),
    customer_id text,
    resource_id text,
    expire_time timestamptz,              -- expiry: the expiry this alert is about
    -- expiry: the stage reached: '30d' … '1d', 'expired', 'frozen', or 'notice' (auto-renew);
    -- low_balance 'low', arrears 'arrears', runway 'runway'; NULL for notices.
    stage       text,
    facts       jsonb NOT NULL,           -- names, amounts and dates when it started; each
                                          -- notification has its own
    started_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz,
    -- renewed, expiry_changed, gone, closed, recovered, paid, not_applicable, notice
    resolution  text,
    acked_at    timestamptz,
    acked_by    text,
    ack_note    text,
    CONSTRAINT alerts_resolved CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
) WITH (fillfactor = 70);   -- room for heap-only updates as alerts move up the ladder
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE resolved_at IS NULL;
CREATE INDEX alerts_open_kind ON alerts (kind) WHERE resolved_at IS NULL;
CREATE INDEX alerts_customer ON alerts (customer_id, started_at);
CREATE INDEX alerts_started_at ON alerts (started_at);

-- Everything worth telling about an alert, once: each stage it reaches, its
-- resolution, a notice. The unique key is what makes a stage fire only once.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    alert_id   bigint NOT NULL REFERENCES alerts (id),
    event      text NOT NULL CHECK (event IN ('firing', 'resolved', 'notice')),
    stage      text NOT NULL DEFAULT '',  -- firing: the stage; resolved: the resolution
    severity   text NOT NULL,
    facts      jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    -- Recorded but not sent: silenced, acknowledged (a reminder of an acknowledged
    -- alert), or no_route (no destination configured for it).
    suppressed text CHECK (suppressed IN ('silenced', 'acknowledged', 'no_route')),
    routed_at  timestamptz,               -- when it was put into deliveries
    UNIQUE (alert_id, event, stage)
);
CREATE INDEX notifications_unrouted ON notifications (id) WHERE routed_at IS NULL;

-- The outbox. A row is one message (a digest of notifications) to one
-- destination; it is committed with the notifications it carries, and workers
-- of any instance claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    -- Sent with every attempt (webhook-id, Message-ID, the chat footer), so that a
    -- repeat after a crash can be recognised.
    idempotency_key  text NOT NULL UNIQUE
                     DEFAULT 'hcw_' || replace(gen_random_uuid()::text, '-', ''),
    destination      text NOT NULL,       -- a [destination NAME] of the configuration
    channel          text NOT NULL,       -- wecom, dingtalk, feishu, slack, webhook, email
    notification_ids bigint[] NOT NULL,
    items            integer NOT NULL,
    created_at       timestamptz NOT NULL,
    not_before       timestamptz NOT NULL, -- the end of quiet hours, else created_at
    retry_from       timestamptz NOT NULL, -- retries stop retry_for after this (reset by replay)
    -- pending: waiting for next_attempt_at; sending: claimed until next_attempt_at (a lease);
    -- delivered; dead: gave up (see last_error); it can be replayed.
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    next_attempt_at  timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    leased_by        text,
    -- Bumped by every claim; a worker's writes name the token it claimed with, so
    -- one whose lease ran out and was taken over can change nothing, nor send.
    lease_token      bigint NOT NULL DEFAULT 0,
    parts_total      integer,
    parts_sent       integer NOT NULL DEFAULT 0,
    body             jsonb,               -- the rendered parts, fixed at the first attempt
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    last_error       text,
    platform_code    text,                -- errcode / code / HTTP or SMTP status of the last failure
    fallback_of      bigint REFERENCES deliveries (id),
    replays          integer NOT NULL DEFAULT 0
);
-- (next_attempt_at, id) is the claim's order: a claim reads the index until its first unlocked row.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE state IN ('pending', 'sending');
CREATE INDEX deliveries_created_at ON deliveries (created_at);
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead';

-- Per destination, shared by every instance: the pacing (GCRA theoretical
-- arrival time) and a platform's penalty or Retry-After.
CREATE TABLE destination_state (
    destination    text PRIMARY KEY,
    tat            timestamptz NOT NULL DEFAULT '-infinity',
    blocked_until  timestamptz NOT NULL DEFAULT '-infinity',
    blocked_reason text,
    last_ok_at     timestamptz,
    last_error_at  timestamptz,
    last_error     text
);

CREATE TABLE silences (
    id          bigserial PRIMARY KEY,
    customer_id text,
    resource_id text,
    kind        text,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_by  text,
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,              -- set by unsilence
    CONSTRAINT silences_match CHECK (customer_id IS NOT NULL OR resource_id IS NOT NULL
                                     OR kind IS NOT NULL),
    CONSTRAINT silences_span CHECK (ends_at > starts_at)
);

-- Which events have been turned into notices. A mark per row, not an id cursor:
-- the poller's workers commit concurrently, so ids do not commit in order.
-- Events from before this migration count as told.
ALTER TABLE customer_events ADD COLUMN notified_at timestamptz;
UPDATE customer_events SET notified_at = now();
CREATE INDEX customer_events_unnotified ON customer_events (id) WHERE notified_at IS NULL;
ALTER TABLE callback_events ADD COLUMN notified_at timestamptz;
UPDATE callback_events SET notified_at = now() WHERE status = 'accepted';
CREATE INDEX callback_events_unnotified ON callback_events (id)
    WHERE notified_at IS NULL AND status = 'accepted';

-- One row per evaluation.
CREATE TABLE alert_runs (
    id            bigserial PRIMARY KEY,
    instance      text NOT NULL,
    evaluated_for timestamptz NOT NULL,   -- the clock the rules used (shifted by clock_offset or --now)
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    seconds       double precision,
    fired         integer,
    resolved      integer,
    notices       integer,
    deliveries    integer
);
CREATE INDEX alert_runs_started_at ON alert_runs (started_at);
