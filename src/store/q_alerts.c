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
	A_PREV,
	A_EXPIRY_FULL,
	A_CHANGES_TABLE,
	A_CHANGES,
	A_CHANGES_ANALYZE,
	A_ANALYZE,
	A_EXPIRY_CHANGES,
	A_LOW_BALANCE,
	A_ARREARS,
	A_RUNWAY,
	A_PARTNER,
	A_CUSTOMER_NOTICES,
	A_BIND_NOTICES,
	A_SELF,
	A_STATES,
	A_SUPPRESS,
	A_ROUTE,
	A_RUN,
	A_LIST,
	A_ACK,
	A_SILENCE_CHECK,
	A_SILENCE_ADD,
	A_SILENCE_END,
	A_SILENCES,
	A_ITEMS,
	A_PENDING,
	A_GAUGES,
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
	"  WHERE a.id = o.id AND a.id = ANY (ARRAY(SELECT id FROM o))" \
	"    AND (c.customer_id IS NULL OR c.inapplicable OR (c.applicable AND c.clear))" \
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

/*
 * The expiry ladder is one statement in two forms: a full pass over every
 * resource near its expiry, and a pass over only those whose stage may
 * have moved since the previous evaluation (see migration 0004).
 */
#define EXPIRY_CFG \
	P_CTE ", cfg AS MATERIALIZED (" \
	"  SELECT p.now, p.s->>'tz' AS tz," \
	"    ARRAY(SELECT x::int FROM jsonb_array_elements_text(p.s->'stages') AS x ORDER BY 1)" \
	"      AS stages," \
	"    greatest((p.s->>'max_days')::int, COALESCE((SELECT max(x) FROM customer_settings," \
	"      unnest(expiry_stages) AS x), 0)) AS max_days," \
	"    (p.s->>'expired')::boolean AS expired, (p.s->>'frozen')::boolean AS frozen," \
	"    (p.s->>'notice')::boolean AS notice, (p.s->>'critical_days')::int AS critical_days" \
	"  FROM p" \
	"), svc AS MATERIALIZED (" \
	"  SELECT e.key AS code," \
	"    ARRAY(SELECT x::int FROM jsonb_array_elements_text(e.value) AS x ORDER BY 1) AS stages" \
	"  FROM p CROSS JOIN jsonb_each(COALESCE(p.s->'by_service', '{}'::jsonb)) AS e" \
	"), cst AS MATERIALIZED (" \
	"  SELECT customer_id, ARRAY(SELECT x FROM unnest(expiry_stages) AS x ORDER BY 1) AS stages" \
	"  FROM customer_settings WHERE expiry_stages IS NOT NULL"
#define EXPIRY_R(FROM) \
	"), r AS (" \
	"  SELECT r.id AS rid, r.customer_id, r.resource_id, r.status, r.expire_time," \
	"    r.resource_name, r.service_type_code, r.service_type_name, r.resource_type_name," \
	"    r.region_code, r.expire_policy, ceil(extract(epoch FROM r.expire_time - cfg.now) / 86400)::int" \
	"      AS days_left, COALESCE(cst.stages, svc.stages, cfg.stages) AS stages" \
	"  FROM " FROM " CROSS JOIN cfg" \
	"  LEFT JOIN cst ON cst.customer_id = r.customer_id" \
	"  LEFT JOIN svc ON svc.code = r.service_type_code" \
	"  WHERE r.gone_at IS NULL AND r.expire_time IS NOT NULL AND r.status IN (2, 4, 5)" \
	"    AND (r.expire_time <= cfg.now + cfg.max_days * interval '1 day' OR r.status IN (4, 5))"
/* Stage arrays are sorted ascending, so width_bucket finds the stage without a subquery. */
#define EXPIRY_C \
	"), c AS (" \
	"  SELECT r.rid, r.customer_id, r.resource_id, r.expire_time, r.expire_policy, r.days_left," \
	"    r.resource_name, r.service_type_code, r.service_type_name, r.resource_type_name," \
	"    r.region_code, CASE" \
	"    WHEN r.status = 4 THEN CASE WHEN cfg.frozen THEN 'frozen' END" \
	"    WHEN r.status = 5 OR r.expire_time <= cfg.now THEN CASE WHEN cfg.expired THEN 'expired' END" \
	"    WHEN r.stages[width_bucket(r.days_left - 1, r.stages) + 1] IS NULL THEN NULL" \
	"    WHEN r.expire_policy = 3 AND r.days_left > r.stages[1]" \
	"      THEN CASE WHEN cfg.notice THEN 'notice' END" \
	"    ELSE r.stages[width_bucket(r.days_left - 1, r.stages) + 1] || 'd' END AS stage" \
	"  FROM r CROSS JOIN cfg"
#define EXPIRY_O(FROM) \
	"), o AS (" \
	"  SELECT a.id, a.customer_id, a.resource_id, a.expire_time, a.stage FROM " FROM \
	"  WHERE a.kind = 'expiry' AND a.resolved_at IS NULL"
