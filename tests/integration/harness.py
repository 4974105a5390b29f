"""Test harness: a private PostgreSQL cluster, the real hcwatch and hcwatch-sim.

PostgreSQL refuses to run as root, and CI runs as root, so when we are root
the cluster belongs to an unprivileged user (HCWATCH_TEST_PG_USER, default
"nobody") and lives in a temporary folder that user can enter.
"""

import http.client
import os
import shlex
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import psycopg2

HCWATCH = os.environ.get("HCWATCH_BIN", "build/hcwatch")
# A command to run hcwatch under, e.g. valgrind (scripts/test.sh sets it for its valgrind pass).
WRAP = shlex.split(os.environ.get("HCWATCH_WRAP", ""))
SIM = os.environ.get("HCWATCH_SIM_BIN", "build/hcwatch-sim")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        d = out.stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = sorted(os.listdir("/usr/lib/postgresql"), key=int)
    return f"/usr/lib/postgresql/{versions[-1]}/bin"


def wait_until(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_concurrently(fn, args_list):
    """Calls fn(*args) for each args on its own thread; returns the results in order."""
    results = [None] * len(args_list)

    def run(i, args):
        results[i] = fn(*args)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


class Postgres:
    """A PostgreSQL cluster of our own, on a free port, torn down at the end."""

    def __init__(self, fsync=False, settings=None):
        self.bindir = pg_bindir()
        self.base = tempfile.mkdtemp(prefix="hcwatch-pg-")
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.logfile = os.path.join(self.base, "postgres.log")
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = os.environ.get("HCWATCH_TEST_PG_USER", "nobody")
            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self._run(["initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--no-sync", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.base}'\n"
                    f"fsync = {'on' if fsync else 'off'}\nmax_connections = 200\n")
            for k, v in (settings or {}).items():
                f.write(f"{k} = '{v}'\n")
        self.start()

    def _run(self, argv, check=True):
        argv = [os.path.join(self.bindir, argv[0])] + argv[1:]
        return subprocess.run(argv, user=self.user, capture_output=True, text=True, check=check,
                              cwd=self.base)

    def start(self):
        self._run(["pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t", "60", "start"])

    def stop(self, mode="fast"):
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def destroy(self):
        self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname="postgres"):
        c = psycopg2.connect(self.url(dbname))
        c.autocommit = True
        return c

    def create_db(self, name):
        c = self.connect()
        try:
            with c.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            c.close()
        return name


class Database:
    """One database of the cluster, with a small query helper."""

    def __init__(self, pg, name):
        self.pg = pg
        self.name = name
        self.url = pg.url(name)
        self._conn = None

    def query(self, sql, params=None):
        if self._conn is None or self._conn.closed:
            self._conn = self.pg.connect(self.name)
        with self._conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def scalar(self, sql, params=None):
        return self.query(sql, params)[0][0]

    def close(self):
        if self._conn is not None:
            self._conn.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def text(self):
        return self.body.decode("utf-8")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


# The serve processes running now, by database URL: a one-shot command that does the same work
# as a running serve's background threads would race them (see Hcwatch.run).
_serving = {}


class Hcwatch:
    """The real hcwatch binary, configured by a file we write, on a free port."""

    def __init__(self, workdir, db_url, settings=None):
        self.workdir = workdir
        self.port = free_port()
        self.conf = os.path.join(workdir, f"hcwatch-{self.port}.conf")
        self.logpath = os.path.join(workdir, f"hcwatch-{self.port}.log")
        self.settings = {
            "server": {"listen": f"127.0.0.1:{self.port}", "timeout": "10"},
            "database": {"url": db_url, "connect_timeout": "2"},
            "log": {"level": "debug"},
            "bind": {},
        }
        for section, keys in (settings or {}).items():
            self.settings.setdefault(section, {}).update(keys)
        self.write_conf()
        self.proc = None

    def write_conf(self, text=None):
        if text is None:
            lines = []
            for section, keys in self.settings.items():
                lines.append(f"[{section}]")
                lines += [f"{k} = {v}" for k, v in keys.items()]
            text = "\n".join(lines) + "\n"
        with open(self.conf, "w") as f:
            f.write(text)

    def background_work(self):
        """What this configuration's serve does on its own: evaluate, deliver, poll."""
        def on(section, default):
            return self.settings.get(section, {}).get("enabled", default) != "false"
        work = set()
        if on("alerts", "true"):
            work.add("evaluate")
        if on("notifier", "true") and any(s.startswith("destination ") for s in self.settings):
            work.add("deliver")
        if on("poller", "false"):
            work.add("poll")
        return work

    def run(self, *args, env=None, timeout=60):
        """Runs a one-shot command (migrate, check-config, ...).

        `alerts evaluate`, `deliver` and `poll` are refused while a serve on the same database
        does that work in the background: which of the two gets there first would decide what
        the test sees. Such a test starts serve with that work turned off.
        """
        job = {"alerts": "evaluate" if args[:2] == ("alerts", "evaluate") else None,
               "deliver": "deliver", "poll": "poll"}.get(args[0] if args else None)
        for other in _serving.get(self.settings["database"]["url"], ()):
            if job and other.proc.poll() is None and job in other.background_work():
                raise AssertionError(
                    f"`hcwatch {' '.join(args)}` while the serve on port {other.port} does "
                    f"'{job}' in the background: the test would race it; turn that off in the "
                    "serve's configuration")
        return subprocess.run([*WRAP, HCWATCH, "-c", self.conf, *args], capture_output=True, text=True,
                              env=env, timeout=timeout)

    def start(self, wait_ready=True, env=None):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([*WRAP, HCWATCH, "serve", "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        _serving.setdefault(self.settings["database"]["url"], []).append(self)
        if wait_ready:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"hcwatch exited with {self.proc.returncode}:\n{self.logtext()}")
            try:
                return self.request("GET", "/readyz").status == 200
            except OSError:
                return False
        wait_until(ready, timeout, "/readyz")

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def post_form(self, body, content_type="application/x-www-form-urlencoded", path="/huawei/bind"):
        if isinstance(body, str):
            body = body.encode()
        return self.request("POST", path, body, {"Content-Type": content_type})

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def _forget(self):
        running = _serving.get(self.settings["database"]["url"], [])
        if self in running:
            running.remove(self)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self._forget()
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    def kill(self):
        self._forget()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Keys:
    """A key pair and certificate made with OpenSSL at test time, and SP metadata carrying it."""

    def __init__(self, workdir, name="huawei"):
        self.key = os.path.join(workdir, f"{name}.key")
        self.cert = os.path.join(workdir, f"{name}.crt")
        self.metadata = os.path.join(workdir, f"{name}-metadata.xml")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", self.key, "-out", self.cert, "-days", "2",
                        "-subj", f"/CN=hcwatch test {name}"],
                       check=True, capture_output=True)
        subprocess.run([SIM, "metadata", "--cert", self.cert, "--out", self.metadata],
                       check=True, capture_output=True)


