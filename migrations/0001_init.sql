-- 0001: customers, and every inbound callback as it arrived.
-- Dashboards query these tables directly: rename nothing without a migration.

CREATE TABLE customers (
    id               bigserial PRIMARY KEY,
    -- Huawei account ID: domainId in the binding notification, customer_id in the BSS APIs.
    customer_id      text UNIQUE,
    -- Huawei account name: domainName in the notification, account_name in the BSS APIs.
    account_name     text,
    -- The partner platform's own IDs for the customer (xAccountId, xUserId).
    xaccount_id      text,
    xuser_id         text,
    -- bindAction of the latest verified notification, as received (meaning unconfirmed by Huawei).
    bind_action      text,
    first_bound_at   timestamptz,
    last_callback_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_identified CHECK (customer_id IS NOT NULL OR account_name IS NOT NULL)
);

-- A notification may name the customer by account name only; one row per such name.
CREATE UNIQUE INDEX customers_account_name_without_id
    ON customers (account_name) WHERE customer_id IS NULL;
CREATE INDEX customers_xaccount_id ON customers (xaccount_id) WHERE xaccount_id IS NOT NULL;

CREATE TABLE callback_events (
    id              bigserial PRIMARY KEY,
    received_at     timestamptz NOT NULL,
    channel         text NOT NULL,             -- 'bind': the account-binding notification
    request_id      text NOT NULL,             -- also in hcwatch's log lines and X-Request-Id
    remote_addr     text,
    content_type    text,
    -- accepted: verified and applied; duplicate: verified, seen before (a browser refresh);
    -- rejected: not applied, see reason.
    status          text NOT NULL CHECK (status IN ('accepted', 'duplicate', 'rejected')),
    reason          text,                      -- stable code, e.g. bad_signature; NULL unless rejected
    detail          text,                      -- the same in words
    sig_rule        text,                      -- signed-string rule that verified (A, B or C)
    -- SHA-256 of the signed bindRequest text; of the raw body when rejected.
    idempotency_key text NOT NULL,
    customer_id     text,
    account_name    text,
    payload         jsonb,                     -- the decoded bindRequest, unknown fields kept
    body            bytea,                     -- the raw request body
    CONSTRAINT callback_events_reason CHECK ((status = 'rejected') = (reason IS NOT NULL))
);

CREATE UNIQUE INDEX callback_events_accepted_once
    ON callback_events (channel, idempotency_key) WHERE status = 'accepted';
CREATE INDEX callback_events_received_at ON callback_events (received_at);
CREATE INDEX callback_events_customer_id ON callback_events (customer_id) WHERE customer_id IS NOT NULL;
