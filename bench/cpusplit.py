"""Where the CPU of a benchmark's window went: PostgreSQL, hcwatch, the load generator.

And, with pg_stat_statements loaded, which statements PostgreSQL spent its time on.

Read from /proc, so it needs no profiler and costs nothing while the window
runs. PostgreSQL's share is the postmaster and every backend it started:
the living children's own time plus what the postmaster has reaped
(cutime/cstime), so a backend that comes and goes inside the window is
counted too. A process's figure includes all of its threads.

The load generator runs as a child of the benchmark and is waited for, so
its CPU is the growth of RUSAGE_CHILDREN over the window (Window.load).
"""

import os
import resource
import time

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(own, reaped children) CPU seconds of pid, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # The command name may hold spaces; fields resume after its closing parenthesis.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / TICK, (cutime + cstime) / TICK


def _children(ppid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == ppid:
            out.append(int(name))
    return out


def postmaster_pid(data_dir):
    with open(os.path.join(data_dir, "postmaster.pid")) as f:
        return int(f.readline())


def _kind(pid):
    """A PostgreSQL process's role from its title: walwriter, autovacuum worker, backend…"""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "exited"
    if not title:
        return "exited"  # a zombie, not reaped yet
    if not title.startswith("postgres: "):
        return title.split(" ")[0]
    words = title[len("postgres: "):].split()
    # A backend's title is "user database host(port) state".
    if len(words) >= 3 and "(" in words[2]:
        return "backends"
    return " ".join(w for w in words if not w[0].isdigit())


def postgres_parts(pm):
    """CPU seconds by role: the postmaster, its living children by title, those it reaped."""
    own, reaped = _stat(pm) or (0.0, 0.0)
    parts = {"postmaster": own, "exited": reaped}
    for c in _children(pm):
        s = _stat(c)
        if s:
            k = _kind(c)
            parts[k] = parts.get(k, 0.0) + s[0]
    return parts


def backends(pm):
    """The pids of the postmaster's children now."""
    return set(_children(pm))


def settle(pm, before, timeout=10.0):
    """Waits until the client backends started since `before` (a backends() set) have exited
    and been reaped, so that their CPU does not land in a window that starts next."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not [p for p in _children(pm) if p not in before and _kind(p) in ("backends", "exited")]:
            return
        time.sleep(0.01)


def process_cpu(pid):
    s = _stat(pid)
    return s[0] if s else 0.0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Window:
    """CPU seconds spent between start() and stop() by PostgreSQL, hcwatch and our children."""

    def __init__(self, pg_data, hcwatch_pid):
        self.pm = postmaster_pid(pg_data)
        self.hc = hcwatch_pid

    def _now(self):
        self.parts = postgres_parts(self.pm)
        return (sum(self.parts.values()), process_cpu(self.hc) if self.hc else 0.0,
                children_cpu())

    def start(self):
        self.t0 = self._now()
        self.parts0 = self.parts
        return self

    def stop(self):
        t1 = self._now()
        self.pg, self.hcwatch, self.load = (b - a for a, b in zip(self.t0, t1))
        # A backend that exits inside the window moves from its role to "exited"; roles are
        # for reading where the time went, the total is exact.
        self.pg_parts = {k: self.parts.get(k, 0.0) - self.parts0.get(k, 0.0)
                         for k in set(self.parts) | set(self.parts0)}
        return self

    def parts_line(self, units):
        """PostgreSQL's CPU per unit by role, largest first."""
        u = max(units, 1)
        return ", ".join(f"{k} {v * 1e6 / u:.0f} us" for k, v in
                         sorted(self.pg_parts.items(), key=lambda kv: -kv[1]) if abs(v) * 1e6 / u >= 1)

    def per_unit_us(self, units):
        """(PostgreSQL, hcwatch, load generator) CPU microseconds per unit of work."""
        u = max(units, 1)
        return self.pg * 1e6 / u, self.hcwatch * 1e6 / u, self.load * 1e6 / u


def top_statements(db, n=8):
    """What PostgreSQL spent its time on, from pg_stat_statements, most first."""
    rows = db.query("SELECT calls, total_exec_time, rows, "
                    "regexp_replace(left(query, 90), '\\s+', ' ', 'g') FROM pg_stat_statements "
                    "ORDER BY total_exec_time DESC LIMIT %s", (n,))
    print("pg_stat_statements, by total execution time:")
    for calls, total, nrows, q in rows:
        print(f"  {total:9.0f} ms {calls:8d} calls {total * 1000 / max(calls, 1):8.0f} us/call "
              f"{nrows / max(calls, 1):6.1f} rows/call  {q}")