def sim_bind(url, key, *args):
    """Posts a signed binding notification with hcwatch-sim; returns (status, location)."""
    out = subprocess.run([SIM, "bind", "--url", url, "--key", key, *args], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    parts = out.stdout.split()
    assert parts[0] == "HTTP", out.stdout
    return int(parts[1]), (parts[2] if len(parts) > 2 else None)


def sim_body(key, *args):
    """A signed form body, as hcwatch-sim would post it."""
    out = subprocess.run([SIM, "bind", "--print", "--key", key, *args], capture_output=True,
                         text=True, check=True, timeout=60)
    return out.stdout.strip()


SIM_AK = "HCWATCHSIMACCESSKEY0"
SIM_SK = "hcwatch-sim-secret-key-0000000000000000"
SIM_IAM_USER, SIM_IAM_PASSWORD, SIM_IAM_DOMAIN = "hcwatch", "hcwatch-sim-password", "partner-demo"


class HuaweiSim:
    """hcwatch-sim serve: Huawei's BSS and IAM APIs on a free port."""

    def __init__(self, workdir, *args):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logpath = os.path.join(workdir, f"sim-{self.port}.log")
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([SIM, "serve", "--listen", f"127.0.0.1:{self.port}", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"hcwatch-sim exited {self.proc.returncode}")
            try:
                return self.admin("GET", "stats") is not None
            except OSError:
                return False
        wait_until(up, 20, "hcwatch-sim serve")

    def admin(self, method, what, body=None):
        import json
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            c.request(method, f"/_sim/{what}", body=data,
                      headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            payload = r.read()
            if r.status != 200:
                raise AssertionError(f"/_sim/{what}: {r.status} {payload!r}")
            return json.loads(payload)
        finally:
            c.close()

    def stats(self):
        return self.admin("GET", "stats")

    def dataset(self):
        return self.admin("GET", "dataset")

    def mutate(self, *ops):
        return self.admin("POST", "mutate", list(ops))

    def faults(self, **kw):
        return self.admin("POST", "faults", kw)

    def messages(self, channel=None, target=None):
        """What the chat robots and the webhook receiver accepted, and what they refused."""
        q = "&".join(f"{k}={v}" for k, v in (("channel", channel), ("target", target)) if v)
        return self.admin("GET", "messages" + (f"?{q}" if q else ""))

    def mail(self):
        return self.admin("GET", "mail")["mail"]

    def chat_fault(self, channel, target, mode, code=0, count=None, seconds=None):
        body = {"channel": channel, "target": target, "mode": mode, "code": code}
        if count is not None:
            body["count"] = count
        else:
            body["seconds"] = seconds or 0
        return self.admin("POST", "chat-faults", body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
        return self.proc.returncode


SIM_CHAT_SECRET = "hcwatch-sim-chat-secret"
SIM_WEBHOOK_SECRET = "whsec_aGN3YXRjaC1zaW0td2ViaG9vay1zZWNyZXQ="


def chat_destination(sim, kind, target, **extra):
    """A [destination NAME] section that points one channel of hcwatch at the simulator."""
    url = {
        "wecom": f"{sim.url}/wecom/cgi-bin/webhook/send?key={target}",
        "dingtalk": f"{sim.url}/dingtalk/robot/send?access_token={target}",
        "feishu": f"{sim.url}/feishu/open-apis/bot/v2/hook/{target}",
        "slack": f"{sim.url}/slack/services/{target}",
        "webhook": f"{sim.url}/webhook/{target}",
    }[kind]
    d = {"type": kind, "url": url}
    if kind in ("dingtalk", "feishu"):
        d["secret"] = SIM_CHAT_SECRET
    if kind == "webhook":
        d["secret"] = SIM_WEBHOOK_SECRET
    d.update({k: str(v) for k, v in extra.items()})
    return d


def huawei_settings(sim, **poller):
    """The [huawei] and [poller] sections that point hcwatch at the simulator. Consumption is
    read two days back, not 35: one billing month (two only on a month's first days), half the
    calls, which the tests about consumption itself raise."""
    p = {"concurrency": "4", "consumption_backfill_days": "2"}
    p.update({k: str(v) for k, v in poller.items()})
    return {"huawei": {"endpoint": sim.url, "iam_endpoint": sim.url, "access_key": SIM_AK,
                       "secret_key": SIM_SK, "retry_base_ms": "50", "retry_max_ms": "400"},
            "poller": p}
