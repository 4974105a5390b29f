"""The dashboard views and the Grafana dashboard, against a real PostgreSQL holding data.

The views are a stable interface: every column docs/dashboards.md lists must exist, in that order,
and nothing more. Every panel of conf/grafana/dashboards/hcwatch.json runs as Grafana would run it.
"""

import datetime as dt
import json
import os
import re

import psycopg2
import psycopg2.errors
import pytest

from harness import HuaweiSim, chat_destination, sim_bind

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "dashboards.md")
DASHBOARD = os.path.join(ROOT, "conf", "grafana", "dashboards", "hcwatch.json")


def documented_views():
    """{view: [columns]} from the doc's '## dashboard.NAME' sections and their tables."""
    views, current = {}, None
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"## (dashboard\.\w+)", line)
            if m:
                current = m.group(1)
                views[current] = []
                continue
            if line.startswith("## "):
                current = None
            m = re.match(r"\| `(\w+)` \|", line)
            if current and m:
                views[current].append(m.group(1))
    return views


def grafana_sql(sql):
    """The query as Grafana sends it: its time macro over the last 30 days."""
    return re.sub(r"\$__timeFilter\((\w+)\)",
                  r"\1 BETWEEN now() - interval '30 days' AND now() + interval '1 hour'", sql)


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0")
    yield s
    s.stop()


@pytest.fixture
def filled(make_hcwatch, sim, db, keys):
    """A database after a day's work: callbacks, customers, resources, balances, alerts,
    deliveries (one dead), all by the real hcwatch."""
    dests = {"ops": chat_destination(sim, "webhook", "ops"),
             "ding": chat_destination(sim, "dingtalk", "bad-token")}
    h = make_hcwatch({"routing": {"default": "ops"}, "destination ops": dests["ops"],
                      "destination ding": dests["ding"], "manager alice": {"destinations": "ding"},
                      "notifier": {"retry_base_ms": "100", "lease": "9", "timeout": "3"},
                      "alerts": {"enabled": "false"}}, start=True)
    url = f"http://127.0.0.1:{h.port}/huawei/bind"
    assert sim_bind(url, keys.key, "--domain-id", "c1", "--domain-name", "acct-c1")[0] == 303
    assert sim_bind(url, keys.key, "--domain-id", "c1", "--domain-name", "acct-c1")[0] == 303
    assert sim_bind(url, keys.key, "--domain-id", "evil", "--tamper", "signature")[0] == 403
    now = dt.datetime.now(dt.timezone.utc)
    db.query("UPDATE customers SET customer_name = '华东客户', balance_state = 'available',"
             " balance_amount = 40, debt_amount = 5, balance_currency = 'CNY', balance_at = now()"
             " WHERE customer_id = 'c1'")
    db.query("INSERT INTO customers (customer_id, account_name, balance_state, balance_amount,"
             " balance_currency, balance_at) VALUES ('c2', 'acct-c2', 'available', 900, 'CNY', now())")
    db.query("INSERT INTO customer_settings (customer_id, account_manager) VALUES ('c2', 'alice')")
    for days_ago, amount in ((3, 1200), (2, 1100), (1, 1000), (0, 900)):
        db.query("INSERT INTO balance_snapshots (customer_id, taken_at, amount) VALUES ('c2', %s, %s)",
                 (now - dt.timedelta(days=days_ago, minutes=1), amount))
    for rid, cid, days, status in (("r1", "c1", 2, 2), ("r2", "c1", 20, 2), ("r3", "c2", 5, 2),
                                   ("r4", "c2", -1, 5), ("r5", "c2", 80, 2)):
        db.query("INSERT INTO resources (customer_id, resource_id, resource_name, service_type_name,"
                 " region_code, status, expire_time, expire_policy) VALUES (%s, %s, %s, 'ECS',"
                 " 'cn-north-4', %s, %s, 1)",
                 (cid, rid, f"主机-{rid}", status, now + dt.timedelta(days=days)))
    # DingTalk refuses alice's robot for good: her customer's digest becomes a dead letter.
    sim.chat_fault("dingtalk", "bad-token", "code", code=310000, count=5)
    assert h.run("alerts", "evaluate").returncode == 0
    from harness import wait_until
    wait_until(lambda: db.scalar("SELECT count(*) FROM deliveries WHERE state IN"
                                 " ('delivered', 'dead')") == 2, 30, "both deliveries settled")
    return db


