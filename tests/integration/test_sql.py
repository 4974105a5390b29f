"""Every SQL statement (src/store/sql/, and each rule's in src/rules/) is prepared against the
migrated schema, and none is written in C."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREPARE_ALL = os.environ.get("PREPARE_ALL_BIN", "build/tests/prepare_all")


def test_every_statement_prepares_against_the_schema(make_hcwatch, db):
    make_hcwatch(start=False)                      # migrated
    r = subprocess.run([PREPARE_ALL, db.url], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    files = sum(len([f for f in fs if f.endswith(".sql")])
                for where in (("store", "sql"), ("rules",))
                for _, _, fs in os.walk(os.path.join(ROOT, "src", *where)))
    assert r.stdout.strip() == f"{files} statements prepared"


def test_no_sql_in_c():
    """A string literal that starts like a statement is SQL written in C."""
    start = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|BEGIN|COMMIT|ROLLBACK|CREATE|'
                       r'ALTER|DROP|GRANT|ANALYZE|LOCK|SET)\b')
    found = []
    for d, _, fs in os.walk(os.path.join(ROOT, "src")):
        for f in fs:
            if f.endswith((".c", ".h")):
                path = os.path.join(d, f)
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    if start.search(line):
                        found.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}")
    assert found == [], "\n".join(found)