#define EXPIRY_TAIL \
	"), j AS MATERIALIZED (" \
	"  SELECT c.rid, c.customer_id, c.resource_id, c.expire_time, c.expire_policy, c.days_left," \
	"    c.resource_name, c.service_type_code, c.service_type_name, c.resource_type_name," \
	"    c.region_code, c.stage, o.id AS alert_id, o.customer_id AS o_customer, o.resource_id AS o_resource," \
	"    o.expire_time AS o_expire, o.stage AS o_stage," \
	"    o.expire_time IS NOT DISTINCT FROM c.expire_time AS same" \
	"  FROM c FULL JOIN o ON o.customer_id = c.customer_id AND o.resource_id = c.resource_id" \
	"  WHERE (o.id IS NULL AND c.stage IS NOT NULL)" \
	"    OR o.expire_time IS DISTINCT FROM c.expire_time OR o.stage IS DISTINCT FROM c.stage" \
	"), x AS (" \
	"  SELECT j.alert_id, rr.expire_time AS new_expire," \
	"    CASE WHEN rr.id IS NULL OR rr.gone_at IS NOT NULL THEN 'gone'" \
	"         WHEN rr.expire_time > j.o_expire THEN 'renewed'" \
	"         WHEN rr.expire_time IS DISTINCT FROM j.o_expire THEN 'expiry_changed'" \
	"         WHEN rr.status = 3 THEN 'closed' END AS resolution" \
	"  FROM j LEFT JOIN resources rr" \
	"    ON rr.customer_id = j.o_customer AND rr.resource_id = j.o_resource" \
	"  WHERE j.alert_id IS NOT NULL AND NOT j.same" \
	"), done AS (" \
	"  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now," \
	"    resolution = x.resolution" \
	"  FROM x, p WHERE a.id = x.alert_id AND x.resolution IS NOT NULL" \
	"    AND a.id = ANY (ARRAY(SELECT alert_id FROM x WHERE resolution IS NOT NULL))" \
	"  RETURNING a.id, x.resolution, a.facts, x.new_expire" \
	"), ch AS MATERIALIZED (" \
	"  SELECT j.customer_id, j.resource_id, j.expire_time, j.stage," \
	"    CASE WHEN j.same THEN j.alert_id END AS alert_id," \
	"    CASE WHEN j.stage = 'notice' THEN 'info'" \
	"         WHEN j.stage IN ('expired', 'frozen') OR j.days_left <= cfg.critical_days" \
	"           THEN 'critical' ELSE 'warning' END AS severity," \
	"    jsonb_build_object('customer_id', j.customer_id," \
	"      'customer', " CUSTOMER_NAME("cu", "j.customer_id") "," \
	"      'account_name', cu.account_name, 'resource_id', j.resource_id," \
	"      'resource', COALESCE(j.resource_name, j.resource_id)," \
	"      'service', COALESCE(j.service_type_name, j.service_type_code)," \
	"      'resource_type', j.resource_type_name, 'region', j.region_code," \
	"      'expire_time', " UTC_TEXT("j.expire_time") "," \
	"      'expire_local', to_char(j.expire_time AT TIME ZONE cfg.tz, 'YYYY-MM-DD HH24:MI')," \
	"      'days_left', j.days_left, 'auto_renew', j.expire_policy = 3," \
	"      'stage', j.stage, 'manager', cs.account_manager) AS facts" \
	"  FROM j CROSS JOIN cfg" \
	"  LEFT JOIN customers cu ON cu.customer_id = j.customer_id" \
	"  LEFT JOIN customer_settings cs ON cs.customer_id = j.customer_id" \
	"  WHERE j.stage IS NOT NULL AND (NOT j.same OR j.alert_id IS NULL" \
	"    OR j.o_stage IS DISTINCT FROM j.stage)" \
	"), upd AS (" \
	/* No indexed column changes: a heap-only update (the table keeps free space). */ \
	"  UPDATE alerts a SET stage = ch.stage, severity = ch.severity, updated_at = p.now" \
	"  FROM ch CROSS JOIN p WHERE ch.alert_id IS NOT NULL AND a.id = ch.alert_id" \
	"    AND a.id = ANY (ARRAY(SELECT alert_id FROM ch WHERE alert_id IS NOT NULL))" \
	"  RETURNING a.id, a.stage, a.severity, ch.facts" \
	"), new AS (" \
	"  INSERT INTO alerts AS a (fingerprint, kind, severity, customer_id, resource_id," \
	"    expire_time, stage, facts, started_at, updated_at)" \
	"  SELECT 'expiry/' || ch.customer_id || '/' || ch.resource_id || '/' ||" \
	"      to_char(ch.expire_time AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')," \
	"    'expiry', ch.severity, ch.customer_id, ch.resource_id, ch.expire_time, ch.stage," \
	"    ch.facts, p.now, p.now" \
	"  FROM ch CROSS JOIN p WHERE ch.alert_id IS NULL" \
	"  ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING" \
	"  RETURNING a.id, a.stage, a.severity, a.facts" \
	"), ins AS (" \
	"  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)" \
	"  SELECT d.id, 'resolved', d.resolution, 'info', d.facts || jsonb_build_object(" \
	"      'resolution', d.resolution, 'new_expire_time', " UTC_TEXT("d.new_expire") "," \
	"      'new_expire_local', " LOCAL_TEXT("d.new_expire") "), p.now" \
	"  FROM done d, p WHERE " TOLD("d") \
	"  UNION ALL" \
	"  SELECT u.id, CASE WHEN u.stage = 'notice' THEN 'notice' ELSE 'firing' END, u.stage," \
	"    u.severity, u.facts, p.now" \
	"  FROM (SELECT * FROM upd UNION ALL SELECT * FROM new) AS u CROSS JOIN p" \
	"  ON CONFLICT (alert_id, event, stage) DO NOTHING" \
	"  RETURNING 1" \
	") SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM new)," \
	"  (SELECT count(*) FROM done), (SELECT count(*) FROM ins)"

