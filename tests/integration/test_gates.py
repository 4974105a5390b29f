"""The money rules run only when their gate moves: what they read changed, the settings changed, an
hour passed, or the clock passed a moment their rows name. Walking days of balances, spending,
coupons and auto-renewals that way tells exactly what a --full evaluation at every step tells."""

import datetime as dt
import os
import random
import re

import pytest
from harness import Database, Hcwatch, HuaweiSim
from test_alerts import T0, alerting, evaluate, iso

# A spike on the billing day before the step's.
SPIKE = ("INSERT INTO consumption_daily (customer_id, day, amount, cash, records)"
         " VALUES (%s, (%s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - 1, 5000, 5000, 1)"
         " ON CONFLICT (customer_id, day) DO UPDATE SET cash = 5000, amount = 5000")
MONEY = ("runway", "renewal_short", "spend_jump", "coupon_expiry", "coupon_quota_expiry",
         "low_balance", "arrears")


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0")
    yield s
    s.stop()


def setup_rows(rnd):
    rows = []
    for c in range(1, 7):
        rows.append(("INSERT INTO customers (customer_id, account_name, customer_name,"
                     " balance_state, balance_amount, debt_amount, balance_currency, balance_at,"
                     " customer_level) VALUES (%s, %s, %s, 'available', %s, 0, 'CNY', %s, 'V2')",
                     (f"c{c}", f"acct{c}", f"客户{c}", 300 * c, T0)))
        for d in range(1, 16):
            rows.append(("INSERT INTO consumption_daily (customer_id, day, amount, cash, records)"
                         " VALUES (%s, %s, %s, %s, 2)",
                         (f"c{c}", (T0 - dt.timedelta(days=d)).date(), 40 * c, 40 * c)))
        for k in range(2):
            # Expiries at odd seconds, so that stages are crossed between hours.
            exp = T0 + dt.timedelta(minutes=rnd.randrange(60, 9 * 24 * 60), seconds=17)
            rows.append(("INSERT INTO coupons (coupon_id, customer_id, coupon_type, status,"
                         " face_value, balance, expire_time) VALUES (%s, %s, 1, 2, 100, %s, %s)",
                         (f"cp{c}-{k}", f"c{c}", 20 + k, exp)))
        for r in range(3):
            # At half past an hour, so that an evaluation five minutes later is in the same hour.
            exp = T0 + dt.timedelta(hours=rnd.randrange(8 * 24, 15 * 24), minutes=30, seconds=41)
            rows.append(("INSERT INTO resources (customer_id, resource_id, resource_name,"
                         " service_type_code, status, expire_time, expire_policy, last_seen_at)"
                         " VALUES (%s, %s, %s, 'hws.service.type.ec2', 2, %s, 3, %s)",
                         (f"c{c}", f"r{c}-{r}", f"vm{c}-{r}", exp, T0)))
            if r != 2:
                rows.append(("INSERT INTO renewal_prices (customer_id, resource_id, amount,"
                             " currency) VALUES (%s, %s, %s, 'CNY')",
                             (f"c{c}", f"r{c}-{r}", 150 * (r + 1))))
    rows.append(("INSERT INTO coupon_quotas (quota_id, quota_type, quota_value, balance,"
                 " quota_status, currency, expire_time) VALUES ('q1', 0, 1000, 500, 0, 'CNY', %s)",
                 (T0 + dt.timedelta(days=6, minutes=7, seconds=3),)))
    # Stages crossed in the walk's first hour, between two evaluations five minutes apart: the
    # coupon's 1-day stage at 00:32:17 and the quota's 7-day stage at 00:41:03.
    rows.append(("INSERT INTO coupons (coupon_id, customer_id, coupon_type, status, face_value,"
                 " balance, expire_time) VALUES ('cp-soon', 'c1', 1, 2, 100, 60, %s)",
                 (T0 + dt.timedelta(days=1, minutes=32, seconds=17),)))
    rows.append(("INSERT INTO coupon_quotas (quota_id, quota_type, quota_value, balance,"
                 " quota_status, currency, expire_time) VALUES ('q2', 0, 1000, 500, 0, 'CNY', %s)",
                 (T0 + dt.timedelta(days=7, minutes=41, seconds=3),)))
    return rows


