"""Chat platforms down for ten minutes of simulated time, with the default retry schedule.

The clock is hcwatch's --now, so ten minutes of outage and the back-off after it take
seconds. When the platforms come back every alert arrives, once, and none is a dead letter."""

import datetime as dt
from collections import Counter

from harness import HuaweiSim, chat_destination

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)
RESOURCES = 30


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_chat_down_ten_minutes_then_every_alert_arrives_once(make_hcwatch, db, workdir):
    sim = HuaweiSim(workdir, "--customers", "0")
    try:
        settings = {"bind": {"enabled": "false"},
                    "routing": {"default": "ops,wc"},
                    "destination ops": chat_destination(sim, "webhook", "ops", digest="false"),
                    # A robot takes 20 messages a minute: alerts go to it as a digest.
                    "destination wc": chat_destination(sim, "wecom", "wc-key")}
        h = make_hcwatch(settings, start=False)
        db.query("INSERT INTO customers (customer_id, account_name, customer_name, balance_state,"
                 " balance_currency) VALUES ('c1', 'acct-c1', '客户甲', 'unknown', 'CNY')")
        for n in range(RESOURCES):
            db.query("INSERT INTO resources (customer_id, resource_id, resource_name,"
                     " service_type_name, region_code, status, expire_time, expire_policy)"
                     " VALUES ('c1', %s, %s, '云服务器 ECS', 'cn-north-4', 2, %s, 0)",
                     (f"r{n:02d}", f"host-{n:02d}", T0 + dt.timedelta(days=2, minutes=n)))

        def run(*args, failing=False):
            r = h.run(*args)
            # deliver --once exits 1 when an attempt failed, as they do in the outage
            assert r.returncode in ((0, 1) if failing else (0,)), r.stdout + r.stderr

        run("alerts", "evaluate", "--now", iso(T0))
        sim.chat_fault("webhook", "ops", "down", seconds=3600)
        sim.chat_fault("wecom", "wc-key", "down", seconds=3600)
        t = T0
        while t <= T0 + dt.timedelta(minutes=10):
            run("deliver", "--once", "--now", iso(t), failing=True)
            t += dt.timedelta(seconds=30)
        assert db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'") == 0
        assert db.scalar("SELECT count(*) FROM deliveries WHERE state = 'dead'") == 0
        refused = len(sim.messages("webhook", "ops")["rejected"])
        assert refused >= 3 * RESOURCES         # each tried again and again, not given up

        sim.chat_fault("webhook", "ops", "down", seconds=0)
        sim.chat_fault("wecom", "wc-key", "down", seconds=0)
        # Back-off is at most doubled from 30 s with jitter: within an hour all are due again.
        while t <= T0 + dt.timedelta(hours=2):
            run("deliver", "--once", "--now", iso(t))
            if db.scalar("SELECT count(*) FROM deliveries WHERE state <> 'delivered'") == 0:
                break
            t += dt.timedelta(minutes=1)
        assert db.query("SELECT destination, state, count(*) FROM deliveries"
                        " GROUP BY 1, 2 ORDER BY 1") == [("ops", "delivered", RESOURCES),
                                                          ("wc", "delivered", 1)]

        hook = sim.messages("webhook", "ops")
        ids = Counter(m["id"] for m in hook["messages"])
        assert len(ids) == RESOURCES and set(ids.values()) == {1}
        got = Counter(i["facts"]["resource_id"] for m in hook["messages"] for i in m["items"])
        assert got == Counter({f"r{n:02d}": 1 for n in range(RESOURCES)})
        wecom = sim.messages("wecom", "wc-key")["messages"]
        assert len(wecom) == 1
        for n in range(RESOURCES):
            assert sum(f"host-{n:02d}" in m["text"] for m in wecom) == 1, n
        assert len(sim.messages("webhook", "ops")["rejected"]) == refused   # none after recovery
    finally:
        sim.stop()