static const struct store_stmt qs[A_COUNT] = {
	[A_LOCK] = { "alerts_lock", "SELECT pg_advisory_xact_lock(" EVAL_LOCK_KEY ")", 0 },

	/*
	 * Whether the ladder may read only what changed: the previous run
	 * used the same settings, its clock is not ahead of this one, and not
	 * so far behind that the crossings would cover most resources anyway.
	 * Also the highest change this run sees (writers are locked out). The
	 * hash leaves out the settings of hcwatch's own alerts: they move no
	 * resource's stage.
	 */
	[A_PREV] = { "alerts_prev",
	    "SELECT to_char(r.evaluated_for AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    "  r.resource_seq, COALESCE(r.settings_hash = md5(($2::jsonb - 'self')::text)"
	    "    AND r.resource_seq IS NOT NULL"
	    "    AND r.evaluated_for <= $1::timestamptz"
	    "    AND r.evaluated_for > $1::timestamptz - interval '7 days', false),"
	    "  (SELECT COALESCE(max(changed_seq), 0) FROM resources), md5(($2::jsonb - 'self')::text),"
	    "  (SELECT COALESCE(max(id), 0) FROM notifications)"
	    " FROM (SELECT 1) AS one LEFT JOIN LATERAL ("
	    "  SELECT evaluated_for, resource_seq, settings_hash FROM alert_runs ORDER BY id DESC LIMIT 1"
	    ") AS r ON true", 2 },

	/*
	 * The expiry ladder: a pass over every resource near its expiry (the
	 * first run, or after the settings changed), or over those whose stage
	 * may have moved (A_CHANGES).
	 *
	 * A resource's stage is the nearest stage it has passed (the smallest
	 * number of days not below the days left), or expired, or frozen; its
	 * stages come from customer_settings, else its service type, else the
	 * default. Auto-renew resources (expire_policy 3) have one 'notice'
	 * stage until the last one. An alert whose stage changed gets a
	 * notification, and the unique key (alert, event, stage) makes each
	 * stage fire once.
	 *
	 * An open alert ends when its resource's expiry moves (a renewal when
	 * later), or the resource is gone or closed; those whose firing was
	 * sent get a resolution notice (an auto-renew notice alone does not).
	 * Only alerts whose resource is not in the pass at the same expiry can
	 * end, so only those look their resource up.
	 */
	[A_EXPIRY_FULL] = { "alerts_expiry_full",
	    EXPIRY_CFG EXPIRY_R("resources r") EXPIRY_C EXPIRY_O("alerts a") EXPIRY_TAIL, 2 },
	/*
	 * The resources whose stage may have moved since the previous run:
	 * $3 and $4 are its clock and the highest change it saw. Beyond the
	 * changes, a stage moves only where the days left cross a stage's
	 * number (or zero): the expiry is that many days after a moment in
	 * ($3, now]. A table, so that the planner knows their number.
	 */
	[A_CHANGES_TABLE] = { "alerts_changes_table",
	    "CREATE TEMP TABLE ladder_changes (id bigint PRIMARY KEY, customer_id text NOT NULL,"
	    "  resource_id text NOT NULL) ON COMMIT DROP", 0 },
	[A_CHANGES] = { "alerts_changes",
	    EXPIRY_CFG "), bounds AS MATERIALIZED ("
	    "  SELECT $3::timestamptz + x.d * interval '1 day' AS lo,"
	    "    cfg.now + x.d * interval '1 day' AS hi"
	    "  FROM (SELECT 0 AS d UNION SELECT unnest(stages) FROM cfg"
	    "    UNION SELECT unnest(stages) FROM svc UNION SELECT unnest(stages) FROM cst) AS x"
	    "  CROSS JOIN cfg"
	    ") INSERT INTO ladder_changes"
	    "  SELECT r.id, r.customer_id, r.resource_id FROM resources r"
	    "  WHERE r.changed_seq > $4::bigint"
	    "  UNION"
	    "  SELECT r.id, r.customer_id, r.resource_id FROM bounds b"
	    "  JOIN resources r ON r.expire_time > b.lo AND r.expire_time <= b.hi"
	    "  WHERE r.gone_at IS NULL", 4 },
	[A_CHANGES_ANALYZE] = { "alerts_changes_analyze", "ANALYZE ladder_changes", 0 },
	/*
	 * At the end of a full pass, which may have opened alerts by the
	 * hundred thousand. Until autovacuum's next look the following runs
	 * would be planned on the old row counts: the pass over changes then
	 * walked every open expiry alert for each change (8 s instead of
	 * under 1 s at 50,000 resources). At the end, so that every rule's
	 * new alerts are counted.
	 */
	[A_ANALYZE] = { "alerts_analyze", "ANALYZE alerts, notifications, deliveries", 0 },
	[A_EXPIRY_CHANGES] = { "alerts_expiry_changes",
	    /* Lookups, one per changed resource: the planner would rather read both tables whole. */
	    EXPIRY_CFG EXPIRY_R("ladder_changes k CROSS JOIN LATERAL"
	    "  (SELECT * FROM resources r WHERE r.id = k.id OFFSET 0) AS r") EXPIRY_C
	    EXPIRY_O("ladder_changes k CROSS JOIN LATERAL (SELECT * FROM alerts a"
	    "  WHERE a.customer_id = k.customer_id AND a.resource_id = k.resource_id"
	    "    AND a.kind = 'expiry' AND a.resolved_at IS NULL OFFSET 0) AS a")
	    EXPIRY_TAIL, 2 },

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
	 * (the drops between snapshots; top-ups do not count) in the trailing
	 * window of whole UTC days, read from the per-day sums that
	 * balance_snapshots' trigger keeps (migration 0005). Needs at least a
	 * day of history.
	 */
	[A_RUNWAY] = { "alerts_runway",
	    P_CTE ", sp AS ("
	    "  SELECT b.customer_id, sum(b.spent) AS spent,"
	    "    extract(epoch FROM max(b.last_at) - min(b.first_at)) / 86400 AS days"
	    "  FROM balance_days b CROSS JOIN p"
	    "  WHERE b.day > ((p.now - (p.s->>'runway_window')::int * interval '1 day')"
	    "      AT TIME ZONE 'UTC')::date"
	    "    AND b.day <= (p.now AT TIME ZONE 'UTC')::date"
	    "  GROUP BY b.customer_id"
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
	/*
	 * hcwatch's own trouble, from what every instance records, so that
	 * any instance judges it alike, and by the real clock (clock_offset
	 * drills the customer rules, not this). c has a row per subject that
	 * can be judged, with fire and clear; an open alert is resolved when
	 * clear holds or its subject is gone (dead letters replayed).
	 */
	[A_SELF] = { "alerts_self",
	    P_CTE ", jobs AS ("
	    "  SELECT unnest(ARRAY['customers', 'balances', 'resources', 'partner']) AS job"
	    "), c AS ("
	    /* The credentials: the latest run that got an answer either way decides. */
	    "  SELECT 'credentials_rejected/' || j.job AS fp, 'credentials_rejected' AS kind,"
	    "    'critical' AS severity, 'rejected' AS stage, r.auth_failed AS fire,"
	    "    NOT r.auth_failed AS clear,"
	    "    jsonb_build_object('scope', 'hcwatch', 'job', j.job, 'error', r.detail,"
	    "      'at_local', " LOCAL_TEXT("r.finished_at") ") AS facts"
	    "  FROM jobs j CROSS JOIN p CROSS JOIN LATERAL ("
	    "    SELECT x.auth_failed, x.detail, x.finished_at FROM poll_runs x"
	    "    WHERE x.job = j.job AND x.finished_at IS NOT NULL"
	    "      AND (x.auth_failed OR x.status IN ('ok', 'partial'))"
	    "    ORDER BY x.started_at DESC LIMIT 1) AS r"
	    "  WHERE (p.s->'self'->'on'->>'credentials_rejected')::boolean"
	    "  UNION ALL"
	    /*
	     * The schedule: the next good run of a job should end by the last
	     * good one's end + its interval + as long as it took, plus grace.
	     * Never a good run: grace after the first run ended.
	     */
	    "  SELECT 'poller_behind/' || j.job, 'poller_behind', 'warning', 'behind',"
	    "    now() > b.due + b.grace, now() <= b.due + b.grace,"
	    "    jsonb_build_object('scope', 'hcwatch', 'job', j.job,"
	    "      'last_ok_local', " LOCAL_TEXT("b.last_ok") ","
	    "      'due_local', " LOCAL_TEXT("b.due + b.grace") ")"
	    "  FROM jobs j CROSS JOIN p"
	    "  LEFT JOIN LATERAL ("
	    "    SELECT x.started_at, x.finished_at, x.interval_seconds FROM poll_runs x"
	    "    WHERE x.job = j.job AND x.interval_seconds IS NOT NULL"
	    "      AND x.status IN ('ok', 'partial')"
	    "    ORDER BY x.started_at DESC LIMIT 1) AS g ON true"
	    "  CROSS JOIN LATERAL (SELECT g.finished_at AS last_ok,"
	    "    COALESCE(g.finished_at + g.interval_seconds * interval '1 second'"
	    "             + (g.finished_at - g.started_at),"
	    "      (SELECT min(x.finished_at) FROM poll_runs x"
	    "       WHERE x.job = j.job AND x.interval_seconds IS NOT NULL)) AS due,"
	    "    (p.s->'self'->>'poller_grace')::int * interval '1 second' AS grace) AS b"
	    "  WHERE (p.s->'self'->'on'->>'poller_behind')::boolean AND b.due IS NOT NULL"
	    "  UNION ALL"
	    /* A destination: a delivery to it became a dead letter since its last success. */
	    "  SELECT 'channel_failing/' || d.destination, 'channel_failing', 'critical', 'failing',"
	    "    d.dead_at > COALESCE(ds.last_ok_at, '-infinity'),"
	    "    d.dead_at <= COALESCE(ds.last_ok_at, '-infinity'),"
	    "    jsonb_build_object('scope', 'hcwatch', 'destination', d.destination,"
	    "      'channel', d.channel, 'error', d.last_error, 'code', d.platform_code,"
	    "      'dead', d.n, 'at_local', " LOCAL_TEXT("d.dead_at") ")"
	    "  FROM (SELECT DISTINCT ON (x.destination) x.destination, x.channel, x.last_error,"
	    "      x.platform_code, x.dead_at, count(*) OVER (PARTITION BY x.destination) AS n"
	    "    FROM deliveries x WHERE x.state = 'dead'"
	    "    ORDER BY x.destination, x.dead_at DESC NULLS LAST) AS d"
	    "  LEFT JOIN destination_state ds ON ds.destination = d.destination CROSS JOIN p"
	    "  WHERE (p.s->'self'->'on'->>'channel_failing')::boolean"
	    "  UNION ALL"
	    /* Dead letters: fires at the threshold, clears under half of it. */
	    "  SELECT 'dead_letters', 'dead_letters', 'warning', 'piling_up', x.n >= t.thr,"
	    "    x.n * 2 < t.thr,"
	    "    jsonb_build_object('scope', 'hcwatch', 'dead', x.n, 'threshold', t.thr)"
	    "  FROM p CROSS JOIN LATERAL (SELECT (p.s->'self'->>'dead_letters')::int AS thr) AS t"
	    "  CROSS JOIN LATERAL (SELECT count(*) AS n FROM deliveries WHERE state = 'dead') AS x"
	    "  WHERE (p.s->'self'->'on'->>'dead_letters')::boolean"
	    "), o AS ("
	    "  SELECT a.id, a.fingerprint, a.kind, a.facts FROM alerts a"
	    "  WHERE a.kind IN ('credentials_rejected', 'poller_behind', 'channel_failing',"
	    "    'dead_letters') AND a.resolved_at IS NULL"
	    "), fire AS ("
	    "  INSERT INTO alerts (fingerprint, kind, severity, stage, facts, started_at, updated_at)"
	    "  SELECT c.fp, c.kind, c.severity, c.stage, c.facts, p.now, p.now FROM c CROSS JOIN p"
	    "  WHERE c.fire AND NOT EXISTS (SELECT 1 FROM o WHERE o.fingerprint = c.fp)"
	    "  RETURNING id, stage, severity, facts"
	    "), res AS ("
	    "  UPDATE alerts a SET state = 'resolved', resolved_at = p.now, updated_at = p.now,"
	    "    resolution = CASE WHEN COALESCE((p.s->'self'->'on'->>o.kind)::boolean, false)"
	    "      THEN 'recovered' ELSE 'not_applicable' END"
	    "  FROM o LEFT JOIN c ON c.fp = o.fingerprint, p"
	    "  WHERE a.id = o.id AND (c.fp IS NULL OR c.clear)"
	    "  RETURNING a.id, a.resolution, COALESCE(c.facts, o.facts) AS facts"
	    "), ins AS ("
	    "  INSERT INTO notifications (alert_id, event, stage, severity, facts, created_at)"
	    "  SELECT fire.id, 'firing', fire.stage, fire.severity, fire.facts, p.now FROM fire, p"
	    "  UNION ALL"
	    "  SELECT res.id, 'resolved', res.resolution, 'info', res.facts, p.now FROM res, p"
	    "  WHERE res.resolution <> 'not_applicable' AND " TOLD("res")
	    "  RETURNING 1"
	    ")"
	    "SELECT (SELECT count(*) FROM fire), (SELECT count(*) FROM res), (SELECT count(*) FROM ins)", 2 },

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
	    "  WHERE n.id > $3::bigint AND n.suppressed IS NULL"
	    /* Without a silence or an acknowledgement in play, nothing is suppressed. */
	    "    AND (EXISTS (SELECT 1 FROM live) OR a.acked_at IS NOT NULL)"
	    ") UPDATE notifications n SET suppressed = x.why, routed_at = p.now FROM x, p"
	    "  WHERE n.id = x.id AND x.why IS NOT NULL", 3 },

	/*
	 * Routing: the customer's account manager's destinations, else the
	 * default ones (the operator's for the partner's own balance and for
	 * hcwatch's own trouble). One
	 * delivery per destination per evaluation, holding every notification
	 * routed there (a digest), or one per notification where digest is
	 * off. In quiet hours a digest waits until they end, and later
	 * notifications join the waiting one. $2 is the routing, not settings;
	 * this run's notifications are those above $3 (see A_PREV). Only those
	 * no destination takes are marked.
	 */
	[A_ROUTE] = { "alerts_route",
	    "WITH p AS (SELECT $1::timestamptz AS now, $2::jsonb AS r), n AS MATERIALIZED ("
	    "  SELECT n.id, a.kind IN ('partner_low_balance', 'credentials_rejected', 'poller_behind',"
	    "    'channel_failing', 'dead_letters') AS partner, cs.account_manager,"
	    /* Not about a destination's failure to that destination. */
	    "    CASE WHEN a.kind = 'channel_failing' THEN a.facts->>'destination' END AS avoid"
	    "  FROM notifications n JOIN alerts a ON a.id = n.alert_id"
	    "  LEFT JOIN customer_settings cs ON cs.customer_id = a.customer_id"
	    "  WHERE n.id > $3::bigint AND n.suppressed IS NULL"
	    "), mgr AS MATERIALIZED ("
	    "  SELECT m.key AS manager, d.dest FROM p CROSS JOIN jsonb_each(p.r->'managers') AS m"
	    "  LEFT JOIN LATERAL jsonb_array_elements_text(m.value) AS d(dest) ON true"
	    "), t AS ("
	    "  SELECT n.id AS nid, mgr.dest FROM n JOIN mgr ON mgr.manager = n.account_manager"
	    "  WHERE NOT n.partner AND mgr.dest IS NOT NULL"
	    "  UNION ALL"
	    "  SELECT n.id, d.dest FROM n CROSS JOIN p"
	    "  CROSS JOIN jsonb_array_elements_text(p.r->'default') AS d(dest)"
	    "  WHERE NOT n.partner AND NOT EXISTS (SELECT 1 FROM mgr WHERE mgr.manager = n.account_manager)"
	    "  UNION ALL"
	    "  SELECT n.id, d.dest FROM n CROSS JOIN p"
	    "  CROSS JOIN jsonb_array_elements_text(COALESCE(p.r->'operator', p.r->'default')) AS d(dest)"
	    "  WHERE n.partner AND d.dest IS DISTINCT FROM n.avoid"
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
	    "), td AS MATERIALIZED ("
	    "  SELECT t.nid, t.dest, dd.channel, dd.digest, dd.not_before FROM t JOIN dd ON dd.name = t.dest"
	    "), g AS ("
	    "  SELECT dest, channel, digest, not_before, array_agg(nid ORDER BY nid) AS nids"
	    "  FROM td GROUP BY dest, channel, digest, not_before, CASE WHEN digest THEN 0 ELSE nid END"
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
	    "  UPDATE notifications x SET routed_at = p.now, suppressed = 'no_route'"
	    "  FROM n CROSS JOIN p"
	    "  WHERE x.id = n.id AND NOT EXISTS (SELECT 1 FROM td WHERE td.nid = n.id)"
	    "  RETURNING 1"
	    ") SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM app),"
	    "  (SELECT count(*) FROM mark)", 3 },

	[A_RUN] = { "alerts_run",
	    "INSERT INTO alert_runs (instance, evaluated_for, started_at, seconds, fired, resolved,"
	    "  notices, deliveries, settings_hash, resource_seq, full_pass)"
	    " VALUES ($1, $2, clock_timestamp() - $3::double precision * interval '1 second', $3, $4,"
	    "  $5, $6, $7, $8, $9, $10)", 10 },

	/* The command line's. */
	[A_LIST] = { "alerts_list",
	    "SELECT COALESCE(json_agg(x ORDER BY x.id::bigint DESC), '[]') FROM ("
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
	/*
	 * Whether the customer and the resource a silence names exist; if the
	 * customer does not, the ids of customers with that account or company
	 * name (a name given for an id).
	 */
	[A_SILENCE_CHECK] = { "alerts_silence_check",
	    "SELECT ($1 = '' OR EXISTS (SELECT 1 FROM customers WHERE customer_id = $1))::text,"
	    "  COALESCE((SELECT string_agg(customer_id, ', ' ORDER BY customer_id) FROM ("
	    "    SELECT customer_id FROM customers WHERE $1 <> '' AND customer_id IS NOT NULL"
	    "      AND (account_name = $1 OR customer_name = $1) LIMIT 5) x), ''),"
	    "  ($2 = '' OR EXISTS (SELECT 1 FROM resources WHERE resource_id = $2))::text", 2 },
	/*
	 * A silence, and at once the state of the open alerts it covers (the
	 * evaluation would set it only at its next run); counts them.
	 */
	[A_SILENCE_ADD] = { "alerts_silence_add",
	    "WITH ins AS ("
	    "  INSERT INTO silences (customer_id, resource_id, kind, starts_at, ends_at, created_by,"
	    "    comment)"
	    "  VALUES (NULLIF($1, ''), NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, NULLIF($7, ''))"
	    "  RETURNING id"
	    "), covered AS ("
	    "  SELECT a.id, a.state FROM alerts a"
	    "  WHERE a.resolved_at IS NULL AND ($1 = '' OR a.customer_id = $1)"
	    "    AND ($2 = '' OR a.resource_id = $2) AND ($3 = '' OR a.kind = $3)"
	    "), quiet AS ("
	    "  UPDATE alerts a SET state = 'silenced' FROM covered c"
	    "  WHERE a.id = c.id AND c.state <> 'silenced'"
	    "  RETURNING 1"
	    ") SELECT (SELECT id FROM ins), (SELECT count(*) FROM covered),"
	    "  (SELECT count(*) FROM quiet)", 7 },
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
	/* /metrics' gauges, as Prometheus text; shared by every instance, so read from here. */
	[A_GAUGES] = { "alerts_gauges",
	    "SELECT concat_ws(E'\\n',"
	    "  '# HELP hcwatch_alerts Open alerts by kind and state.', '# TYPE hcwatch_alerts gauge',"
	    "  (SELECT string_agg(format('hcwatch_alerts{kind=\"%s\",state=\"%s\"} %s', kind, state, n),"
	    "     E'\\n' ORDER BY kind, state)"
	    "   FROM (SELECT kind, state, count(*) AS n FROM alerts WHERE resolved_at IS NULL"
	    "         GROUP BY 1, 2) AS a),"
	    "  '# HELP hcwatch_outbox_depth Deliveries waiting to be sent, by destination.',"
	    "  '# TYPE hcwatch_outbox_depth gauge',"
	    "  (SELECT string_agg(format('hcwatch_outbox_depth{destination=\"%s\"} %s',"
	    "     replace(destination, '\"', ''), n), E'\\n' ORDER BY destination)"
	    "   FROM (SELECT destination, count(*) AS n FROM deliveries"
	    "         WHERE state IN ('pending', 'sending') GROUP BY 1) AS d),"
	    "  '# HELP hcwatch_outbox_oldest_seconds Age of the oldest delivery due now.',"
	    "  '# TYPE hcwatch_outbox_oldest_seconds gauge',"
	    "  format('hcwatch_outbox_oldest_seconds %s', COALESCE((SELECT round(extract(epoch FROM"
	    "     now() - min(not_before))::numeric, 3) FROM deliveries"
	    "     WHERE state IN ('pending', 'sending') AND not_before <= now()), 0)),"
	    "  '# HELP hcwatch_dead_letters Deliveries that are dead letters, by destination.',"
	    "  '# TYPE hcwatch_dead_letters gauge',"
	    "  (SELECT string_agg(format('hcwatch_dead_letters{destination=\"%s\"} %s',"
	    "     replace(destination, '\"', ''), n), E'\\n' ORDER BY destination)"
	    "   FROM (SELECT destination, count(*) AS n FROM deliveries WHERE state = 'dead'"
	    "         GROUP BY 1) AS d)"
	    ") || E'\\n'", 0 },
	[A_PENDING] = { "alerts_pending",
	    /* The latest end of a run, not the highest id: runs started together end in any order. */
	    "SELECT COALESCE((SELECT (extract(epoch FROM max(finished_at)) * 1000000)::bigint"
	    "  FROM poll_runs), 0),"
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

/*
 * What A_PREV finds at the start of a run: the highest resource change,
 * the settings' hash, and the highest notification id before this run.
 * Notifications are written only by evaluations, one at a time under
 * EVAL_LOCK_KEY, so this run's are exactly those above last_nid.
 */
struct run_marks {
	char seq[24];
	char hash[40];
	char last_nid[24];
};

/*
 * The ladder: over only the resources whose stage may have moved when the
 * previous run allows it (A_PREV), else over all of them. Resource writers
 * wait until the commit, so no change below *seq can commit after this
 * pass without being in it. counts[] as from run_rule.
 */
static enum store_result
expiry(struct store *s, const char *now, const char *settings, bool full,
    struct store_eval_counts *out, struct run_marks *m, long *counts, char *err, size_t errlen)
{
	const char *p2[] = { now, settings };
	char prev_now[64] = "", prev_seq[24] = "";
	enum store_result r;
	PGresult *res;

	if ((r = store_exec_simple(s, "LOCK TABLE resources IN SHARE ROW EXCLUSIVE MODE", err,
	    errlen)) != STORE_OK)
		return r;
	if ((res = run(s, A_PREV, p2, err, errlen, &r)) == NULL)
		return r;
	if (!full && strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		snprintf(prev_now, sizeof(prev_now), "%s", PQgetvalue(res, 0, 0));
		snprintf(prev_seq, sizeof(prev_seq), "%s", PQgetvalue(res, 0, 1));
	}
	snprintf(m->seq, sizeof(m->seq), "%s", PQgetvalue(res, 0, 3));
	snprintf(m->hash, sizeof(m->hash), "%s", PQgetvalue(res, 0, 4));
	snprintf(m->last_nid, sizeof(m->last_nid), "%s", PQgetvalue(res, 0, 5));
	PQclear(res);
	out->full_pass = prev_seq[0] == '\0';
	if (out->full_pass)
		return run_rule(s, A_EXPIRY_FULL, p2, counts, 3, err, errlen);
	{
		const char *p4[] = { now, settings, prev_now, prev_seq };

		if ((r = run_rule(s, A_CHANGES_TABLE, NULL, counts, 0, err, errlen)) != STORE_OK ||
		    (r = run_rule(s, A_CHANGES, p4, counts, 0, err, errlen)) != STORE_OK ||
		    (r = run_rule(s, A_CHANGES_ANALYZE, NULL, counts, 0, err, errlen)) != STORE_OK)
			return r;
	}
	return run_rule(s, A_EXPIRY_CHANGES, p2, counts, 3, err, errlen);
}

enum store_result
store_alerts_evaluate(struct store *s, const char *now, const char *settings,
    const char *routing, const char *instance, bool full, struct store_eval_counts *out,
    char *err, size_t errlen)
{
	struct run_marks m;
	int64_t t0 = clock_mono_us();
	const char *p2[] = { now, settings };
	const char *recovered[] = { now, settings, "recovered" };
	const char *paid[] = { now, settings, "paid" };
	const char *p3[] = { now, settings, m.last_nid };
	const char *rp[] = { now, routing, m.last_nid };
	long c[3] = { 0, 0, 0 };
	enum store_result r;

	memset(out, 0, sizeof(*out));
	if ((r = store_exec_simple(s, "BEGIN", err, errlen)) != STORE_OK)
		return r;
	/*
	 * A few big statements a run: JIT compiling them costs more than it
	 * saves (a second for each balance rule over 100,000 customers), and
	 * their joins and CTEs spill to disk at the default work_mem.
	 */
	if ((r = store_exec_simple(s, "SET LOCAL jit = off", err, errlen)) != STORE_OK ||
	    (r = store_exec_simple(s, "SET LOCAL work_mem = '64MB'", err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, A_LOCK, NULL, c, 0, err, errlen)) != STORE_OK)
		goto fail;

	if ((r = expiry(s, now, settings, full, out, &m, c, err, errlen)) != STORE_OK)
		goto fail;
	out->fired += c[0];
	out->resolved += c[1];
	out->notifications += c[2];
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
	if ((r = run_rule(s, A_SELF, p2, c, 3, err, errlen)) != STORE_OK)
		goto fail;
	out->fired += c[0];
	out->resolved += c[1];
	out->notifications += c[2];
	if ((r = run_rule(s, A_STATES, p2, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, A_SUPPRESS, p3, c, 0, err, errlen)) != STORE_OK)
		goto fail;
	if ((r = run_rule(s, A_ROUTE, rp, c, 3, err, errlen)) != STORE_OK)
		goto fail;
	out->deliveries = c[0];
	out->appended = c[1];
	out->unrouted = c[2];
	{
		char secs[32], f[24], rs[24], n[24], d[24];
		const char *params[] = { instance, now, secs, f, rs, n, d, m.hash, m.seq,
			out->full_pass ? "true" : "false" };

		snprintf(secs, sizeof(secs), "%.6f", (double)(clock_mono_us() - t0) / 1e6);
		snprintf(f, sizeof(f), "%ld", out->fired);
		snprintf(rs, sizeof(rs), "%ld", out->resolved);
		snprintf(n, sizeof(n), "%ld", out->notifications);
		snprintf(d, sizeof(d), "%ld", out->deliveries);
		if ((r = run_rule(s, A_RUN, params, c, 0, err, errlen)) != STORE_OK)
			goto fail;
	}
	if (out->full_pass && (r = run_rule(s, A_ANALYZE, NULL, c, 0, err, errlen)) != STORE_OK)
		goto fail;
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
    long *covered, char *err, size_t errlen)
{
	const char *params[] = { customer ? customer : "", resource ? resource : "",
		kind ? kind : "", starts, ends, by, comment ? comment : "" };
	long c[2] = { 0, 0 };
	enum store_result r = run_rule(s, A_SILENCE_ADD, params, c, 2, err, errlen);

	*id = r == STORE_OK ? c[0] : 0;
	*covered = r == STORE_OK ? c[1] : 0;
	return r;
}

enum store_result
store_silence_check(struct store *s, const char *customer, const char *resource,
    bool *customer_ok, char *names_of, size_t names_len, bool *resource_ok, char *err,
    size_t errlen)
{
	const char *params[] = { customer ? customer : "", resource ? resource : "" };
	enum store_result r;
	PGresult *res = run(s, A_SILENCE_CHECK, params, err, errlen, &r);

	*customer_ok = *resource_ok = false;
	names_of[0] = '\0';
	if (res == NULL)
		return r;
	if (PQntuples(res) == 1) {
		*customer_ok = strcmp(PQgetvalue(res, 0, 0), "true") == 0;
		snprintf(names_of, names_len, "%s", PQgetvalue(res, 0, 1));
		*resource_ok = strcmp(PQgetvalue(res, 0, 2), "true") == 0;
	}
	PQclear(res);
	return STORE_OK;
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
store_gauges(struct store *s, char **text, char *err, size_t errlen)
{
	return json_result(s, A_GAUGES, NULL, text, err, errlen);
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
