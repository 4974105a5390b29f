/*
 * The alert rules, set-based: each rule is one statement over every
 * customer or resource at once, and one evaluation is one transaction, so
 * an alert and the deliveries that announce it commit together.
 *
 * Every statement takes $1, the clock the rules use (shifted for tests and
 * drills), and $2, the settings as JSON (alerts/engine.c builds them).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/xalloc.h"

/* Another number than the migrate and poller locks: one evaluation at a time. */
#define EVAL_LOCK_KEY "1751349103"

#define P_CTE "WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS s)"
#define UTC_TEXT(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define LOCAL_TEXT(col) "to_char((" col ") AT TIME ZONE (p.s->>'tz'), 'YYYY-MM-DD HH24:MI')"
#define CUSTOMER_NAME(cu, id) "COALESCE(" cu ".customer_name, " cu ".account_name, " id ")"

/* A firing notification for a new alert, or a resolution for one whose firing was sent. */
#define TOLD(alias) \
	"EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = " alias ".id" \
	" AND n.event = 'firing' AND n.suppressed IS NULL)"

enum {
	A_LOCK,
	A_EXPIRY_RESOLVE,
	A_EXPIRY_FIRE,
	A_LOW_BALANCE,
	A_ARREARS,
	A_RUNWAY,
	A_PARTNER,
	A_CUSTOMER_NOTICES,
	A_BIND_NOTICES,
	A_STATES,
	A_SUPPRESS,
	A_ROUTE,
	A_RUN,
	A_LIST,
	A_ACK,
	A_SILENCE_ADD,
	A_SILENCE_END,
	A_SILENCES,
	A_ITEMS,
	A_PENDING,
	A_COUNT
};

/*
 * The balance rules share a shape: c is one row per customer with
 * applicable (the rule can be judged), inapplicable (it never can again:
 * gone, or referral), fire and clear; an open alert clears only when clear
 * holds, which gives the hysteresis.
 */
#define BALANCE_RULE(kind, stage, severity, FACTS) \
	"o AS (SELECT a.id, a.customer_id FROM alerts a" \
	"      WHERE a.kind = '" kind "' AND a.resolved_at IS NULL)," \
	"fire AS (" \
	"  INSERT INTO alerts (fingerprint, kind, severity, customer_id, stage, facts, started_at," \
	"    updated_at)" \
	"  SELECT '" kind "/' || c.customer_id, '" kind "', " severity ", c.customer_id, '" stage "'," \
	"    " FACTS ", p.now, p.now" \
	"  FROM c CROSS JOIN p" \
	"  WHERE c.applicable AND c.fire AND NOT EXISTS (SELECT 1 FROM o WHERE o.customer_id = c.customer_id)" \
	"  RETURNING id, severity, facts" \
	"), res AS (" \
	"  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now," \
	"    resolution = CASE WHEN c.customer_id IS NULL OR c.inapplicable THEN 'not_applicable'" \
	"                      ELSE $3 END" \
	"  FROM o LEFT JOIN c USING (customer_id), p" \
	"  WHERE a.id = o.id AND (c.customer_id IS NULL OR c.inapplicable OR (c.applicable AND c.clear))" \
	"  RETURNING a.id, a.resolution, " FACTS " AS facts" \
	"), ins AS (" \
	"  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)" \
	"  SELECT fire.id, 'firing', '" stage "', fire.severity, fire.facts, p.now FROM fire, p" \
	"  UNION ALL" \
	"  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p" \
	"  WHERE res.resolution <> 'not_applicable' AND " TOLD("res") \
	"  RETURNING 1" \
	")" \
	"SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)"

/* c carries these; the facts are built only for the rows that fire or resolve. */
#define CUSTOMER_COLS \
	" cu.customer_name, cu.account_name, cu.balance_amount, cu.debt_amount, cu.balance_currency," \
	" cu.balance_at, cs.account_manager,"

#define CUSTOMER_FACTS \
	"jsonb_build_object('customer_id', c.customer_id," \
	" 'customer', " CUSTOMER_NAME("c", "c.customer_id") ", 'account_name', c.account_name," \
	" 'amount', c.balance_amount::text, 'debt', c.debt_amount::text," \
	" 'currency', c.balance_currency," \
	" 'balance_local', " LOCAL_TEXT("c.balance_at") ", 'manager', c.account_manager"

#define CUSTOMER_FROM \
	"  FROM customers cu LEFT JOIN customer_settings cs USING (customer_id) CROSS JOIN p"
#define CUSTOMER_WHERE "  WHERE cu.customer_id IS NOT NULL"

#define CUSTOMER_APPLICABILITY \
	"cu.gone_at IS NULL AND cu.balance_state = 'available' AS applicable," \
	" cu.gone_at IS NOT NULL OR cu.balance_state = 'not_available' AS inapplicable,"

