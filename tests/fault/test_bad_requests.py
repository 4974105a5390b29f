"""Oversized, garbled or dripped requests are refused without harm to anyone else."""

import os
import socket
import subprocess
import threading
import time

from harness import free_port, sim_bind, wait_until


def test_garbled_and_oversized_requests_are_refused(make_hcwatch, db, keys):
    h = make_hcwatch({"log": {"level": "warn"}})
    url = f"http://127.0.0.1:{h.port}/huawei/bind"
    junk = [
        os.urandom(4096),
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /huawei/bind HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /huawei/bind HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 100000 + b"\r\n\r\n",
        b"POST /huawei/bind HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nbindRequest=",
        b"\x00\x01\x02\r\n\r\n",
    ]
    for payload in junk * 10:
        s = socket.create_connection(("127.0.0.1", h.port), timeout=10)
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            answer = s.recv(64)
        except OSError:
            answer = b""    # cut off while sending: refused just the same
        finally:
            s.close()
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
        assert h.proc.poll() is None
    assert sim_bind(url, keys.key, "--domain-id", "after")[0] == 303
    assert db.query("SELECT customer_id FROM callback_events WHERE status = 'accepted'") == [
        ("after",)]


class Dripper(threading.Thread):
    """Sends a request a byte at a time, each well inside [server] timeout, until cut off."""

    def __init__(self, port, gap=0.3, tls=False):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.gap, self.tls = gap, tls
        self.cut_after = None
        self.stop = False

    def run(self):
        begun = time.monotonic()
        # A TLS client that never finishes its hello; a plain one that never ends its headers.
        payload = (b"\x16\x03\x01\x02\x00" if self.tls else
                   b"POST /huawei/bind HTTP/1.1\r\nHost: x\r\n") + b"X-Drip: " + b"a" * 100000
        for i in range(len(payload)):
            if self.stop:
                break
            try:
                self.sock.send(payload[i:i + 1])
                self.sock.setblocking(False)
                try:
                    if self.sock.recv(1) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                finally:
                    self.sock.setblocking(True)
            except OSError:
                self.cut_after = time.monotonic() - begun
                break
            time.sleep(self.gap)
        self.sock.close()


def test_slowloris_is_cut_off_at_the_request_deadline(make_hcwatch, db, keys, workdir):
    crt, key = os.path.join(workdir, "tls.crt"), os.path.join(workdir, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    tls_port = free_port()
    # Dripping every 0.3 s never trips the 30 s silence timeout; only the deadline cuts it.
    h = make_hcwatch({"server": {"timeout": 30, "request_timeout": 2,
                                 "tls_listen": f"127.0.0.1:{tls_port}", "tls_cert_file": crt,
                                 "tls_key_file": key}})
    drippers = [Dripper(h.port) for _ in range(20)] + [Dripper(tls_port, tls=True)
                                                      for _ in range(5)]
    for d in drippers:
        d.start()
    # Everyone else is served meanwhile, including a keep-alive client idle between requests
    # (the deadline is for one request, not for the connection).
    assert sim_bind(f"http://127.0.0.1:{h.port}/huawei/bind", keys.key,
                    "--domain-id", "meanwhile")[0] == 303
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=30)
    c.request("GET", "/healthz")
    assert c.getresponse().read() == b"ok\n"
    time.sleep(3)
    c.request("GET", "/healthz")
    assert c.getresponse().read() == b"ok\n"
    c.close()

    try:
        wait_until(lambda: all(d.cut_after is not None for d in drippers), timeout=60,
                   what="every dripping client cut off")
    finally:
        for d in drippers:
            d.stop = True
    # Cut by the deadline, not by the silence timeout or the header limit, which count nothing.
    metrics = h.request("GET", "/metrics").body.decode()
    assert 'hcwatch_http_connections_cut_total{reason="request_timeout"} 25' in metrics
    assert "took over 2 s to send one request" in h.logtext()
    assert h.proc.poll() is None
    assert db.query("SELECT customer_id FROM callback_events WHERE status = 'accepted'") == [
        ("meanwhile",)]


def test_keep_alive_load_across_the_deadline_sweeps(make_hcwatch, db):
    """wrk keeps 64 connections busy over several once-a-second sweeps of the request deadline,
    so that sweeps find connections in every state evhttp has (reading, writing, closing)."""
    h = make_hcwatch({"log": {"level": "warn"}, "bind": {"enabled": "false"}})
    for _ in range(3):
        r = subprocess.run(["wrk", "-t2", "-c64", "-d2s", f"http://127.0.0.1:{h.port}/healthz"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Non-2xx" not in r.stdout and "Socket errors" not in r.stdout, r.stdout
        time.sleep(1.5)     # the connections wrk closed are let go by the next sweep
        assert h.proc.poll() is None, h.logtext()
    # The fixture then stops hcwatch, which must exit cleanly (ASan reports fail it).
