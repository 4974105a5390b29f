"""Secrets stay secret: a sentinel in every setting that holds one, every kind of failure made
to happen, and then no log line, table, view, metric, command output or message may hold any
of them. Error texts name the destination and the host instead."""

import datetime as dt
import json
import os
import socket
import threading

from harness import HuaweiSim, SIM_AK, free_port, huawei_settings, wait_until
from test_alerts import T0, add_customer, add_resource, chat_destination, iso, webhook_items

S = {k: f"SENTINEL{k}{os.getpid()}x7f3a9c" for k in (
    "dbpw", "sk", "iampw", "wecomkey", "dingtoken", "dingsecret", "feishuhook", "feishusecret",
    "slackpath", "hooktoken", "hooksecret", "mailpw", "linkkey0000000000")}


class Peer:
    """A TCP server on a free port: 'blackhole' accepts and never answers (a timeout), 'echo'
    answers 404 with the request it got, as some servers do (the URL and headers included)."""

    def __init__(self, mode):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.held = []
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "blackhole":
                self.held.append(c)
                continue
            c.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: "
                          + str(len(data)).encode() + b"\r\nConnection: close\r\n\r\n" + data)
            except OSError:
                pass
            c.close()

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.held:
            c.close()


def leaks(text):
    return sorted(k for k, v in S.items() if v in text)


def every_table(db):
    """Every row of every table and view hcwatch writes or serves, as text."""
    out = []
    for schema, name in db.query("SELECT table_schema, table_name FROM information_schema.tables"
                                 " WHERE table_schema IN ('public', 'dashboard')"):
        for (row,) in db.query(f'SELECT row_to_json(t)::text FROM "{schema}"."{name}" t'):
            out.append(f"{schema}.{name}: {row}")
    return "\n".join(out)


def test_no_secret_leaves_through_any_failure(make_hcwatch, workdir, db, pg):
    smtp_port = free_port()
    sim = HuaweiSim(workdir, "--customers", "2", "--smtp-listen", f"127.0.0.1:{smtp_port}",
                    "--smtp-user", "hcw", "--smtp-password", "the-right-one")
    blackhole, echo = Peer("blackhole"), Peer("echo")
    closed = free_port()
    outputs = []
    try:
        dests = {
            # Connection refused.
            "wecom": {"type": "wecom",
                      "url": f"http://127.0.0.1:{closed}/cgi-bin/webhook/send?key={S['wecomkey']}"},
            # TLS spoken to a server that speaks plain HTTP.
            "ding": {"type": "dingtalk", "secret": S["dingsecret"],
                     "url": f"https://127.0.0.1:{sim.port}/dingtalk/robot/send?"
                            f"access_token={S['dingtoken']}"},
            # No answer: a timeout.
            "feishu": {"type": "feishu", "secret": S["feishusecret"],
                       "url": f"http://127.0.0.1:{blackhole.port}/open-apis/bot/v2/hook/"
                              f"{S['feishuhook']}"},
            # An answer that echoes the request: URL, signature headers and body.
            "slack": {"type": "slack",
                      "url": f"http://127.0.0.1:{echo.port}/services/T0/B0/{S['slackpath']}"},
            "hook": {"type": "webhook", "secret": S["hooksecret"],
                     "url": f"http://127.0.0.1:{echo.port}/hook?token={S['hooktoken']}"},
            # The wrong password.
            "mail": {"type": "email", "url": f"smtp://127.0.0.1:{smtp_port}", "tls": "none",
                     "from": "alerts@partner.example", "to": "ops@partner.example",
                     "username": "hcw", "password": S["mailpw"]},
            "ops": chat_destination(sim, "webhook", "ops"),
        }
        settings = huawei_settings(sim, enabled="true", customers_interval="1")
        settings["huawei"]["secret_key"] = S["sk"]          # refused: 401
        settings.update({
            "database": {"url": db.url.replace("postgres@", f"postgres:{S['dbpw']}@")},
            "bind": {"enabled": "false"},
            "server": {"metrics": "true"},
            "routing": {"default": "wecom,ding,feishu,slack,hook,mail", "operator": "ops"},
            "alerts": {"evaluate_interval": "1", "clock_offset": "0"},
            # The key that signs the pages' links: links are in the messages, never the key.
            "web": {"public_url": "http://127.0.0.1:9", "keys": S["linkkey0000000000"]},
            "notifier": {"poll_interval_ms": "100", "retry_base_ms": "100", "retry_max_ms": "200",
                         "retry_for": "2", "timeout": "1", "connect_timeout": "1", "lease": "9"},
        })
        for name, d in dests.items():
            settings[f"destination {name}"] = d
        h = make_hcwatch(settings, start=False)
        add_customer(db)
        add_resource(db, "r1", dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
        h.start()

        def failing_told():
            told = {i["facts"]["destination"] for i in webhook_items(sim, "ops")
                    if i["kind"] == "channel_failing"}
            return told >= {"wecom", "ding", "feishu", "slack", "hook", "mail"}
        wait_until(failing_told, 90, "every failing destination told to the operator")
        wait_until(lambda: db.scalar("SELECT count(*) FROM poll_runs WHERE auth_failed") > 0, 30,
                   "a refused poll")
        outputs.append(h.request("GET", "/metrics").body.decode())
        assert h.stop() == 0

        # The commands an operator runs to look into it.
        for args in (("alerts", "deliveries"), ("alerts", "deliveries", "--dead"),
                     ("alerts", "list"), ("check-config",), ("send-test", "--dest", "slack"),
                     ("send-test", "--dest", "ding"), ("send-test", "--dest", "mail"),
                     ("poll", "--once", "--job", "customers")):
            r = h.run(*args)
            outputs.append(f"{args}: {r.stdout}{r.stderr}")
        # Huawei unreachable, spoken TLS to, and an IAM password refused.
        for huawei in ({"endpoint": f"http://127.0.0.1:{closed}/{S['sk']}"},
                       {"endpoint": f"https://127.0.0.1:{sim.port}"},
                       {"auth": "token", "iam_user": "hcw", "iam_password": S["iampw"],
                        "iam_domain": "partner"}):
            h.settings["huawei"] = dict(settings["huawei"], **huawei, retry_max="1")
            h.write_conf()
            r = h.run("poll", "--once", "--job", "customers")
            assert r.returncode != 0
            outputs.append(f"poll {sorted(huawei)}: {r.stdout}{r.stderr}")

        texts = {"log": h.logtext(), "tables": every_table(db), "commands": "\n".join(outputs),
                 "chat": json.dumps(sim.messages(), ensure_ascii=False),
                 "mail": json.dumps(sim.mail(), ensure_ascii=False)}
        for where, text in texts.items():
            assert leaks(text) == [], (where, leaks(text), [ln for ln in text.splitlines()
                                                           if leaks(ln)][:5])
        # Something was said about each failure, naming the host instead.
        errors = "\n".join(e for (e,) in db.query("SELECT last_error FROM deliveries"
                                                  " WHERE last_error IS NOT NULL"))
        assert f"127.0.0.1:{closed}" in errors and f"127.0.0.1:{blackhole.port}" in errors, errors
        assert "SMTP 127.0.0.1" in errors, errors
        assert f"127.0.0.1:{closed}" in texts["commands"]
    finally:
        blackhole.stop()
        echo.stop()
        sim.stop()
