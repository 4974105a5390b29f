"""kill -9 under a callback load, five times: every success a browser saw has its row, and no
notification is stored twice."""

import http.client
import threading

from harness import sim_body, wait_until

CLIENTS = 8
ROUNDS = 5
PER_ROUND = 4000


class Load:
    """Browsers posting distinct signed notifications until told to stop or refused."""

    def __init__(self, port, bodies):
        self.port = port
        self.bodies = iter(bodies)
        self.lock = threading.Lock()
        self.ok = []            # the domain ids of notifications answered 303
        self.errors = 0
        self.threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]

    def next_body(self):
        with self.lock:
            return next(self.bodies, None)

    def client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while True:
            item = self.next_body()
            if item is None:
                return
            domain_id, body = item
            try:
                conn.request("POST", "/huawei/bind", body,
                             {"Content-Type": "application/x-www-form-urlencoded"})
                r = conn.getresponse()
                r.read()
            except OSError:
                # The process died under us: what was not answered proves nothing.
                with self.lock:
                    self.errors += 1
                return
            if r.status == 303:
                with self.lock:
                    self.ok.append(domain_id)

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(30)


def test_kill_9_under_load_loses_nothing_acknowledged(make_hcwatch, db, keys):
    h = make_hcwatch({"log": {"level": "warn"}})
    seen = []
    for r in range(ROUNDS):
        prefix = f"crash{r}-"
        lines = sim_body(keys.key, "--domain-id", prefix, "--count", str(PER_ROUND)).split("\n")
        bodies = [(f"{prefix}{i:08d}", b) for i, b in enumerate(lines)]
        load = Load(h.port, bodies)
        load.start()
        # Kill once the load is well under way, whatever the machine's speed.
        wait_until(lambda: len(load.ok) >= PER_ROUND // 4, 60, "a quarter of the load answered")
        h.proc.kill()
        h.proc.wait()
        h.log.close()
        load.join()
        assert load.errors > 0, "the kill landed after the load had ended"
        assert len(load.ok) < PER_ROUND
        seen += load.ok
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
