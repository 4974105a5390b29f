"""Huawei misbehaving in every way the simulator knows, one after another.

Between a clean poll and the storm, Huawei's data changes: expiry dates move, resources and a
customer go away. Through a 429 storm, 5xx bursts, answers slower than the timeout, malformed
JSON, HTTP 200 with an error code and answers too big to believe, every row hcwatch holds must be
either what it was or what Huawei now says (never a mixture, never invented), and nothing may be
called gone that is still there. Once Huawei behaves, one poll brings the tables level with it,
with each change recorded once."""

import datetime as dt

from harness import HuaweiSim, huawei_settings
from test_poll import expected_resources, utc

STORM = [
    ("429 storm", {"rate_limit": 2}),
    ("5xx bursts", {"rate_5xx": 0.6}),
    ("slower than the timeout", {"latency_ms": 1500}),
    ("malformed JSON", {"rate_malformed": 0.5}),
    ("HTTP 200 with error_code", {"rate_error200": 0.5}),
    ("huge answers", {"rate_huge": 0.5, "huge_bytes": 4 << 20}),
]
CALM = {"rate_limit": 50, "rate_5xx": 0, "latency_ms": 0, "rate_malformed": 0,
        "rate_error200": 0, "rate_huge": 0}


def resources(db):
    return {rid: (cid, exp, status, policy, gone) for rid, cid, exp, status, policy, gone in db.query(
        "SELECT resource_id, customer_id, expire_time, status, expire_policy, gone_at IS NOT NULL"
        " FROM resources")}


def test_the_tables_stay_whole_through_every_kind_of_failure(make_hcwatch, db, workdir):
    sim = HuaweiSim(workdir, "--customers", "12", "--resources-per", "4", "--seed", "11",
                    "--rate", "50")
    try:
        s = huawei_settings(sim, concurrency=4)
        s["huawei"].update({"rate_limit": "50", "retry_max": "1", "retry_base_ms": "20",
                            "retry_max_ms": "50", "timeout": "1", "max_response_size": "1048576"})
        h = make_hcwatch(s, start=False)
        assert h.run("poll", "--once").returncode == 0
        before = resources(db)
        assert before and not any(r[4] for r in before.values())

        # Huawei changes under hcwatch's feet.
        now = dt.datetime.now(dt.timezone.utc)
        custs = sim.dataset()["customers"]
        leaving = custs[-1]
        movable = [r for c in custs[:-1] for r in c["resources"]
                   if r["resource_id"] in before and r["status"] == 2 and
                   utc(r["expire_time"]) < now + dt.timedelta(days=50)]
        moved, dropped = movable[:6], movable[6:9]
        assert len(dropped) == 3
        sim.mutate(*[{"op": "resource", "resource_id": r["resource_id"], "set": {
            "expire_time": (utc(r["expire_time"]) + dt.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")}} for r in moved],
            *[{"op": "remove_resource", "resource_id": r["resource_id"]} for r in dropped],
            {"op": "remove_customer", "customer_id": leaving["customer_id"]})
        data = sim.dataset()
        after = expected_resources(data, now)
        dropped_ids = {r["resource_id"] for r in dropped}
        leaving_ids = {r["resource_id"] for r in leaving["resources"]}

        for name, faults in STORM:
            injected = sim.stats()["faults_injected"] + sim.stats()["throttled"]
            sim.faults(**faults)
            r = h.run("poll", "--once")
            sim.faults(**CALM)
            assert r.returncode in (0, 1), (name, r.stdout + r.stderr)
            if "latency_ms" in faults:     # every call timed out, so the run failed
                assert r.returncode == 1 and "timed out" in r.stdout + r.stderr, r.stdout
            else:
                assert sim.stats()["faults_injected"] + sim.stats()["throttled"] > injected, name
            for rid, (cid, exp, status, policy, gone) in resources(db).items():
                old = before.get(rid)
                new = after.get(rid)
                row = (cid, exp, status, policy)
                # Either as it was or as Huawei now says; never invented.
                assert (old and row == old[:4]) or (new and row == new), (name, rid, row)
                if gone:
                    assert rid in dropped_ids | leaving_ids, (name, rid)
            assert db.scalar("SELECT count(*) FROM customers WHERE gone_at IS NOT NULL AND"
                             " customer_id <> %s", (leaving["customer_id"],)) == 0, name
            assert db.scalar("SELECT count(*) FROM poll_runs WHERE status = 'running'") == 0, name

        assert db.scalar("SELECT count(*) FROM poll_runs WHERE status IN ('partial', 'failed')") > 0
        r = h.run("poll", "--once")
        assert r.returncode == 0, r.stdout + r.stderr
        staying = {c["customer_id"] for c in data["customers"]}
        held = {rid: row[:4] for rid, row in resources(db).items()
                if not row[4] and row[0] in staying}
        assert held == after
        assert {rid for rid, row in resources(db).items() if row[4]} >= dropped_ids
        # Each change recorded once, however many runs failed on the way.
        assert db.query("SELECT resource_id, count(*) FROM resource_events WHERE kind = 'gone'"
                        " AND resource_id = ANY(%s) GROUP BY 1 ORDER BY 1",
                        (sorted(dropped_ids),)) == [(rid, 1) for rid in sorted(dropped_ids)]
        assert db.query("SELECT resource_id, count(*) FROM resource_events"
                        " WHERE kind = 'expiry_changed' GROUP BY 1 ORDER BY 1") == [
            (rid, 1) for rid in sorted(r["resource_id"] for r in moved)]
        assert db.query("SELECT customer_id, kind FROM customer_events WHERE kind IN"
                        " ('gone', 'reassociated')") == [(leaving["customer_id"], "gone")]
        assert db.scalar("SELECT count(*) FROM resource_events WHERE kind = 'returned'") == 0
    finally:
        sim.stop()
