-- 0002: what the poller learns from Huawei's partner APIs.
-- Dashboards query these tables directly: rename nothing without a migration.

-- The customer list (ListSubCustomers) adds these to each customer.
ALTER TABLE customers
    ADD COLUMN customer_name    text,         -- real-name (实名认证) name, "customer" in the API
    ADD COLUMN label            text,
    ADD COLUMN association_type text,         -- '1' consultant-sales (referral), '2' resale
    ADD COLUMN associated_on    timestamptz,
    ADD COLUMN frozen           smallint,     -- is_frozen: 0 no, 1 account, 2 account and resources
    ADD COLUMN customer_level   text,
    ADD COLUMN xaccount_type    text,
    ADD COLUMN info             jsonb,        -- the latest customer_infos[] item, as received
    ADD COLUMN first_seen_at    timestamptz,  -- first listed by the poller
    ADD COLUMN last_seen_at     timestamptz,  -- last listed by the poller
    ADD COLUMN last_seen_run    bigint,
    ADD COLUMN gone_at          timestamptz,  -- no longer associated with the partner; NULL while it is
    -- Balance: only resale customers have one at the partner. 'unknown' until polled,
    -- 'available' with the figures below, 'not_available' for referral customers (never 0),
    -- 'not_returned' when Huawei left a resale customer out of the answer.
    ADD COLUMN balance_state    text NOT NULL DEFAULT 'unknown'
        CHECK (balance_state IN ('unknown', 'available', 'not_available', 'not_returned')),
    ADD COLUMN balance_amount   numeric,
    ADD COLUMN debt_amount      numeric,
    ADD COLUMN balance_currency text,
    ADD COLUMN balance_at       timestamptz;

-- What changed about a customer, as the poller saw it.
CREATE TABLE customer_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    customer_id text NOT NULL,
    -- associated: listed for the first time (callback_seen in detail says whether a binding
    --   notification had arrived); reassociated: listed again after gone;
    -- association_changed, frozen, unfrozen, gone.
    kind        text NOT NULL CHECK (kind IN ('associated', 'reassociated', 'association_changed',
                                             'frozen', 'unfrozen', 'gone')),
    old_value   text,
    new_value   text,
    detail      jsonb,
    run_id      bigint
);
CREATE INDEX customer_events_customer ON customer_events (customer_id, at);
CREATE INDEX customer_events_at ON customer_events (at);

-- Balance history, one row per customer per balances poll, for spending rates.
CREATE TABLE balance_snapshots (
    id          bigserial PRIMARY KEY,
    customer_id text NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now(),
    amount      numeric NOT NULL,             -- total available amount
    debt_amount numeric NOT NULL DEFAULT 0,   -- total arrears; > 0 means in debt
    currency    text,
    measure_id  smallint,                     -- 1 = yuan
    run_id      bigint
);
CREATE INDEX balance_snapshots_customer ON balance_snapshots (customer_id, taken_at);

-- The partner's own accounts (ListPartnerBalances), one row per account per poll.
CREATE TABLE partner_balance_snapshots (
    id                bigserial PRIMARY KEY,
    taken_at          timestamptz NOT NULL DEFAULT now(),
    account_id        text,
    account_type      smallint,               -- 1 balance, 2 credit, 5 bonus, 7 deposit, 8 allocatable
    amount            numeric,
    designated_amount numeric,
    credit_amount     numeric,
    currency          text,
    measure_id        smallint,
    memo              text,
    run_id            bigint
);
CREATE INDEX partner_balance_snapshots_taken_at ON partner_balance_snapshots (taken_at);

-- Yearly/monthly resources (ListPayPerUseCustomerResources). A resource that is no longer
-- returned is marked gone, never deleted.
CREATE TABLE resources (
    id                   bigserial PRIMARY KEY,
    customer_id          text NOT NULL,
    resource_id          text NOT NULL,
    instance_id          text,                -- "id": Huawei's ID of the ordered instance
    resource_name        text,
    region_code          text,
    service_type_code    text,
    service_type_name    text,
    resource_type_code   text,
    resource_type_name   text,
    resource_spec_code   text,
    project_id           text,
    product_id           text,
    parent_resource_id   text,
    is_main_resource     boolean,
    status               smallint,            -- 2 in use, 3 closed, 4 frozen, 5 expired
    effective_time       timestamptz,
    expire_time          timestamptz,
    -- 0 grace period, 1 to pay-per-use, 2 auto-delete, 3 auto-renew, 4 freeze, 5 delete
    expire_policy        smallint,
    product_spec_desc    text,
    enterprise_project_id   text,
    enterprise_project_name text,
    update_time          timestamptz,
    info                 jsonb,               -- the latest data[] item, as received
    first_seen_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_run        bigint,
    gone_at              timestamptz,
    UNIQUE (customer_id, resource_id)
);
CREATE INDEX resources_expire_time ON resources (expire_time) WHERE gone_at IS NULL;

CREATE TABLE resource_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    customer_id text NOT NULL,
    resource_id text NOT NULL,
    -- appeared, returned (seen again after gone), expiry_changed (renewed, or moved),
    -- status_changed, policy_changed, gone.
    kind        text NOT NULL CHECK (kind IN ('appeared', 'returned', 'expiry_changed',
                                             'status_changed', 'policy_changed', 'gone')),
    old_value   text,
    new_value   text,
    run_id      bigint
);
CREATE INDEX resource_events_resource ON resource_events (customer_id, resource_id, at);
CREATE INDEX resource_events_at ON resource_events (at);

-- One row per job run, by whichever instance held the poller lock.
CREATE TABLE poll_runs (
    id          bigserial PRIMARY KEY,
    job         text NOT NULL CHECK (job IN ('customers', 'balances', 'resources', 'partner')),
    instance    text NOT NULL,               -- host:pid of the hcwatch that ran it
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- ok; partial: some calls failed, the rest was applied; failed: nothing conclusive
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    calls       integer NOT NULL DEFAULT 0,
    retries     integer NOT NULL DEFAULT 0,
    throttled   integer NOT NULL DEFAULT 0,
    items       integer NOT NULL DEFAULT 0,
    errors      integer NOT NULL DEFAULT 0,
    detail      text
);
CREATE INDEX poll_runs_job ON poll_runs (job, started_at);
