"""Running hcwatch: database outages, reload, drain, migrations, TLS, logs and the CLI."""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading

from harness import HCWATCH, SIM, free_port, sim_bind, sim_body, wait_until


def url(h):
    return f"http://127.0.0.1:{h.port}/huawei/bind"


def test_database_down_503_then_recovers(hcwatch, db, pg, keys):
    assert sim_bind(url(hcwatch), keys.key, "--domain-id", "before")[0] == 303
    pg.stop()
    try:
        body = sim_body(keys.key, "--domain-id", "during")
        r = hcwatch.post_form(body)
        assert r.status == 503 and r.header("Retry-After")
        wait_until(lambda: hcwatch.request("GET", "/readyz").status == 503, 10, "/readyz 503")
        assert hcwatch.request("GET", "/readyz").body == b"database unavailable\n"
        assert hcwatch.request("GET", "/healthz").status == 200
    finally:
        pg.start()
    # No restart of hcwatch: it reconnects by itself.
    wait_until(lambda: hcwatch.request("GET", "/readyz").status == 200, 20, "/readyz 200")
    assert hcwatch.post_form(body).status == 303
    assert db.query("SELECT customer_id, status FROM callback_events ORDER BY id") == [
        ("before", "accepted"), ("during", "accepted")]
    log = hcwatch.logtext()
    assert "database unavailable" in log and "reachable again" in log


def test_readyz_says_when_a_migration_is_pending(hcwatch, db):
    """Another binary's migration is not this one's: /readyz says which is wrong."""
    db.query("DELETE FROM schema_migrations WHERE version = (SELECT max(version)"
             " FROM schema_migrations)")
    wait_until(lambda: hcwatch.request("GET", "/readyz").status == 503, 30, "/readyz 503")
    assert hcwatch.request("GET", "/readyz").body == b"migrations pending: run hcwatch migrate\n"


def test_sighup_bad_config_keeps_old_then_good_applies(hcwatch, db, keys):
    good = open(hcwatch.conf).read()
    hcwatch.write_conf(good + "[bind]\nno_such_key = 1\n")
    hcwatch.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in hcwatch.logtext(), 10, "reload failure logged")
    assert "no_such_key" in hcwatch.logtext()
    assert sim_bind(url(hcwatch), keys.key, "--domain-id", "a") == (303, "https://partner.example/bound")

    hcwatch.write_conf(good.replace("https://partner.example/bound", "https://partner.example/v2")
                       .replace("listen = 127.0.0.1", "listen = 127.0.0.2"))
    hcwatch.send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in hcwatch.logtext(), 10, "reload logged")
    assert "listen cannot change while running" in hcwatch.logtext()
    assert sim_bind(url(hcwatch), keys.key, "--domain-id", "b") == (303, "https://partner.example/v2")


def test_sighup_reloads_certificates(hcwatch, db, keys, other_keys):
    assert sim_bind(url(hcwatch), other_keys.key, "--domain-id", "x")[0] == 403
    conf = open(hcwatch.conf).read()
    hcwatch.write_conf(conf.replace(keys.metadata, other_keys.metadata))
    hcwatch.send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in hcwatch.logtext(), 10, "reload logged")
    assert sim_bind(url(hcwatch), other_keys.key, "--domain-id", "x")[0] == 303
    assert sim_bind(url(hcwatch), keys.key, "--domain-id", "y")[0] == 403


def test_sigterm_drains_in_flight(hcwatch, db, pg, keys):
    """Requests waiting on their commit are answered before exit; new connections are refused."""
    bodies = sim_body(keys.key, "--domain-id", "drain-", "--count", "10").splitlines()
    blocker = pg.connect(db.name)
    blocker.autocommit = False
    cur = blocker.cursor()
    cur.execute("LOCK TABLE callback_events IN EXCLUSIVE MODE")    # commits wait behind this
    results = []

    def post(b):
        results.append(hcwatch.post_form(b).status)

    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    wait_until(lambda: db.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0, 10,
               "a commit waiting on the lock")
    hcwatch.send_signal(signal.SIGTERM)
    wait_until(lambda: "no longer accepting" in hcwatch.logtext(), 10, "drain started")
    assert re.search(r"draining ([1-9][0-9]*) request", hcwatch.logtext())

    def refused():
        try:
            socket.create_connection(("127.0.0.1", hcwatch.port), timeout=1).close()
            return False
        except OSError:
            return True
    wait_until(refused, 10, "listener closed")
    assert hcwatch.proc.poll() is None          # still draining
    blocker.rollback()
    blocker.close()
    for t in threads:
        t.join(30)
    assert hcwatch.proc.wait(30) == 0
    assert sorted(results) == [303] * 10
    assert db.scalar("SELECT count(*) FROM customers") == 10


def test_serve_refuses_pending_migrations(make_hcwatch, db):
    h = make_hcwatch(migrate=False, start=False)
    h.start(wait_ready=False)
    assert h.proc.wait(30) == 1
    assert "migration(s) pending" in h.logtext() and "hcwatch migrate" in h.logtext()
    assert db.scalar("SELECT to_regclass('customers') IS NULL")


