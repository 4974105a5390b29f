import itertools
import os
import re
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from harness import HCWATCH, Database, Hcwatch, Keys, Postgres

_db_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg():
    cluster = Postgres()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="hcwatch-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def keys(workdir):
    return Keys(workdir, "huawei")


@pytest.fixture(scope="session")
def other_keys(workdir):
    return Keys(workdir, "other")


_declared = {}


def declared_facts():
    """kind -> the facts its rule declares, as `hcwatch rules` lists them."""
    if not _declared:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HCWATCH_")}
        r = subprocess.run([HCWATCH, "rules"], capture_output=True, text=True, env=env,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        kind = None
        for line in r.stdout.splitlines():
            m = re.match(r"  kind (\w+)$", line)
            if m:
                kind = m.group(1)
                _declared[kind] = set()
            m = re.match(r"    \{\{(\w+)\}\}", line)
            if m and kind:
                _declared[kind].add(m.group(1))
    return _declared


def undeclared_facts(d):
    """The facts that notifications carry and their kind's rule does not declare."""
    try:
        rows = d.query("SELECT DISTINCT a.kind, k FROM notifications n"
                       " JOIN alerts a ON a.id = n.alert_id,"
                       " jsonb_object_keys(n.facts) AS k")
    except psycopg2.errors.UndefinedTable:
        return []
    declared = declared_facts()
    return [f"{kind}.{k}" for kind, k in rows if k not in declared.get(kind, ())]


@pytest.fixture
def db(pg):
    name = pg.create_db(f"t{os.getpid()}_{next(_db_counter)}")
    d = Database(pg, name)
    yield d
    # A rule names its facts once, in its row: whatever its statements emit is declared there.
    undeclared = undeclared_facts(d)
    d.close()
    assert not undeclared, f"facts no rule declares: {undeclared}"


@pytest.fixture
def make_hcwatch(workdir, db, keys):
    """Builds a migrated hcwatch on a fresh database; stops every one at the end."""
    made = []

    def make(settings=None, migrate=True, start=True):
        s = {"bind": {"certificates": keys.metadata,
                      "success_url": "https://partner.example/bound"}}
        for section, kv in (settings or {}).items():
            s.setdefault(section, {}).update(kv)
        h = Hcwatch(workdir, db.url, s)
        made.append(h)
        if migrate:
            r = h.run("migrate")
            assert r.returncode == 0, r.stderr
        if start:
            h.start()
        return h

    yield make
    # A clean exit is part of every test: under ASan a leak or error changes the exit code.
    failures = []
    for h in made:
        if h.proc is not None and h.proc.poll() is None:
            rc = h.stop()
            if rc != 0:
                failures.append(f"hcwatch exited {rc}:\n{h.logtext()[-4000:]}")
        elif h.proc is not None and h.proc.returncode not in (0, 1):
            failures.append(f"hcwatch died with {h.proc.returncode}:\n{h.logtext()[-4000:]}")
        if h.proc is not None and ("Sanitizer" in h.logtext() or "runtime error" in h.logtext()):
            failures.append(f"sanitizer report:\n{h.logtext()[-4000:]}")
        h.kill()
    assert not failures, "\n".join(failures)


@pytest.fixture
def hcwatch(make_hcwatch):
    return make_hcwatch()
