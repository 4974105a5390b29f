"""PostgreSQL stopped for 10 s under a callback load: 503s while it is down, no crash, service
again once it is back, and nothing acknowledged lost. The time back to service is printed
(and compared with the 2 s goal in docs/performance.md), not asserted: these machines are shared."""

import http.client
import threading
import time

from harness import sim_body, wait_until

CLIENTS = 4
OUTAGE_S = 10


class Load:
    """Browsers posting distinct notifications until stopped, noting each answer and when."""

    def __init__(self, port, bodies):
        self.port = port
        self.bodies = iter(bodies)
        self.lock = threading.Lock()
        self.answers = []       # (monotonic time, status, domain id)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]

    def client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            with self.lock:
                item = next(self.bodies, None)
            if item is None:
                return
            domain_id, body = item
            conn.request("POST", "/huawei/bind", body,
                         {"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            r.read()
            with self.lock:
                self.answers.append((time.monotonic(), r.status, domain_id))
            if r.status == 503:
                time.sleep(0.02)    # a browser's refresh is not a busy loop

    def count(self, status, after=0.0):
        with self.lock:
            return sum(1 for t, s, _ in self.answers if s == status and t > after)


def test_database_stopped_under_load(make_hcwatch, db, pg, keys):
    h = make_hcwatch({"log": {"level": "warn"}})
    lines = sim_body(keys.key, "--domain-id", "outage-", "--count", "60000").split("\n")
    load = Load(h.port, [(f"outage-{i:08d}", b) for i, b in enumerate(lines)])
    for t in load.threads:
        t.start()
    try:
        wait_until(lambda: load.count(303) >= 200, 60, "the load under way")
        pg.stop()
        down_at = time.monotonic()
        wait_until(lambda: load.count(503, down_at) >= 20, 30, "503s while the database is down")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        assert h.proc.poll() is None, "hcwatch died with the database"
        assert h.request("GET", "/healthz").status == 200
        pg.start()
        up_at = time.monotonic()
        wait_until(lambda: load.count(303, up_at) > 0, 30, "service again")
        back = min(t for t, s, _ in load.answers if s == 303 and t > up_at) - up_at
        print(f"\nfirst 303 {back:.2f} s after PostgreSQL accepted connections again")
        wait_until(lambda: load.count(303, up_at) >= 200, 60, "the load carrying on")
    finally:
        load.stop.set()
        for t in load.threads:
            t.join(30)
    assert h.proc.poll() is None
    acked = {d for _, s, d in load.answers if s == 303}
    stored = {r[0] for r in db.query(
        "SELECT customer_id FROM callback_events WHERE status = 'accepted'")}
    assert acked <= stored, f"{len(acked - stored)} acknowledged notifications lost"
    statuses = {s for _, s, _ in load.answers}
    assert statuses <= {303, 503}, statuses
    # Said once, not per request (the return is logged at info, below this test's level).
    assert h.logtext().count("database unavailable") == 1