def test_views_have_the_documented_columns(filled):
    views = documented_views()
    assert set(views) == {"dashboard.expiring_resources", "dashboard.balances", "dashboard.alerts",
                          "dashboard.deliveries", "dashboard.callbacks", "dashboard.callback_intake"}
    actual = {}
    for schema_view, in filled.query(
            "SELECT table_schema || '.' || table_name FROM information_schema.views"
            " WHERE table_schema = 'dashboard'"):
        schema, view = schema_view.split(".")
        actual[schema_view] = [c for c, in filled.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s ORDER BY ordinal_position", (schema, view))]
    assert actual == views


def test_views_say_what_happened(filled):
    q = filled.query
    exp = {r[0]: r[1:] for r in q("SELECT resource_id, days_left, status, alert_stage, alert_state,"
                                   " customer FROM dashboard.expiring_resources")}
    assert exp["r1"][0] == 2 and exp["r1"][2] == "3d" and exp["r1"][4] == "华东客户"
    # Expired a day ago, its customer without a level (taken as V0: data deleted two days after
    # expiry): one day before deletion.
    assert exp["r4"][1] == "expired" and exp["r4"][2] == "delete_1d"
    assert exp["r5"][2] is None          # beyond every stage: listed, no alert
    bal = {r[0]: r[1:] for r in q("SELECT customer_id, daily_spend, runway_days, open_alerts,"
                                   " account_manager FROM dashboard.balances")}
    assert bal["c2"][0] == 100 and bal["c2"][1] == 9 and bal["c2"][3] == "alice"
    assert "arrears:firing" in bal["c1"][2] and "low_balance:firing" in bal["c1"][2]
    kinds = dict(q("SELECT kind, count(*) FROM dashboard.alerts WHERE resolved_at IS NULL"
                   " GROUP BY kind"))
    assert kinds["expiry"] == 4 and kinds["arrears"] == 1
    dl = dict(q("SELECT destination, state FROM dashboard.deliveries"))
    assert dl == {"ops": "delivered", "ding": "dead"}
    assert q("SELECT platform_code, dead FROM dashboard.deliveries WHERE destination = 'ding'") == [
        ("310000", True)]
    assert q("SELECT latency_seconds >= 0 FROM dashboard.deliveries WHERE destination = 'ops'") == [
        (True,)]
    intake = {(s, r): n for s, r, n in q("SELECT status, reason, sum(callbacks)::int"
                                         " FROM dashboard.callback_intake GROUP BY 1, 2")}
    assert intake == {("accepted", ""): 1, ("duplicate", ""): 1, ("rejected", "bad_signature"): 1}


def test_every_grafana_panel_runs(filled, make_hcwatch, pg):
    # As Grafana would: a role that [database] dashboard_roles lets read the views only.
    role = "Grafana-RO"
    filled.query(f'CREATE ROLE "{role}" LOGIN')
    h = make_hcwatch({"database": {"dashboard_roles": f"{role}, nobody-such"}}, migrate=False,
                     start=False)
    r = h.run("migrate")
    assert r.returncode != 0 and '"nobody-such" ([database] dashboard_roles)' in r.stderr, r.stderr
    h.settings["database"]["dashboard_roles"] = role
    h.write_conf()
    r = h.run("migrate")
    assert r.returncode == 0, r.stderr
    ro = psycopg2.connect(pg.url(filled.name).replace("postgres@", f"{role}@"))
    ro.autocommit = True

    def query(sql):
        with ro.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query("SELECT count(*) FROM callback_events")

    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    assert dash["uid"] == "hcwatch"
    rows = {}
    for panel in dash["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "hcwatch-pg", panel["title"]
            assert "dashboard." in target["rawSql"], panel["title"]
            rows[panel["title"]] = query(grafana_sql(target["rawSql"]))
    ro.close()
    # Each panel shows something after this day's work.
    empty = [t for t, r in rows.items() if not r]
    assert empty == [], f"panels without rows: {empty}"