def changes(rnd, times):
    """Changes between evaluations, as the poller or an operator makes them."""
    out = {}
    pick = [
        ("UPDATE customers SET balance_amount = balance_amount + 900 WHERE customer_id = %s", "c"),
        ("UPDATE customers SET balance_amount = greatest(balance_amount - 400, 0)"
         " WHERE customer_id = %s", "c"),
        (SPIKE, "day"),
        ("UPDATE coupons SET balance = 0 WHERE coupon_id = %s || '-0'", "cp"),
        ("UPDATE coupons SET usable_until = now() WHERE coupon_id = %s || '-1'", "cp"),
        ("UPDATE resources SET expire_time = expire_time + interval '31 days'"
         " WHERE resource_id = %s || '-0'", "r"),
        ("DELETE FROM renewal_prices WHERE resource_id = %s || '-1'", "r"),
        ("INSERT INTO customer_settings (customer_id, runway_days) VALUES (%s, 30)"
         " ON CONFLICT (customer_id) DO UPDATE SET runway_days = 30", "c"),
        # The poller saw them after their charge: a failed renewal.
        ("UPDATE resources SET last_seen_at = %s WHERE customer_id = %s", "seen"),
    ]
    for _ in range(36):
        sql, prefix = rnd.choice(pick)
        step = rnd.randrange(1, len(times))
        c = rnd.randrange(1, 7)
        args = ((f"c{c}", times[step]) if prefix == "day" else (times[step], f"c{c}")
                if prefix == "seen" else (f"{prefix}{c}",))
        out.setdefault(step, []).append((sql, args))
    return out


def test_gated_rules_tell_what_a_full_evaluation_tells(make_hcwatch, sim, db, pg, workdir):
    rnd = random.Random(11)
    full_db = Database(pg, pg.create_db(f"gfull{os.getpid()}"))
    quick = alerting(make_hcwatch, sim, alerts={"customer_notices": "false"})
    full = Hcwatch(workdir, full_db.url, {k: v for k, v in quick.settings.items()
                                          if k not in ("database", "server")})
    assert full.run("migrate").returncode == 0
    for sql, args in setup_rows(rnd):
        db.query(sql, args)
        full_db.query(sql, args)
    steps = 160
    # The first hour in steps of five minutes, then mostly a few minutes apart, as the service
    # evaluates, and now and then hours or a day.
    times = [T0 + dt.timedelta(minutes=5 * k) for k in range(1, 13)]
    now = times[-1]
    for _ in range(steps - len(times)):
        now += dt.timedelta(minutes=rnd.choice([5, 5, 5, 5, 5, 11, 47, 180, 1440, 1440]))
        times.append(now)
    edits = changes(rnd, times)
    edits.setdefault(20, []).append((SPIKE, ("c2", times[20])))
    not_run = []
    for step, now in enumerate(times):
        for sql, args in edits.get(step, []):
            db.query(sql, args)
            full_db.query(sql, args)
        out = evaluate(quick, now)
        not_run.append(int(re.search(r"(\d+) rules not run", out).group(1)))
        r = full.run("alerts", "evaluate", "--full", "--now", iso(now))
        assert r.returncode == 0 and " 0 rules not run" in r.stdout, r.stderr

    told = ("SELECT a.kind, a.fingerprint, n.event, n.stage, n.created_at, a.state, a.resolution,"
            " n.facts FROM notifications n JOIN alerts a ON a.id = n.alert_id"
            " WHERE a.kind = ANY(%s) ORDER BY 1, 2, 5, 3, 4")
    got, want = db.query(told, (list(MONEY),)), full_db.query(told, (list(MONEY),))
    assert {k for k, *_ in want} >= {"runway", "renewal_short", "coupon_expiry",
                                      "coupon_quota_expiry", "spend_jump"}
    assert len(want) > 40
    assert got == want
    # The gate did its work: many evaluations a few minutes apart with nothing new ran none of the
    # six gated rules (runway, renewal_short, spend_jump, coupons, low_balance, arrears), and it
    # never held one back that had something to tell.
    assert max(not_run) == 6
    assert sum(1 for n in not_run if n == 6) > steps // 3, not_run
    full_db.close()
