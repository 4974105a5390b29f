"""Retention: history older than [retention] keeps it is deleted in batches while callbacks
arrive and the poller writes, and nothing still within retention is lost: every acknowledged
callback, every recent snapshot, what is open or not yet told. The balance history is rolled up
by day first, so that its trends stay."""

import datetime as dt

import pytest

from harness import HuaweiSim, huawei_settings, sim_body, wait_until
from load import Load

OLD_SNAPSHOTS = 40_000


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "20", "--rate", "100")
    yield s
    s.stop()


def fill(db):
    """Old rows, and rows just as old that must stay, straight into the tables."""
    q = db.query
    q("INSERT INTO customers (customer_id, account_name) VALUES ('c-old', 'old-customer')")
    # 40,000 snapshots between 40 and 10 days ago (every ~65 s), then 500 in the last day.
    q("INSERT INTO balance_snapshots (customer_id, taken_at, amount, debt_amount, currency)"
      " SELECT 'c-old', now() - interval '40 days' + g * interval '30 days' / %s,"
      " 100000 - g, 0, 'CNY' FROM generate_series(0, %s - 1) AS g",
      (OLD_SNAPSHOTS, OLD_SNAPSHOTS))
    q("INSERT INTO balance_snapshots (customer_id, taken_at, amount, debt_amount, currency)"
      " SELECT 'c-old', now() - g * interval '1 minute', 500 + g, 0, 'NEW'"
      " FROM generate_series(1, 500) AS g")
    q("INSERT INTO partner_balance_snapshots (taken_at, account_id, account_type, amount,"
      " currency) SELECT now() - interval '40 days' + g * interval '1 hour', 'p-1', 1, g,"
      " 'CNY' FROM generate_series(0, 719) AS g")
    # Alerts: resolved 20 days ago (goes, with what was told and done); resolved yesterday and
    # open for 20 days (stay).
    for fp, started, resolved in (("old-resolved", 21, 20), ("new-resolved", 3, 1),
                                  ("old-open", 20, None)):
        aid = db.scalar(
            "INSERT INTO alerts (fingerprint, kind, severity, stage, facts, started_at,"
            " updated_at, resolved_at, state) VALUES (%s, 'arrears', 'critical', 'debt', '{}',"
            " now() - %s * interval '1 day', now(), now() - %s * interval '1 day', %s)"
            " RETURNING id", (fp, started, resolved, "resolved" if resolved else "firing"))
        nid = db.scalar("INSERT INTO notifications (alert_id, event, stage, severity, facts,"
                        " created_at, routed_at) VALUES (%s, 'firing', 'debt', 'critical', '{}',"
                        " now() - %s * interval '1 day', now()) RETURNING id", (aid, started))
        q("INSERT INTO web_actions (alert_id, action, name, destination, at)"
          " VALUES (%s, 'acknowledge', 'ops', 'ops', now() - %s * interval '1 day')",
          (aid, started))
        for state in ("delivered", "pending"):
            q("INSERT INTO deliveries (idempotency_key, destination, channel, notification_ids,"
              " items, created_at, not_before, retry_from, next_attempt_at, state)"
              " VALUES (%s, 'ops', 'webhook', ARRAY[%s::bigint], 1, now() - %s * interval '1 day',"
              " now(), now(), now() + interval '1 day', %s)",
              (f"k-{fp}-{state}", nid, started, state))
    q("INSERT INTO customer_events (customer_id, kind, at, notified_at) VALUES"
      " ('c-old', 'frozen', now() - interval '400 days', now() - interval '399 days'),"
      " ('c-old', 'gone', now() - interval '400 days', NULL)")
    q("INSERT INTO consumption_daily (customer_id, day, amount)"
      " SELECT 'c-old', current_date - g, 1 FROM generate_series(0, 99) AS g")