def test_auto_migrate_and_migrate_idempotent(make_hcwatch, db, keys):
    h = make_hcwatch({"database": {"auto_migrate": "true"}}, migrate=False)
    assert db.scalar("SELECT count(*) FROM schema_migrations") >= 1
    again = h.run("migrate")
    assert again.returncode == 0 and "0 migration(s) applied" in again.stderr
    assert sim_bind(url(h), keys.key, "--domain-id", "auto")[0] == 303


def test_changed_migration_detected(make_hcwatch, db):
    h = make_hcwatch(start=False)
    db.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    r = h.run("migrate")
    assert r.returncode == 1 and "changed after it was applied" in r.stderr


def test_check_config_and_version(make_hcwatch, db, workdir):
    h = make_hcwatch(start=False)
    r = h.run("check-config")
    assert r.returncode == 0 and "configuration ok; 1 signing key(s)" in r.stdout
    with open(h.conf, "a") as f:
        f.write("[server]\nmax_body_size = lots\n")
    r = h.run("check-config")
    assert r.returncode == 1 and "[server] max_body_size: expected a whole number" in r.stderr
    lines = open(h.conf).read().splitlines()
    assert f":{len(lines)}:" in r.stderr
    # Every error at once, each on its own line, and what would fail only at run time.
    with open(h.conf, "a") as f:
        f.write("[destinaton sales-ding]\ntype = dingtalk\n[server]\ntls_cert_file = /nope.pem\n")
    r = h.run("check-config", env=dict(os.environ, HCWATCH_LOG_LEVLE="debug"))
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("hcwatch: ")]
    assert r.returncode == 1 and len(errors) == 4, r.stderr
    assert "did you mean [destination sales-ding]?" in r.stderr
    assert "did you mean HCWATCH_LOG_LEVEL?" in r.stderr
    v = subprocess.run([HCWATCH, "version"], capture_output=True, text=True)
    for lib in ("libevent", "OpenSSL", "libpq", "jansson", "libcurl", "libxml2"):
        assert lib in v.stdout


def test_database_errors_read_as_one_line(make_hcwatch):
    """libpq's messages run over lines: the log and the commands show them joined, not as ??."""
    h = make_hcwatch({"database": {"url": f"postgresql://nobody@127.0.0.1:{free_port()}/x",
                                   "connect_timeout": "2"}}, migrate=False, start=False)
    r = h.run("alerts", "list")
    assert r.returncode != 0
    assert "Connection refused; Is the server running" in r.stderr, r.stderr
    assert "??" not in r.stderr and "\t" not in r.stderr


def test_json_logs_with_request_id_and_no_secrets(pg, make_hcwatch, db, keys):
    # A password in the URL: trust auth ignores it, the logs must not show it.
    secret_url = db.url.replace("postgres@", "postgres:sup3rsecret@")
    h = make_hcwatch({"log": {"format": "json"}, "database": {"url": secret_url}})
    assert sim_bind(url(h), keys.key, "--domain-id", "j", "--tamper", "signature")[0] == 403
    lines = [json.loads(line) for line in h.logtext().splitlines() if line.startswith("{")]
    assert lines and all({"ts", "level", "msg"} <= set(x) for x in lines)
    rejected = [x for x in lines if "bind rejected" in x["msg"]]
    assert rejected and len(rejected[0]["request_id"]) == 16
    r = h.run("check-config")
    assert "sup3rsecret" not in r.stdout + r.stderr and "password=****" in r.stdout
    assert "sup3rsecret" not in h.logtext()


def test_tls_listener(make_hcwatch, db, keys, workdir):
    crt, key = os.path.join(workdir, "tls.crt"), os.path.join(workdir, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    tls_port = free_port()
    h = make_hcwatch({"server": {"tls_listen": f"127.0.0.1:{tls_port}", "tls_cert_file": crt,
                                 "tls_key_file": key}})
    status, _ = sim_bind(f"https://127.0.0.1:{tls_port}/huawei/bind", keys.key,
                         "--domain-id", "tls", "--cacert", crt)
    assert status == 303
    # Verification stays on: without the CA the simulator refuses the server.
    out = subprocess.run([SIM, "bind", "--url", f"https://127.0.0.1:{tls_port}/huawei/bind",
                          "--key", keys.key, "--domain-id", "tls2"], capture_output=True, text=True)
    assert out.returncode == 1 and "certificate" in out.stderr.lower()
    assert db.scalar("SELECT count(*) FROM customers") == 1
    # The internet-facing listener serves the notification only; the plain one the rest.
    ctx = ssl.create_default_context(cafile=crt)
    for path in ("/metrics", "/healthz", "/readyz"):
        c = http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx, timeout=10)
        c.request("GET", path)
        assert c.getresponse().status == 404, path
        c.close()
        assert h.request("GET", path).status == 200, path
    # Where they are served is the operator's choice.
    h.settings["server"]["internal_endpoints"] = "tls_listen"
    h.write_conf()
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in h.logtext(), 10, "reload")
    c = http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx, timeout=10)
    c.request("GET", "/healthz")
    assert c.getresponse().status == 200
    c.close()
    assert h.request("GET", "/healthz").status == 404
