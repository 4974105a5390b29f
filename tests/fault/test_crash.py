"""kill -9 under a callback load, five times: every success a browser saw has its row, and no
notification is stored twice."""

from harness import sim_body, wait_until
from load import Load

CLIENTS = 8
ROUNDS = 5
PER_ROUND = 4000


def test_kill_9_under_load_loses_nothing_acknowledged(make_hcwatch, db, keys):
    h = make_hcwatch({"log": {"level": "warn"}})
    seen = []
    for r in range(ROUNDS):
        prefix = f"crash{r}-"
        lines = sim_body(keys.key, "--domain-id", prefix, "--count", str(PER_ROUND)).split("\n")
        bodies = [(f"{prefix}{i:08d}", b) for i, b in enumerate(lines)]
        load = Load(h.port, bodies, CLIENTS)
        load.start()
        # Kill once the load is well under way, whatever the machine's speed.
        wait_until(lambda: load.count(303) >= PER_ROUND // 4, 60, "a quarter of the load answered")
        h.proc.kill()
        h.proc.wait()
        h.log.close()
        load.join()
        assert load.errors > 0, "the kill landed after the load had ended"
        assert load.count(303) < PER_ROUND
        seen += load.ids(303)
        h.start()

    stored = {row[0] for row in db.query(
        "SELECT customer_id FROM callback_events WHERE status = 'accepted'")}
    missing = [d for d in seen if d not in stored]
    assert not missing, f"{len(missing)} acknowledged notifications lost, e.g. {missing[:3]}"
    assert db.query("SELECT customer_id, count(*) FROM callback_events WHERE status = 'accepted'"
                    " GROUP BY 1 HAVING count(*) > 1") == []
    assert db.query("SELECT customer_id, count(*) FROM customers GROUP BY 1 HAVING count(*) > 1") \
        == []
    # Every stored one is a customer, and rows beyond what browsers saw are those whose answer
    # the kill cut off.
    assert db.scalar("SELECT count(*) FROM customers WHERE customer_id LIKE 'crash%'") == len(stored)
    assert len(stored) >= len(seen)