def test_old_history_goes_in_batches_under_load_and_nothing_recent_is_lost(
        make_hcwatch, db, keys, sim):
    settings = huawei_settings(sim, enabled="true", customers_interval="1",
                               balances_interval="1", resources_interval="1",
                               partner_interval="1")
    settings.update({"log": {"level": "info"}, "alerts": {"enabled": "false"},
                     "retention": {"balance_snapshots_days": "2", "partner_snapshots_days": "2",
                                   "alerts_days": "10", "events_days": "30",
                                   "consumption_days": "60", "batch": "200"}})
    h = make_hcwatch(settings, start=False)
    fill(db)
    closes = dict(db.query("SELECT day, close_amount FROM balance_days"
                           " WHERE customer_id = 'c-old' AND day < current_date - 5"))
    assert len(closes) >= 29
    lines = sim_body(keys.key, "--domain-id", "ret-", "--count", "3000").split("\n")
    load = Load(h.port, [(f"ret-{i:08d}", b) for i, b in enumerate(lines)], 2)
    h.start()
    load.start()
    try:
        # The whole pass, not only its first table: each of these is changed by retention
        # alone, and the log line comes after the snapshots' last batch.
        def pass_done():
            q = db.scalar
            return (q("SELECT count(*) FROM balance_snapshots"
                      " WHERE currency = 'CNY' AND customer_id = 'c-old'") == 0
                    and q("SELECT count(*) FROM partner_balance_snapshots"
                          " WHERE taken_at < now() - interval '3 days'") == 0
                    and q("SELECT count(*) FROM alerts WHERE fingerprint = 'old-resolved'") == 0
                    and q("SELECT count(*) FROM deliveries") == 5
                    and q("SELECT count(*) FROM customer_events WHERE customer_id = 'c-old'") == 1
                    and "rows of balance snapshots older than 2 days" in h.logtext())
        wait_until(pass_done, 120, "the retention pass over every kind")
        wait_until(lambda: db.scalar("SELECT count(*) FROM poll_runs WHERE job = 'balances'"
                                     " AND status = 'ok'") >= 1, 60, "a balances poll")
    finally:
        load.join()
    assert load.errors == 0
    acked = set(load.ids(303))
    assert len(acked) > 0
    stored = {r for (r,) in db.query("SELECT customer_id FROM callback_events"
                                     " WHERE status = 'accepted'")}
    assert acked <= stored, f"{len(acked - stored)} acknowledged callbacks lost"
    # Recent snapshots all stay; the old days' closing balances stay in balance_days.
    assert db.scalar("SELECT count(*) FROM balance_snapshots WHERE currency = 'NEW'") == 500
    assert db.scalar("SELECT count(*) FROM balance_snapshots WHERE customer_id <> 'c-old'") > 0
    assert dict(db.query("SELECT day, close_amount FROM balance_days WHERE customer_id = 'c-old'"
                         " AND day < current_date - 5")) == closes
    # The partner's snapshots rolled up: each old day keeps its last balance.
    days = dict(db.query("SELECT day, close_amount FROM partner_balance_days"
                         " WHERE account_id = 'p-1'"))
    want = dict(db.query(
        "SELECT DISTINCT ON (d) d, g FROM (SELECT g, ((now() - interval '40 days'"
        " + g * interval '1 hour') AT TIME ZONE 'UTC')::date AS d"
        " FROM generate_series(0, 719) AS g) AS x"
        " WHERE d < ((now() - interval '2 days') AT TIME ZONE 'UTC')::date ORDER BY d, g DESC"))
    assert {d: v for d, v in days.items() if d in want} == want
    # Alerts: the old resolved one went with its notification, action and delivered message.
    assert sorted(f for (f,) in db.query("SELECT fingerprint FROM alerts")) == \
        ["new-resolved", "old-open"]
    assert db.scalar("SELECT count(*) FROM notifications") == 2
    assert db.scalar("SELECT count(*) FROM web_actions") == 2
    # A finished message goes with the last of its notifications; a pending one stays.
    assert sorted(k for (k,) in db.query("SELECT idempotency_key FROM deliveries")) == [
        "k-new-resolved-delivered", "k-new-resolved-pending", "k-old-open-delivered",
        "k-old-open-pending", "k-old-resolved-pending"]
    # Events: the one not yet told stays.
    assert db.query("SELECT kind FROM customer_events WHERE customer_id = 'c-old'") == [("gone",)]
    assert db.scalar("SELECT min(day) FROM consumption_daily WHERE customer_id = 'c-old'") >= \
        dt.date.today() - dt.timedelta(days=61)
    assert "rows of balance snapshots older than 2 days" in h.logtext()
