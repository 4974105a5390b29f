-- Views for dashboards, in their own schema: a stable interface, documented
-- column by column in docs/dashboards.md. Changing one takes a migration and
-- a line in CHANGELOG.md. A read-only dashboard role needs only
--   GRANT USAGE ON SCHEMA dashboard TO grafana;
--   GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO grafana;
-- (views read the tables with their owner's rights).

CREATE SCHEMA dashboard;

-- Resources that can still expire or have, with days left now.
CREATE VIEW dashboard.expiring_resources AS
SELECT r.customer_id,
       COALESCE(cu.customer_name, cu.account_name, r.customer_id) AS customer,
       cs.account_manager,
       r.resource_id,
       COALESCE(r.resource_name, r.resource_id) AS resource,
       COALESCE(r.service_type_name, r.service_type_code) AS service,
       r.region_code AS region,
       r.expire_time,
       ceil(extract(epoch FROM r.expire_time - now()) / 86400)::int AS days_left,
       r.expire_policy = 3 AS auto_renew,
       CASE r.status WHEN 2 THEN 'in_use' WHEN 4 THEN 'frozen' WHEN 5 THEN 'expired' END AS status,
       a.id AS alert_id,
       a.stage AS alert_stage,
       a.state AS alert_state
FROM resources r
LEFT JOIN customers cu ON cu.customer_id = r.customer_id
LEFT JOIN customer_settings cs ON cs.customer_id = r.customer_id
LEFT JOIN alerts a ON a.kind = 'expiry' AND a.resolved_at IS NULL
                  AND a.customer_id = r.customer_id AND a.resource_id = r.resource_id
                  AND a.expire_time = r.expire_time
WHERE r.gone_at IS NULL AND r.status IN (2, 4, 5) AND r.expire_time IS NOT NULL;

-- Each associated customer's balance, spending and runway over the last 7 UTC days.
CREATE VIEW dashboard.balances AS
SELECT cu.customer_id,
       COALESCE(cu.customer_name, cu.account_name, cu.customer_id) AS customer,
       cs.account_manager,
       cu.balance_state,
       cu.balance_amount,
       cu.debt_amount,
       cu.balance_currency AS currency,
       cu.balance_at,
       cs.low_balance_threshold,
       sp.spent AS spent_7d,
       round(sp.days::numeric, 2) AS history_days,
       round(sp.spent / sp.days::numeric, 2) AS daily_spend,
       floor(cu.balance_amount / NULLIF(sp.spent / sp.days::numeric, 0))::int AS runway_days,
       (SELECT string_agg(a.kind || ':' || a.state, ',' ORDER BY a.kind) FROM alerts a
        WHERE a.customer_id = cu.customer_id AND a.resolved_at IS NULL
          AND a.kind IN ('low_balance', 'arrears', 'runway')) AS open_alerts
FROM customers cu
LEFT JOIN customer_settings cs ON cs.customer_id = cu.customer_id
LEFT JOIN LATERAL (
    SELECT sum(b.spent) AS spent,
           CASE WHEN max(b.last_at) - min(b.first_at) >= interval '1 day'
                THEN extract(epoch FROM max(b.last_at) - min(b.first_at)) / 86400 END AS days
    FROM balance_days b
    WHERE b.customer_id = cu.customer_id
      AND b.day > ((now() - interval '7 days') AT TIME ZONE 'UTC')::date
) AS sp ON true
WHERE cu.customer_id IS NOT NULL AND cu.gone_at IS NULL;

-- Alerts with what was told about them.
CREATE VIEW dashboard.alerts AS
SELECT a.id AS alert_id,
       a.kind,
       a.severity,
       a.state,
       a.stage,
       a.customer_id,
       a.facts->>'customer' AS customer,
       a.facts->>'manager' AS account_manager,
       a.resource_id,
       a.facts->>'resource' AS resource,
       a.expire_time,
       a.started_at,
       a.resolved_at,
       a.resolution,
       extract(epoch FROM COALESCE(a.resolved_at, now()) - a.started_at)::bigint AS open_seconds,
       a.acked_by,
       a.acked_at,
       (SELECT count(*) FROM notifications n
        WHERE n.alert_id = a.id AND n.suppressed IS NULL)::int AS told,
       (SELECT count(*) FROM notifications n
        WHERE n.alert_id = a.id AND n.suppressed IS NOT NULL)::int AS not_told,
       a.fingerprint
FROM alerts a;

-- Messages to destinations: state, latency, failures, dead letters.
CREATE VIEW dashboard.deliveries AS
SELECT d.id AS delivery_id,
       d.destination,
       d.channel,
       d.state,
       d.state = 'dead' AS dead,
       d.items,
       d.attempts,
       d.parts_sent,
       d.parts_total,
       d.created_at,
       d.not_before,
       d.delivered_at,
       extract(epoch FROM d.delivered_at - d.created_at) AS latency_seconds,
       extract(epoch FROM d.delivered_at - d.not_before) AS latency_after_quiet_seconds,
       d.last_attempt_at,
       d.last_error,
       d.platform_code,
       d.fallback_of,
       d.replays,
       d.idempotency_key
FROM deliveries d;

-- Every binding notification received, verified or rejected.
CREATE VIEW dashboard.callbacks AS
SELECT c.id AS callback_id,
       c.received_at,
       c.channel,
       c.status,
       c.reason,
       c.detail,
       c.customer_id,
       c.account_name,
       c.remote_addr,
       c.request_id
FROM callback_events c;

-- The same per hour, status and reason.
CREATE VIEW dashboard.callback_intake AS
SELECT date_trunc('hour', c.received_at) AS hour,
       c.channel,
       c.status,
       COALESCE(c.reason, '') AS reason,
       count(*)::int AS callbacks
FROM callback_events c
GROUP BY 1, 2, 3, 4;
