-- Records a batch of callbacks in one statement. Data-modifying CTEs share one snapshot and commit
-- together, so the batch is one transaction and one WAL flush however many callbacks it holds. A
-- verified callback is 'accepted' the first time its key is seen (in the table or earlier in the
-- batch) and 'duplicate' after. That test is a scalar subquery with LIMIT 1 rather than EXISTS
-- because the generic plan of a prepared statement would otherwise hash every accepted row of the
-- table for each batch. The unique index callback_events_accepted_once makes a concurrent writer's
-- batch fail rather than accept twice, and the caller retries it. Identical rejections (same
-- channel, body hash and reason) in the same hour are one row: a batch's own are grouped, and a
-- group whose hour already has a row adds to its repeats instead of inserting.
-- $1 holds the fields; the raw bodies come end to end in $2 (bytea, sent binary), each at its
-- body_off for body_len bytes. The body is stored once, as received: the bindRequest's JSON is
-- read from it by callback_payload() when wanted, not stored a second time.
WITH inp AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    ord int, received_at timestamptz, channel text, request_id text, remote_addr text,
    content_type text, verified boolean, reason text, detail text, sig_rule text,
    idem_key text, customer_id text, account_name text, xaccount_id text, xuser_id text,
    bind_action text, body_off int, body_len int, body_bytes int)
), classified AS (
  SELECT inp.*, CASE
    WHEN NOT inp.verified THEN 'rejected'
    WHEN (SELECT true FROM callback_events e WHERE e.channel = inp.channel
          AND e.idempotency_key = inp.idem_key AND e.status = 'accepted' LIMIT 1) THEN 'duplicate'
    WHEN inp.ord = min(inp.ord) FILTER (WHERE inp.verified)
                   OVER (PARTITION BY inp.channel, inp.idem_key) THEN 'accepted'
    ELSE 'duplicate' END AS status
  FROM inp
), rej AS (
  SELECT channel, idem_key, reason, date_trunc('hour', received_at) AS hour,
    count(*)::int AS n, max(received_at) AS last, min(ord) AS first_ord
  FROM classified WHERE status = 'rejected'
  GROUP BY channel, idem_key, reason, date_trunc('hour', received_at)
), bumped AS (
  UPDATE callback_events e SET repeats = e.repeats + rej.n,
    last_received_at = greatest(COALESCE(e.last_received_at, e.received_at), rej.last)
  FROM rej
  WHERE e.id = (SELECT min(x.id) FROM callback_events x WHERE x.status = 'rejected'
    AND x.channel = rej.channel AND x.idempotency_key = rej.idem_key
    AND x.reason = rej.reason AND x.received_at >= rej.hour
    AND x.received_at < rej.hour + interval '1 hour')
  RETURNING rej.first_ord
), events AS (
  INSERT INTO callback_events (received_at, channel, request_id, remote_addr, content_type,
    status, reason, detail, sig_rule, idempotency_key, customer_id, account_name, xaccount_id,
    bind_action, body, body_bytes, repeats, last_received_at)
  SELECT c.received_at, c.channel, c.request_id, c.remote_addr, c.content_type, c.status,
    CASE WHEN c.status = 'rejected' THEN c.reason END, c.detail, c.sig_rule, c.idem_key,
    c.customer_id, c.account_name, c.xaccount_id, c.bind_action,
    substring($2::bytea FROM c.body_off + 1 FOR c.body_len),
    c.body_bytes,
    COALESCE(r.n, 1), CASE WHEN r.n > 1 THEN r.last END
  FROM classified c LEFT JOIN rej r ON c.status = 'rejected' AND r.first_ord = c.ord
  WHERE c.status <> 'rejected'
    OR (r.first_ord IS NOT NULL AND r.first_ord NOT IN (SELECT first_ord FROM bumped))
  ORDER BY c.ord
  RETURNING 1
), by_id AS (
  INSERT INTO customers AS c (customer_id, account_name, xaccount_id, xuser_id, bind_action,
    first_bound_at, last_callback_at)
  SELECT DISTINCT ON (customer_id) customer_id, account_name, xaccount_id, xuser_id,
    bind_action, received_at, received_at
  FROM classified WHERE status = 'accepted' AND customer_id IS NOT NULL
  ORDER BY customer_id, ord DESC
  ON CONFLICT (customer_id) DO UPDATE SET
    account_name = COALESCE(EXCLUDED.account_name, c.account_name),
    xaccount_id = COALESCE(EXCLUDED.xaccount_id, c.xaccount_id),
    xuser_id = COALESCE(EXCLUDED.xuser_id, c.xuser_id),
    bind_action = COALESCE(EXCLUDED.bind_action, c.bind_action),
    first_bound_at = LEAST(c.first_bound_at, EXCLUDED.first_bound_at),
    last_callback_at = GREATEST(c.last_callback_at, EXCLUDED.last_callback_at),
    updated_at = now()
  RETURNING 1
), by_name AS (
  INSERT INTO customers AS c (account_name, xaccount_id, xuser_id, bind_action,
    first_bound_at, last_callback_at)
  SELECT DISTINCT ON (account_name) account_name, xaccount_id, xuser_id, bind_action,
    received_at, received_at
  FROM classified WHERE status = 'accepted' AND customer_id IS NULL
  ORDER BY account_name, ord DESC
  ON CONFLICT (account_name) WHERE customer_id IS NULL DO UPDATE SET
    xaccount_id = COALESCE(EXCLUDED.xaccount_id, c.xaccount_id),
    xuser_id = COALESCE(EXCLUDED.xuser_id, c.xuser_id),
    bind_action = COALESCE(EXCLUDED.bind_action, c.bind_action),
    first_bound_at = LEAST(c.first_bound_at, EXCLUDED.first_bound_at),
    last_callback_at = GREATEST(c.last_callback_at, EXCLUDED.last_callback_at),
    updated_at = now()
  RETURNING 1)SELECT ord, status FROM classified ORDER BY ord
