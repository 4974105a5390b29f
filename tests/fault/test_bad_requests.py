"""Oversized, garbled or dripped requests are refused without harm to anyone else."""

import os
import socket
import subprocess
import threading
import time

import pytest

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


def exchange(port, payload, timeout=5):
    """Sends payload on one connection; returns every byte back until the server closes it
    (None if it is still open after timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(payload)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    except socket.timeout:
        return None
    finally:
        s.close()


def test_ambiguous_lengths_are_refused_and_nothing_is_smuggled(make_hcwatch, db, keys):
    """A proxy in front may read the framing otherwise than evhttp does: the request is refused
    with 400, the connection closed, and what followed is never read as a request."""
    h = make_hcwatch({"log": {"level": "warn"}})
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    cases = {
        "two lengths": b"Content-Length: 5\r\nContent-Length: 44\r\n",
        "the same length twice": b"Content-Length: 5\r\nContent-Length: 5\r\n",
        "a signed length": b"Content-Length: +5\r\n",
        "length and chunked": b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    }
    for name, headers in cases.items():
        for path in (b"/huawei/bind", b"/healthz"):
            got = exchange(h.port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" + headers +
                           b"Content-Type: application/x-www-form-urlencoded\r\n\r\nbindR" +
                           smuggled)
            assert got is not None, (name, path, "left open")
            assert got.startswith(b"HTTP/1.1 400 "), (name, path, got)
            assert got.count(b"HTTP/1.1") == 1, (name, path, got)     # nothing smuggled
    assert db.scalar("SELECT count(*) FROM callback_events") == 0
    assert "more than one Content-Length" in h.logtext()
    # A chunked body that is not chunked is refused by evhttp itself, before hcwatch sees it.
    cut = [ln for ln in h.request("GET", "/metrics").body.decode().splitlines()
           if ln.startswith('hcwatch_http_connections_cut_total{reason="bad_framing"}')]
    assert len(cut) == 1 and float(cut[0].split()[-1]) == 3 * 2, cut


def test_repeated_rejections_are_counted_not_stored(make_hcwatch, db, keys):
    """Anyone can reach the URL: identical rejections make one row that counts them, and a
    rejected body is kept to its first 4 KiB, with its hash and size."""
    h = make_hcwatch({"log": {"level": "warn"}, "bind": {"rejected_per_minute": "0"}})
    for _ in range(200):
        assert h.request("GET", "/huawei/bind").status == 405
    big = b"x" * 60000
    for _ in range(5):
        assert h.post_form(big, content_type="text/plain").status == 415
    rows = db.query("SELECT reason, repeats, octet_length(body), body_bytes FROM callback_events"
                    " ORDER BY id")
    by_reason = {}
    for reason, repeats, stored, size in rows:
        by_reason.setdefault(reason, []).append((repeats, stored, size))
    # An hour may turn during the test: then two rows, the count still exact.
    assert sum(r for r, _, _ in by_reason["method_not_allowed"]) == 200
    assert len(by_reason["method_not_allowed"]) <= 2
    assert sum(r for r, _, _ in by_reason["unsupported_media_type"]) == 5
    assert all(stored == 4096 and size == 60000
               for _, stored, size in by_reason["unsupported_media_type"])
    assert db.scalar("SELECT sum(callbacks) FROM dashboard.callback_intake") == 205
    url = f"http://127.0.0.1:{h.port}/huawei/bind"
    assert sim_bind(url, keys.key, "--domain-id", "after")[0] == 303


def test_rejections_per_address_are_limited(make_hcwatch, db, keys):
    h = make_hcwatch({"log": {"level": "warn"}, "bind": {"rejected_per_minute": "10"}})
    began = time.monotonic()
    statuses = [h.post_form(f"bogus={i}").status for i in range(50)]
    if time.monotonic() - began > 50:
        pytest.skip("50 local requests took most of a minute: the machine is too slow to tell")
    assert statuses.count(400) == 10 and statuses.count(429) == 40, statuses
    assert db.scalar("SELECT count(*) FROM callback_events") == 10
    m = h.request("GET", "/metrics").body.decode()
    assert 'hcwatch_callbacks_total{result="limited",reason=""} 40' in m
    assert h.logtext().count("rejected requests in a minute from 127.0.0.1") == 1
    # A verified notification is never limited.
    url = f"http://127.0.0.1:{h.port}/huawei/bind"
    assert sim_bind(url, keys.key, "--domain-id", "after")[0] == 303


def test_old_callbacks_go_at_their_retention(make_hcwatch, db):
    h = make_hcwatch({"bind": {"retention_days": "400", "rejected_retention_days": "30"}},
                     start=False)
    for status, days in (("accepted", 500), ("accepted", 300), ("rejected", 40),
                         ("rejected", 10)):
        db.query("INSERT INTO callback_events (received_at, channel, request_id, status, reason,"
                 " idempotency_key) VALUES (now() - %s * interval '1 day', 'bind', 'r', %s, %s,"
                 " %s)", (days, status, "bad_signature" if status == "rejected" else None,
                          f"k{days}"))
    h.start()
    wait_until(lambda: db.scalar("SELECT count(*) FROM callback_events") == 2, 20,
               "the retention pass")
    assert sorted(k for (k,) in db.query("SELECT idempotency_key FROM callback_events")) == [
        "k10", "k300"]
    assert "retention: deleted 1 callback_events older than 400 days and 1 rejected" in \
        h.logtext()


def test_head_gets_headers_and_no_body(make_hcwatch):
    h = make_hcwatch({"log": {"level": "warn"}})
    for path in (b"/huawei/bind", b"/healthz", b"/readyz", b"/metrics", b"/nowhere"):
        get = exchange(h.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = exchange(h.port, b"HEAD " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert head is not None and get is not None, path
        head_hdr, _, head_body = head.partition(b"\r\n\r\n")
        get_hdr, _, get_body = get.partition(b"\r\n\r\n")
        assert head_body == b"", (path, head)
        lengths = [ln for ln in head_hdr.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
        assert len(lengths) == 1, (path, head_hdr)
        assert head_hdr.split(b"\r\n")[0] == get_hdr.split(b"\r\n")[0], path
        if path != b"/metrics":     # the metrics change between the two requests
            assert int(lengths[0].split(b":")[1]) == len(get_body), (path, head_hdr, get_body)


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