static const struct store_stmt qs[A_COUNT] = {
	[A_LOCK] = { "alerts_lock", "SELECT pg_advisory_xact_lock(" EVAL_LOCK_KEY ")", 0 },

	/*
	 * Expiry alerts end when the resource's expiry moves (a renewal when
	 * later), when it is gone or closed. Those whose firing was sent get a
	 * resolution notice; an auto-renew notice alone does not.
	 */
	[A_EXPIRY_RESOLVE] = { "alerts_expiry_resolve",
	    P_CTE ", x AS ("
	    "  SELECT a.id, a.facts, r.expire_time AS new_expire,"
	    "    CASE WHEN r.id IS NULL OR r.gone_at IS NOT NULL THEN 'gone'"
	    "         WHEN r.expire_time > a.expire_time THEN 'renewed'"
	    "         WHEN r.expire_time IS DISTINCT FROM a.expire_time THEN 'expiry_changed'"
	    "         WHEN r.status = 3 THEN 'closed' END AS resolution"
	    "  FROM alerts a LEFT JOIN resources r"
	    "    ON r.customer_id = a.customer_id AND r.resource_id = a.resource_id"
	    "  WHERE a.kind = 'expiry' AND a.resolved_at IS NULL"
	    "), done AS ("
	    "  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,"
	    "    resolution = x.resolution"
	    "  FROM x, p WHERE a.id = x.id AND x.resolution IS NOT NULL"
	    "  RETURNING a.id, x.resolution, x.facts, x.new_expire"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT d.id, 'resolved', d.resolution, 'info', d.facts || jsonb_build_object("
	    "      'resolution', d.resolution, 'new_expire_time', " UTC_TEXT("d.new_expire") ","
	    "      'new_expire_local', " LOCAL_TEXT("d.new_expire") "), p.now"
	    "  FROM done d, p WHERE " TOLD("d")
	    "  RETURNING 1"
	    ") SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM ins)", 2 },

	/*
	 * The ladder. A resource's stage is the nearest stage it has passed
	 * (the smallest number of days not below the days left), or expired,
	 * or frozen; its stages come from customer_settings, else its service
	 * type, else the default. Auto-renew resources (expire_policy 3) have
	 * one 'notice' stage until the last one. An alert whose stage changed
	 * gets a notification, and the unique key (alert, event, stage) makes
	 * each stage fire once.
	 */
	[A_EXPIRY_FIRE] = { "alerts_expiry_fire",
	    P_CTE ", cfg AS MATERIALIZED ("
	    "  SELECT p.now, p.s->>'tz' AS tz,"
	    "    ARRAY(SELECT x::int FROM jsonb_array_elements_text(p.s->'stages') AS x ORDER BY 1)"
	    "      AS stages,"
	    "    greatest((p.s->>'max_days')::int, COALESCE((SELECT max(x) FROM customer_settings,"
	    "      unnest(expiry_stages) AS x), 0)) AS max_days,"
	    "    (p.s->>'expired')::boolean AS expired, (p.s->>'frozen')::boolean AS frozen,"
	    "    (p.s->>'notice')::boolean AS notice, (p.s->>'critical_days')::int AS critical_days"
	    "  FROM p"
	    "), svc AS MATERIALIZED ("
	    "  SELECT e.key AS code,"
	    "    ARRAY(SELECT x::int FROM jsonb_array_elements_text(e.value) AS x ORDER BY 1) AS stages"
	    "  FROM p CROSS JOIN jsonb_each(COALESCE(p.s->'by_service', '{}'::jsonb)) AS e"
	    /* Stage arrays are sorted ascending, so width_bucket finds the stage without a subquery. */
	    "), r AS MATERIALIZED ("
	    "  SELECT r.customer_id, r.resource_id, r.resource_name, r.region_code, r.status,"
	    "    r.service_type_code, r.service_type_name, r.resource_type_name, r.expire_time,"
	    "    r.expire_policy, ceil(extract(epoch FROM r.expire_time - cfg.now) / 86400)::int"
	    "      AS days_left,"
	    "    COALESCE(CASE WHEN cs.expiry_stages IS NOT NULL THEN ARRAY(SELECT x FROM"
	    "      unnest(cs.expiry_stages) AS x ORDER BY 1) END, svc.stages, cfg.stages) AS stages"
	    "  FROM resources r CROSS JOIN cfg"
	    "  LEFT JOIN customer_settings cs"
	    "    ON cs.customer_id = r.customer_id AND cs.expiry_stages IS NOT NULL"
	    "  LEFT JOIN svc ON svc.code = r.service_type_code"
	    "  WHERE r.gone_at IS NULL AND r.expire_time IS NOT NULL AND r.status IN (2, 4, 5)"
	    "    AND (r.expire_time <= cfg.now + cfg.max_days * interval '1 day' OR r.status IN (4, 5))"
	    "), c AS MATERIALIZED ("
	    "  SELECT r.*, CASE"
	    "    WHEN r.status = 4 THEN CASE WHEN cfg.frozen THEN 'frozen' END"
	    "    WHEN r.status = 5 OR r.expire_time <= cfg.now THEN CASE WHEN cfg.expired THEN 'expired' END"
	    "    WHEN r.stages[width_bucket(r.days_left - 1, r.stages) + 1] IS NULL THEN NULL"
	    "    WHEN r.expire_policy = 3 AND r.days_left > r.stages[1]"
	    "      THEN CASE WHEN cfg.notice THEN 'notice' END"
	    "    ELSE r.stages[width_bucket(r.days_left - 1, r.stages) + 1] || 'd' END AS stage"
	    "  FROM r CROSS JOIN cfg"
	    "), o AS ("
	    "  SELECT a.id, a.customer_id, a.resource_id, a.expire_time, a.stage FROM alerts a"
	    "  WHERE a.kind = 'expiry' AND a.resolved_at IS NULL"
	    "), ch AS MATERIALIZED ("
	    "  SELECT c.*, o.id AS alert_id,"
	    "    CASE WHEN c.stage = 'notice' THEN 'info'"
	    "         WHEN c.stage IN ('expired', 'frozen') OR c.days_left <= cfg.critical_days"
	    "           THEN 'critical' ELSE 'warning' END AS severity,"
	    "    jsonb_build_object('customer_id', c.customer_id,"
	    "      'customer', " CUSTOMER_NAME("cu", "c.customer_id") ","
	    "      'account_name', cu.account_name, 'resource_id', c.resource_id,"
	    "      'resource', COALESCE(c.resource_name, c.resource_id),"
	    "      'service', COALESCE(c.service_type_name, c.service_type_code),"
	    "      'resource_type', c.resource_type_name, 'region', c.region_code,"
	    "      'expire_time', " UTC_TEXT("c.expire_time") ","
	    "      'expire_local', to_char(c.expire_time AT TIME ZONE cfg.tz, 'YYYY-MM-DD HH24:MI'),"
	    "      'days_left', c.days_left, 'auto_renew', c.expire_policy = 3,"
	    "      'stage', c.stage, 'manager', cs.account_manager) AS facts"
	    "  FROM c CROSS JOIN cfg"
	    "  LEFT JOIN o ON o.customer_id = c.customer_id AND o.resource_id = c.resource_id"
	    "    AND o.expire_time = c.expire_time"
	    "  LEFT JOIN customers cu ON cu.customer_id = c.customer_id"
	    "  LEFT JOIN customer_settings cs ON cs.customer_id = c.customer_id"
	    "  WHERE c.stage IS NOT NULL AND o.stage IS DISTINCT FROM c.stage"
	    "), upd AS ("
	    /* No indexed column changes: a heap-only update (the table keeps free space). */
	    "  UPDATE alerts a SET stage = ch.stage, severity = ch.severity, updated_at = p.now"
	    "  FROM ch CROSS JOIN p WHERE ch.alert_id IS NOT NULL AND a.id = ch.alert_id"
	    "  RETURNING a.id, a.stage, a.severity, ch.facts"
	    "), new AS ("
	    "  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, resource_id,"
	    "    expire_time, stage, facts, started_at, updated_at)"
	    "  SELECT 'expiry/' || ch.customer_id || '/' || ch.resource_id || '/' ||"
	    "      to_char(ch.expire_time AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"'),"
	    "    'expiry', ch.severity, ch.customer_id, ch.resource_id, ch.expire_time, ch.stage,"
	    "    ch.facts, p.now, p.now"
	    "  FROM ch CROSS JOIN p WHERE ch.alert_id IS NULL"
	    "  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING"
	    "  RETURNING a.id, a.stage, a.severity, a.facts"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT u.id, CASE WHEN u.stage = 'notice' THEN 'notice' ELSE 'firing' END, u.stage,"
	    "    u.severity, u.facts, p.now"
	    "  FROM (SELECT * FROM upd UNION ALL SELECT * FROM new) AS u CROSS JOIN p"
	    "  ON CONFLICT (alert_id, event, stage) DO NOTHING"
	    "  RETURNING 1"
	    ") SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM new),"
	    "  (SELECT count(*) FROM ins)", 2 },

	/* Below the threshold fires; only above threshold + margin clears. */
	[A_LOW_BALANCE] = { "alerts_low_balance",
	    P_CTE ", c AS ("
	    "  SELECT cu.customer_id, " CUSTOMER_APPLICABILITY CUSTOMER_COLS " t.thr,"
	    "    t.thr > 0 AND cu.balance_amount < t.thr AS fire,"
	    "    t.thr <= 0 OR cu.balance_amount >= t.thr + (p.s->>'margin')::numeric AS clear"
	    CUSTOMER_FROM
	    "  CROSS JOIN LATERAL (SELECT COALESCE(cs.low_balance_threshold,"
	    "    (p.s->>'low')::numeric) AS thr) AS t"
	    CUSTOMER_WHERE
	    "), " BALANCE_RULE("low_balance", "low", "'warning'",
	    CUSTOMER_FACTS ", 'threshold', c.thr::text)"), 3 },

	[A_ARREARS] = { "alerts_arrears",
	    P_CTE ", c AS ("
	    "  SELECT cu.customer_id, " CUSTOMER_APPLICABILITY CUSTOMER_COLS
	    "    (p.s->>'arrears')::boolean AND COALESCE(cu.debt_amount, 0) > 0 AS fire,"
	    "    NOT (p.s->>'arrears')::boolean OR COALESCE(cu.debt_amount, 0) <= 0 AS clear"
	    CUSTOMER_FROM CUSTOMER_WHERE
	    "), " BALANCE_RULE("arrears", "arrears", "'critical'", CUSTOMER_FACTS ")"), 3 },

	/*
	 * Days of runway: the available amount over the average daily spend
	 * (the sum of the drops between snapshots; top-ups do not count) in
	 * the trailing window. Needs at least a day of history.
	 */
	[A_RUNWAY] = { "alerts_runway",
	    P_CTE ", z AS ("
	    "  SELECT b.customer_id, b.taken_at, b.amount,"
	    "    lag(b.amount) OVER w AS prev, lag(b.taken_at) OVER w AS prev_at"
	    "  FROM balance_snapshots b CROSS JOIN p"
	    "  WHERE b.taken_at > p.now - (p.s->>'runway_window')::int * interval '1 day'"
	    "    AND b.taken_at <= p.now"
	    "  WINDOW w AS (PARTITION BY b.customer_id ORDER BY b.taken_at)"
	    "), sp AS ("
	    "  SELECT customer_id, sum(greatest(prev - amount, 0)) AS spent,"
	    "    extract(epoch FROM max(taken_at) - min(prev_at)) / 86400 AS days"
	    "  FROM z WHERE prev IS NOT NULL GROUP BY customer_id"
	    "), c AS ("
	    "  SELECT cu.customer_id, " CUSTOMER_APPLICABILITY CUSTOMER_COLS " t.rd, t.daily,"
	    "    t.rd > 0 AND t.daily > 0 AND cu.balance_amount / t.daily < t.rd AS fire,"
	    "    t.rd <= 0 OR t.daily = 0"
	    "      OR cu.balance_amount / t.daily >= t.rd + (p.s->>'runway_margin')::int AS clear"
	    CUSTOMER_FROM
	    "  LEFT JOIN sp ON sp.customer_id = cu.customer_id"
	    "  CROSS JOIN LATERAL (SELECT COALESCE(cs.runway_days, (p.s->>'runway_days')::int) AS rd,"
	    "    CASE WHEN sp.days >= 1 THEN sp.spent / sp.days END AS daily) AS t"
	    CUSTOMER_WHERE
	    "), " BALANCE_RULE("runway", "runway", "'warning'",
	    CUSTOMER_FACTS ", 'daily_spend', round(c.daily, 2)::text,"
	    " 'days_left', floor(c.balance_amount / NULLIF(c.daily, 0))::int,"
	    " 'runway_days', c.rd)"), 3 },

	/* The partner's own cash balance (account type 1), per account. */
	[A_PARTNER] = { "alerts_partner",
	    P_CTE ", c AS ("
	    "  SELECT 'partner_low_balance/' || COALESCE(l.account_id, '-') AS fp, l.amount,"
	    "    (p.s->>'partner_low')::numeric AS thr,"
	    "    jsonb_build_object('account_id', l.account_id, 'amount', l.amount::text,"
	    "      'currency', l.currency, 'threshold', p.s->>'partner_low',"
	    "      'balance_local', " LOCAL_TEXT("l.taken_at") ") AS facts"
	    "  FROM (SELECT DISTINCT ON (account_id) account_id, amount, currency, taken_at"
	    "        FROM partner_balance_snapshots WHERE account_type = 1"
	    "        ORDER BY account_id, taken_at DESC) AS l CROSS JOIN p"
	    "), o AS ("
	    "  SELECT a.id, a.fingerprint FROM alerts a"
	    "  WHERE a.kind = 'partner_low_balance' AND a.resolved_at IS NULL"
	    "), fire AS ("
	    "  INSERT INTO alerts (fingerprint, kind, severity, stage, facts, started_at, updated_at)"
	    "  SELECT c.fp, 'partner_low_balance', 'critical', 'low', c.facts, p.now, p.now"
	    "  FROM c CROSS JOIN p"
	    "  WHERE c.thr > 0 AND c.amount < c.thr AND NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = c.fp)"
	    "  RETURNING id, severity, facts"
	    "), res AS ("
	    "  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,"
	    "    resolution = $3"
	    "  FROM o JOIN c ON c.fp = o.fingerprint, p"
	    "  WHERE a.id = o.id"
	    "    AND (c.thr <= 0 OR c.amount >= c.thr + (p.s->>'margin')::numeric)"
	    "  RETURNING a.id, a.resolution, c.facts"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT fire.id, 'firing', 'low', fire.severity, fire.facts, p.now FROM fire, p"
	    "  UNION ALL"
	    "  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p"
	    "  WHERE " TOLD("res")
	    "  RETURNING 1"
	    ")"
	    "SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)", 3 },

	/*
	 * Customer events become notices once. The first complete customer
	 * listing is the baseline and announces nobody; a customer whose
	 * binding notification came first was announced then. Events older than
	 * a week (alerts were off) are marked without a notice.
	 */
	[A_CUSTOMER_NOTICES] = { "alerts_customer_notices",
	    P_CTE ", base AS ("
	    "  SELECT min(id) AS run FROM poll_runs"
	    "  WHERE job = 'customers' AND status IN ('ok', 'partial')"
	    "), ev AS ("
	    "  UPDATE customer_events e SET notified_at = p.now FROM p WHERE e.notified_at IS NULL"
	    "  RETURNING e.id, e.customer_id, e.kind, e.old_value, e.new_value, e.detail, e.run_id, e.at"
	    "), pick AS ("
	    "  SELECT ev.*, CASE ev.kind WHEN 'associated' THEN 'customer_new'"
	    "    WHEN 'reassociated' THEN 'customer_new' WHEN 'frozen' THEN 'customer_frozen'"
	    "    WHEN 'gone' THEN 'customer_gone' END AS akind"
	    "  FROM ev CROSS JOIN p CROSS JOIN base"
	    "  WHERE (p.s->>'customer_notices')::boolean AND ev.at > clock_timestamp() - interval '7 days'"
	    "    AND NOT (ev.kind = 'associated' AND (ev.run_id IS NOT DISTINCT FROM base.run"
	    "      OR COALESCE((ev.detail->>'callback_seen')::boolean, false)))"
	    "), al AS ("
	    "  INSERT INTO alerts (fingerprint, kind, severity, state, customer_id, facts, started_at,"
	    "    updated_at, resolved_at, resolution)"
	    "  SELECT pick.akind || '/' || pick.customer_id || '/' || pick.id, pick.akind, 'info',"
	    "    'resolved', pick.customer_id, jsonb_build_object('customer_id', pick.customer_id,"
	    "      'customer', " CUSTOMER_NAME("cu", "pick.customer_id") ","
	    "      'account_name', cu.account_name, 'event', pick.kind, 'old_value', pick.old_value,"
	    "      'new_value', pick.new_value, 'association_type', cu.association_type,"
	    "      'at_local', " LOCAL_TEXT("pick.at") ", 'manager', cs.account_manager),"
	    "    p.now, p.now, p.now, 'notice'"
	    "  FROM pick CROSS JOIN p"
	    "  LEFT JOIN customers cu ON cu.customer_id = pick.customer_id"
	    "  LEFT JOIN customer_settings cs ON cs.customer_id = pick.customer_id"
	    "  WHERE pick.akind IS NOT NULL"
	    "  RETURNING id, facts"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT al.id, 'notice', '', 'info', al.facts, p.now FROM al, p RETURNING 1"
	    ") SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)", 2 },

	/* Each accepted binding notification is announced once. */
	[A_BIND_NOTICES] = { "alerts_bind_notices",
	    P_CTE ", ev AS ("
	    "  UPDATE callback_events c SET notified_at = p.now FROM p"
	    "  WHERE c.notified_at IS NULL AND c.status = 'accepted'"
	    "  RETURNING c.id, c.customer_id, c.account_name, c.payload, c.received_at"
	    "), al AS ("
	    "  INSERT INTO alerts (fingerprint, kind, severity, state, customer_id, facts, started_at,"
	    "    updated_at, resolved_at, resolution)"
	    "  SELECT 'customer_bound/' || COALESCE(ev.customer_id, ev.account_name) || '/' || ev.id,"
	    "    'customer_bound', 'info', 'resolved', ev.customer_id,"
	    "    jsonb_build_object('customer_id', ev.customer_id,"
	    "      'customer', COALESCE(cu.customer_name, ev.account_name, ev.customer_id),"
	    "      'account_name', ev.account_name, 'xaccount_id', ev.payload->>'xAccountId',"
	    "      'bind_action', ev.payload->>'bindAction',"
	    "      'at_local', " LOCAL_TEXT("ev.received_at") ", 'manager', cs.account_manager),"
	    "    p.now, p.now, p.now, 'notice'"
	    "  FROM ev CROSS JOIN p"
	    "  LEFT JOIN customers cu ON cu.customer_id = ev.customer_id"
	    "  LEFT JOIN customer_settings cs ON cs.customer_id = ev.customer_id"
	    "  WHERE (p.s->>'customer_notices')::boolean"
	    "    AND ev.received_at > clock_timestamp() - interval '7 days'"
	    "  RETURNING id, facts"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT al.id, 'notice', '', 'info', al.facts, p.now FROM al, p RETURNING 1"
	    ") SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)", 2 },

	/* Open alerts: silenced while a silence matches, else acknowledged or firing. */
	[A_STATES] = { "alerts_states",
	    P_CTE ", live AS ("
	    "  SELECT s.* FROM silences s, p"
	    "  WHERE s.ended_at IS NULL AND s.starts_at <= p.now AND s.ends_at > p.now"
	    "), x AS ("
	    "  SELECT a.id, CASE"
	    "    WHEN EXISTS (SELECT 1 FROM live s"
	    "      WHERE (s.customer_id IS NULL OR s.customer_id = a.customer_id)"
	    "        AND (s.resource_id IS NULL OR s.resource_id = a.resource_id)"
	    "        AND (s.kind IS NULL OR s.kind = a.kind)) THEN 'silenced'"
	    "    WHEN a.acked_at IS NOT NULL THEN 'acknowledged' ELSE 'firing' END AS st"
	    "  FROM alerts a WHERE a.resolved_at IS NULL"
	    /* A firing, unacknowledged alert can change only while some silence is in force. */
	    "    AND (a.state <> 'firing' OR a.acked_at IS NOT NULL OR EXISTS (SELECT 1 FROM live))"
	    ") UPDATE alerts a SET state = x.st FROM x WHERE a.id = x.id AND a.state <> x.st", 2 },

	/*
	 * What is not to be sent: anything of a silenced alert, and reminders
	 * of an acknowledged one (its expiry or freezing is still told).
	 */
	[A_SUPPRESS] = { "alerts_suppress",
	    P_CTE ", live AS ("
	    "  SELECT s.* FROM silences s, p"
	    "  WHERE s.ended_at IS NULL AND s.starts_at <= p.now AND s.ends_at > p.now"
	    "), x AS ("
	    "  SELECT n.id, CASE"
	    "    WHEN EXISTS (SELECT 1 FROM live s"
	    "      WHERE (s.customer_id IS NULL OR s.customer_id = a.customer_id)"
	    "        AND (s.resource_id IS NULL OR s.resource_id = a.resource_id)"
	    "        AND (s.kind IS NULL OR s.kind = a.kind)) THEN 'silenced'"
	    "    WHEN a.acked_at IS NOT NULL AND n.event IN ('firing', 'notice')"
	    "      AND n.stage NOT IN ('expired', 'frozen') THEN 'acknowledged' END AS why"
	    "  FROM notifications n JOIN alerts a ON a.id = n.alert_id"
	    "  WHERE n.routed_at IS NULL AND n.suppressed IS NULL"
	    ") UPDATE notifications n SET suppressed = x.why, routed_at = p.now FROM x, p"
	    "  WHERE n.id = x.id AND x.why IS NOT NULL", 2 },

	/*
	 * Routing: the customer's account manager's destinations, else the
	 * default ones (the operator's for the partner's own balance). One
	 * delivery per destination per evaluation, holding every notification
	 * routed there (a digest), or one per notification where digest is
	 * off. In quiet hours a digest waits until they end, and later
	 * notifications join the waiting one. $2 is the routing, not settings.
	 */
	[A_ROUTE] = { "alerts_route",
	    "WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS r), n AS ("
	    "  SELECT n.id, a.kind, a.customer_id FROM notifications n JOIN alerts a ON a.id = n.alert_id"
	    "  WHERE n.routed_at IS NULL AND n.suppressed IS NULL"
	    "), t AS ("
	    "  SELECT n.id AS nid, dst.name AS dest"
	    "  FROM n CROSS JOIN p LEFT JOIN customer_settings cs ON cs.customer_id = n.customer_id"
	    "  CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN n.kind = 'partner_low_balance'"
	    "      THEN COALESCE(p.r->'operator', p.r->'default')"
	    "      ELSE COALESCE(p.r->'managers'->cs.account_manager, p.r->'default') END) AS dst(name)"
	    "), dd AS ("
	    "  SELECT d.name, d.channel, d.digest, CASE"
	    "    WHEN d.quiet_start IS NULL THEN p.now"
	    "    WHEN (d.quiet_start < d.quiet_end AND l.t >= d.quiet_start AND l.t < d.quiet_end)"
	    "      OR (d.quiet_start > d.quiet_end AND (l.t >= d.quiet_start OR l.t < d.quiet_end))"
	    "      THEN ((CASE WHEN l.t < d.quiet_end THEN l.d ELSE l.d + 1 END) + d.quiet_end)"
	    "           AT TIME ZONE d.tz"
	    "    ELSE p.now END AS not_before"
	    "  FROM p CROSS JOIN jsonb_to_recordset(p.r->'dests') AS d(name text, channel text,"
	    "    digest boolean, quiet_start time, quiet_end time, tz text)"
	    "  CROSS JOIN LATERAL (SELECT (p.now AT TIME ZONE d.tz)::time AS t,"
	    "    (p.now AT TIME ZONE d.tz)::date AS d) AS l"
	    "), g AS ("
	    "  SELECT t.dest, dd.channel, dd.digest, dd.not_before, array_agg(t.nid ORDER BY t.nid) AS nids"
	    "  FROM t JOIN dd ON dd.name = t.dest"
	    "  GROUP BY t.dest, dd.channel, dd.digest, dd.not_before,"
	    "    CASE WHEN dd.digest THEN 0 ELSE t.nid END"
	    "), app AS ("
	    "  UPDATE deliveries d SET notification_ids = d.notification_ids || g.nids,"
	    "    items = d.items + cardinality(g.nids)"
	    "  FROM g WHERE g.digest AND d.id = (SELECT max(x.id) FROM deliveries x"
	    "    WHERE x.destination = g.dest AND x.state = 'pending' AND x.attempts = 0"
	    "      AND x.body IS NULL AND x.fallback_of IS NULL AND x.not_before > (SELECT now FROM p))"
	    "  RETURNING g.dest"
	    "), ins AS ("
	    "  INSERT INTO deliveries (destination, channel, notification_ids, items, created_at,"
	    "    not_before, retry_from, next_attempt_at)"
	    "  SELECT g.dest, g.channel, g.nids, cardinality(g.nids), p.now, g.not_before, g.not_before,"
	    "    g.not_before"
	    "  FROM g CROSS JOIN p WHERE NOT (g.digest AND g.dest IN (SELECT dest FROM app))"
	    "  RETURNING 1"
	    "), mark AS ("
	    "  UPDATE notifications x SET routed_at = p.now,"
	    "    suppressed = CASE WHEN k.nid IS NULL THEN 'no_route' END"
	    "  FROM n LEFT JOIN (SELECT DISTINCT t.nid FROM t JOIN dd ON dd.name = t.dest) AS k"
	    "    ON k.nid = n.id, p"
	    "  WHERE x.id = n.id"
	    "  RETURNING x.suppressed"
	    ") SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM app),"
	    "  (SELECT count(*) FROM mark WHERE suppressed IS NOT NULL)", 2 },

	[A_RUN] = { "alerts_run",
	    "INSERT INTO alert_runs (instance, evaluated_for, started_at, seconds, fired, resolved,"
	    "  notices, deliveries)"
	    " VALUES ($1, $2, clock_timestamp() - $3::double precision * interval '1 second', $3, $4,"
	    "  $5, $6, $7)", 7 },

	/* The command line's. */
	[A_LIST] = { "alerts_list",
	    "SELECT COALESCE(json_agg(x ORDER BY x.id DESC), '[]') FROM ("
	    /* Text throughout: the command line prints the values as they are. */
	    "  SELECT a.id::text AS id, a.kind, a.severity, a.state, a.stage, a.customer_id,"
	    "    a.resource_id,"
	    "    a.facts->>'customer' AS customer, a.facts->>'resource' AS resource,"
	    "    ceil(extract(epoch FROM a.expire_time - $5::timestamptz) / 86400)::int::text AS days_left,"
	    "    a.fingerprint,"
	    "    " UTC_TEXT("a.started_at") " AS started_at, " UTC_TEXT("a.resolved_at") " AS resolved_at,"
	    "    a.resolution, a.acked_by"
	    "  FROM alerts a"
	    "  WHERE ($1 OR a.resolved_at IS NULL) AND ($2 = '' OR a.kind = $2)"
	    "    AND ($3 = '' OR a.customer_id = $3)"
	    "  ORDER BY a.id DESC LIMIT $4) AS x", 5 },
	[A_ACK] = { "alerts_ack",
	    "UPDATE alerts SET acked_at = $4, acked_by = $2, ack_note = NULLIF($3, ''),"
	    "  state = CASE WHEN state = 'firing' THEN 'acknowledged' ELSE state END"
	    " WHERE resolved_at IS NULL AND (id::text = $1 OR fingerprint = $1)", 4 },
	[A_SILENCE_ADD] = { "alerts_silence_add",
	    "INSERT INTO silences (customer_id, resource_id, kind, starts_at, ends_at, created_by,"
	    "  comment)"
	    " VALUES (NULLIF($1, ''), NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, NULLIF($7, ''))"
	    " RETURNING id", 7 },
	[A_SILENCE_END] = { "alerts_silence_end",
	    "UPDATE silences SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL", 2 },
	[A_SILENCES] = { "alerts_silences",
	    "SELECT COALESCE(json_agg(x ORDER BY x.id::bigint), '[]') FROM ("
	    "  SELECT id::text AS id, customer_id, resource_id, kind,"
	    "    " UTC_TEXT("starts_at") " AS starts_at,"
	    "    " UTC_TEXT("ends_at") " AS ends_at, created_by, comment"
	    "  FROM silences WHERE ended_at IS NULL AND ends_at > $1) AS x", 1 },
	[A_ITEMS] = { "alerts_items",
	    "SELECT COALESCE(json_agg(json_build_object('kind', a.kind, 'event', n.event,"
	    "  'stage', n.stage, 'severity', n.severity, 'facts', n.facts) ORDER BY n.id), '[]')"
	    " FROM alerts a JOIN notifications n ON n.alert_id = a.id"
	    " WHERE a.id::text = $1 OR a.fingerprint = $1", 1 },
	[A_PENDING] = { "alerts_pending",
	    "SELECT COALESCE((SELECT max(id) FROM poll_runs WHERE finished_at IS NOT NULL), 0),"
	    "  EXISTS (SELECT 1 FROM callback_events WHERE notified_at IS NULL AND status = 'accepted')"
	    "  OR EXISTS (SELECT 1 FROM customer_events WHERE notified_at IS NULL)", 0 },
};

static PGresult *
run(struct store *s, int q, const char *const *params, char *err, size_t errlen,
    enum store_result *r)
{
	return store_exec(s, &qs[q], &s->alert_prepared, q, params, err, errlen, r);
}

static long
long_at(const PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQnfields(res) <= col)
		return 0;
	return strtol(PQgetvalue(res, 0, col), NULL, 10);
}

