"""Browsers posting distinct signed notifications, noting every answer."""

import http.client
import threading
import time


class Load:
    """clients threads post bodies ((domain id, form body) pairs) until they run out, stop is
    set, or the connection breaks (the process died: what was not answered proves nothing)."""

    def __init__(self, port, bodies, clients):
        self.port = port
        self.bodies = iter(bodies)
        self.lock = threading.Lock()
        self.answers = []       # (monotonic time, status, domain id)
        self.errors = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client) for _ in range(clients)]

    def client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            with self.lock:
                item = next(self.bodies, None)
            if item is None:
                return
            domain_id, body = item
            try:
                conn.request("POST", "/huawei/bind", body,
                             {"Content-Type": "application/x-www-form-urlencoded"})
                r = conn.getresponse()
                r.read()
            except OSError:
                with self.lock:
                    self.errors += 1
                return
            with self.lock:
                self.answers.append((time.monotonic(), r.status, domain_id))
            if r.status == 503:
                time.sleep(0.02)    # a browser's refresh is not a busy loop

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def count(self, status, after=0.0):
        with self.lock:
            return sum(1 for t, s, _ in self.answers if s == status and t > after)

    def ids(self, status):
        with self.lock:
            return [d for _, s, d in self.answers if s == status]