/* Runs rule q; counts[] gets its first columns (how many, by rule). */
static enum store_result
run_rule(struct store *s, int q, const char *const *params, long *counts, int ncounts, char *err,
    size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, q, params, err, errlen, &r);

	if (res == NULL)
		return r;
	for (int i = 0; i < ncounts; i++)
		counts[i] = long_at(res, i);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_alerts_evaluate(struct store *s, const char *now, const char *settings,
    const char *routing, const char *instance, struct store_eval_counts *out, char *err,
    size_t errlen)
{
	int64_t t0 = clock_mono_us();
	const char *p2[] = { now, settings };
	const char *recovered[] = { now, settings, "recovered" };
	const char *paid[] = { now, settings, "paid" };
	const char *rp[] = { now, routing };
	long c[3] = { 0, 0, 0 };
	enum store_result r;

	memset(out, 0, sizeof(*out));
	if ((r = store_exec_simple(s, "BEGIN", err, errlen)) != STORE_OK)
		return r;
	if ((r = run_rule(s, A_LOCK, NULL, c, 0, err, errlen)) != STORE_OK)
		goto fail;

	/* Resolve before firing: a renewal ends the old expiry's alert, then the new one may start. */
	if ((r = run_rule(s, A_EXPIRY_RESOLVE, p2, c, 2, err, errlen)) != STORE_OK)
		goto fail;
	out->resolved += c[0];
	out->notifications += c[1];
	if ((r = run_rule(s, A_EXPIRY_FIRE, p2, c, 2, err, errlen)) != STORE_OK)
		goto fail;
	out->fired += c[0];
	out->notifications += c[1];
	{
		static const int rules[] = { A_LOW_BALANCE, A_ARREARS, A_RUNWAY, A_PARTNER };

		for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
			r = run_rule(s, rules[i], rules[i] == A_ARREARS ? paid : recovered, c, 3, err,
			    errlen);
			if (r != STORE_OK)
				goto fail;
			out->fired += c[0];
			out->resolved += c[1];
			out->notifications += c[2];
		}
	}
	if ((r = run_rule(s, A_CUSTOMER_NOTICES, p2, c, 2, err, errlen)) != STORE_OK)
		goto fail;
	out->notices += c[1];
	out->notifications += c[1];
	if ((r = run_rule(s, A_BIND_NOTICES, p2, c, 2, err, errlen)) != STORE_OK)
		goto fail;
	out->notices += c[1];
	out->notifications += c[1];
	if ((r = run_rule(s, A_STATES, p2, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, A_SUPPRESS, p2, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, A_ROUTE, rp, c, 3, err, errlen)) != STORE_OK)
		goto fail;
	out->deliveries = c[0];
	out->appended = c[1];
	out->unrouted = c[2];
	{
		char secs[32], f[24], rs[24], n[24], d[24];
		const char *params[] = { instance, now, secs, f, rs, n, d };

		snprintf(secs, sizeof(secs), "%.6f", (double)(clock_mono_us() - t0) / 1e6);
		snprintf(f, sizeof(f), "%ld", out->fired);
		snprintf(rs, sizeof(rs), "%ld", out->resolved);
		snprintf(n, sizeof(n), "%ld", out->notifications);
		snprintf(d, sizeof(d), "%ld", out->deliveries);
		if ((r = run_rule(s, A_RUN, params, c, 0, err, errlen)) != STORE_OK)
			goto fail;
	}
	return store_exec_simple(s, "COMMIT", err, errlen);
fail:
	store_rollback(s);
	return r;
}

static enum store_result
json_result(struct store *s, int q, const char *const *params, char **json, char *err,
    size_t errlen)
{
	return store_exec_text(s, &qs[q], &s->alert_prepared, q, params, json, err, errlen);
}

enum store_result
store_alerts_list(struct store *s, bool all, const char *kind, const char *customer, int limit,
    const char *now, char **json, char *err, size_t errlen)
{
	char lim[16];
	const char *params[] = { all ? "true" : "false", kind ? kind : "", customer ? customer : "",
		lim, now };

	snprintf(lim, sizeof(lim), "%d", limit);
	return json_result(s, A_LIST, params, json, err, errlen);
}

enum store_result
store_alert_ack(struct store *s, const char *ref, const char *by, const char *note,
    const char *now, long *n, char *err, size_t errlen)
{
	const char *params[] = { ref, by, note ? note : "", now };
	enum store_result r;
	PGresult *res = run(s, A_ACK, params, err, errlen, &r);

	*n = 0;
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_silence_add(struct store *s, const char *customer, const char *resource, const char *kind,
    const char *starts, const char *ends, const char *by, const char *comment, long *id,
    char *err, size_t errlen)
{
	const char *params[] = { customer ? customer : "", resource ? resource : "",
		kind ? kind : "", starts, ends, by, comment ? comment : "" };
	long c[1] = { 0 };
	enum store_result r = run_rule(s, A_SILENCE_ADD, params, c, 1, err, errlen);

	*id = r == STORE_OK ? c[0] : 0;
	return r;
}

enum store_result
store_silence_end(struct store *s, long id, const char *now, long *n, char *err, size_t errlen)
{
	char ids[24];
	const char *params[] = { ids, now };
	enum store_result r;
	PGresult *res;

	snprintf(ids, sizeof(ids), "%ld", id);
	res = run(s, A_SILENCE_END, params, err, errlen, &r);
	*n = 0;
	if (res == NULL)
		return r;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

enum store_result
store_silences_list(struct store *s, const char *now, char **json, char *err, size_t errlen)
{
	const char *params[] = { now };

	return json_result(s, A_SILENCES, params, json, err, errlen);
}

enum store_result
store_alert_items(struct store *s, const char *ref, char **json, char *err, size_t errlen)
{
	const char *params[] = { ref };

	return json_result(s, A_ITEMS, params, json, err, errlen);
}

enum store_result
store_alerts_pending(struct store *s, long *last_run, bool *events, char *err, size_t errlen)
{
	enum store_result r;
	PGresult *res = run(s, A_PENDING, NULL, err, errlen, &r);

	*last_run = 0;
	*events = false;
	if (res == NULL)
		return r;
	*last_run = long_at(res, 0);
	*events = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return STORE_OK;
}
