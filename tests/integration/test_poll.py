"""The poller against hcwatch-sim serve and a real PostgreSQL."""

import datetime as dt
import os
import signal
from decimal import Decimal

import pytest

from harness import Hcwatch, HuaweiSim, huawei_settings, sim_bind, wait_until

HORIZON_DAYS = 60


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "40", "--resources-per", "4", "--seed", "7",
                  "--rate", "100")
    yield s
    s.stop()


def poller_hcwatch(make_hcwatch, sim, start=False, huawei=None, **poller):
    s = huawei_settings(sim, **poller)
    s["huawei"].update({"rate_limit": "100"})
    s["huawei"].update(huawei or {})
    return make_hcwatch(s, start=start)


def poll(h, *args):
    r = h.run("poll", "--once", *args)
    return r


def utc(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def expected_resources(data, now):
    """What one poll should hold: within the horizon and in use, or expired, or frozen."""
    out = {}
    for c in data["customers"]:
        for r in c["resources"]:
            exp = utc(r["expire_time"])
            if (r["status"] == 2 and now <= exp <= now + dt.timedelta(days=HORIZON_DAYS)) or \
                    r["status"] in (4, 5):
                out[r["resource_id"]] = (c["customer_id"], exp, r["status"], r["expire_policy"])
    return out


def test_poll_matches_the_dataset_row_for_row(make_hcwatch, sim, db):
    h = poller_hcwatch(make_hcwatch, sim)
    now = dt.datetime.now(dt.timezone.utc)
    r = poll(h)
    assert r.returncode == 0, r.stdout + r.stderr
    data = sim.dataset()

    rows = {row[0]: row[1:] for row in db.query(
        "SELECT customer_id, account_name, customer_name, association_type, frozen, xaccount_id,"
        " balance_state, balance_amount, debt_amount, balance_currency, gone_at"
        " FROM customers")}
    assert len(rows) == len(data["customers"]) == 40
    for c in data["customers"]:
        row = rows[c["customer_id"]]
        assert row[:5] == (c["account_name"], c["customer"], c["association_type"],
                           c["is_frozen"], c["xaccount_id"])
        assert row[9] is None
        if c["association_type"] == "2":
            # Exact decimals, as Huawei sent them: never a float's approximation.
            assert row[5:9] == ("available", Decimal(str(c["balance"]["amount"])),
                                Decimal(str(c["balance"]["debt_amount"])), "CNY")
        else:
            assert row[5:8] == ("not_available", None, None), "a referral customer has no balance"

    want = expected_resources(data, now)
    got = {row[0]: row[1:] for row in db.query(
        "SELECT resource_id, customer_id, expire_time, status, expire_policy FROM resources"
        " WHERE gone_at IS NULL")}
    assert set(got) == set(want)
    for rid, w in want.items():
        assert got[rid] == w
    assert 0 < len(want) < 160, "the dataset has resources both inside and beyond the horizon"

    assert db.scalar("SELECT count(*) FROM partner_balance_snapshots") == 2
    assert db.scalar("SELECT count(*) FROM balance_snapshots") == \
        sum(1 for c in data["customers"] if c["association_type"] == "2")
    assert db.query("SELECT job, status FROM poll_runs ORDER BY id") == [
        ("customers", "ok"), ("balances", "ok"), ("resources", "ok"), ("partner", "ok"),
        ("coupons", "ok"), ("consumption", "ok")]
    assert db.scalar("SELECT count(*) FROM customer_events WHERE kind = 'associated'") == 40
    assert db.scalar("SELECT count(*) FROM resource_events WHERE kind = 'appeared'") == len(want)
    assert sim.stats()["throttled"] == 0


def test_a_nul_in_huawei_data_loses_nothing(make_hcwatch, sim, db):
    """One customer's name holds U+0000, which PostgreSQL's jsonb refuses: that customer and
    every other on the page are stored, the name with U+FFFD in its place."""
    data = sim.dataset()
    victim = data["customers"][3]
    sim.mutate({"op": "customer", "customer_id": victim["customer_id"],
                "set": {"customer": "华东\u0000客户", "account_name": "acct\u0000x"}})
    h = poller_hcwatch(make_hcwatch, sim)
    r = poll(h, "--job", "customers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert db.scalar("SELECT count(*) FROM customers") == len(data["customers"])
    assert db.query("SELECT customer_name, account_name FROM customers WHERE customer_id = %s",
                    (victim["customer_id"],)) == [("华东\ufffd客户", "acct\ufffdx")]


def test_transitions_are_recorded_as_events(make_hcwatch, sim, db, keys):
    h = poller_hcwatch(make_hcwatch, sim)
    h.start()
    assert poll(h).returncode == 0
    data = sim.dataset()
    custs = data["customers"]
    resale = [c for c in custs if c["association_type"] == "2"]
    in_use = [(c, r) for c in custs for r in c["resources"] if r["status"] == 2 and
              utc(r["expire_time"]) < dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)]
    renew_c, renew_r = in_use[0]
    drop_c, drop_r = in_use[1]
    far = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    frozen = next(c for c in custs if c["is_frozen"] == 1)
    to_freeze = next(c for c in custs if c["is_frozen"] == 0 and c is not resale[0])
    leaving = custs[-1]

    # A customer whose binding notification arrived before the poller saw them.
    new_id = "0" * 31 + "1"
    status, _ = sim_bind(f"http://127.0.0.1:{h.port}/huawei/bind", keys.key,
                         "--domain-id", new_id, "--domain-name", "late-customer")
    assert status == 303
    sim.mutate(
        {"op": "resource", "resource_id": renew_r["resource_id"], "set": {"expire_time": far}},
        {"op": "remove_resource", "resource_id": drop_r["resource_id"]},
        {"op": "customer", "customer_id": to_freeze["customer_id"], "set": {"is_frozen": 1}},
        {"op": "customer", "customer_id": frozen["customer_id"], "set": {"is_frozen": 0}},
        {"op": "customer", "customer_id": resale[0]["customer_id"],
         "set": {"association_type": "1"}},
        {"op": "balance", "customer_id": resale[1]["customer_id"],
         "set": {"amount": 1234.56, "debt_amount": 0}},
        {"op": "remove_customer", "customer_id": leaving["customer_id"]},
        {"op": "add_customer", "customer": {
            "customer_id": new_id, "account_name": "late-customer", "association_type": "2",
            "is_frozen": 0, "balance": {"amount": 10.5, "debt_amount": 0, "currency": "CNY"}}},
    )
    r = poll(h)
    assert r.returncode == 0, r.stdout + r.stderr

    def events(table, key):
        return {(row[0], row[1]): row[2:] for row in db.query(
            f"SELECT {key}, kind, old_value, new_value FROM {table} WHERE run_id >"
            " (SELECT min(id) + 3 FROM poll_runs)")}

    ce = events("customer_events", "customer_id")
    assert (to_freeze["customer_id"], "frozen") in ce
    assert (frozen["customer_id"], "unfrozen") in ce
    assert ce[(resale[0]["customer_id"], "association_changed")] == ("2", "1")
    assert (leaving["customer_id"], "gone") in ce
    assert db.scalar("SELECT detail->>'callback_seen' FROM customer_events"
                     " WHERE customer_id = %s AND kind = 'associated'", (new_id,)) == "true"
    # One row: the callback's row was found by customer_id, not duplicated.
    assert db.query("SELECT account_name, first_bound_at IS NOT NULL, association_type"
                    " FROM customers WHERE customer_id = %s", (new_id,)) == \
        [("late-customer", True, "2")]
    assert db.scalar("SELECT gone_at IS NOT NULL FROM customers WHERE customer_id = %s",
                     (leaving["customer_id"],))

    re = events("resource_events", "resource_id")
    # Renewed past the horizon: asked for by ID, so an expiry change, not a disappearance.
    assert re[(renew_r["resource_id"], "expiry_changed")][1] == far
    assert (renew_r["resource_id"], "gone") not in re
    assert (drop_r["resource_id"], "gone") in re
    assert db.scalar("SELECT gone_at IS NOT NULL FROM resources WHERE resource_id = %s",
                     (drop_r["resource_id"],))

    assert db.scalar("SELECT balance_amount FROM customers WHERE customer_id = %s",
                     (resale[1]["customer_id"],)) == Decimal("1234.56")
    assert db.scalar("SELECT count(*) FROM balance_snapshots WHERE customer_id = %s",
                     (resale[1]["customer_id"],)) == 2
    assert db.scalar("SELECT balance_state FROM customers WHERE customer_id = %s",
                     (resale[0]["customer_id"],)) == "not_available"

    # A third poll with nothing changed records nothing new.
    before = db.scalar("SELECT count(*) FROM customer_events") + \
        db.scalar("SELECT count(*) FROM resource_events")
    assert poll(h).returncode == 0
    assert db.scalar("SELECT count(*) FROM customer_events") + \
        db.scalar("SELECT count(*) FROM resource_events") == before


def test_a_429_storm_is_ridden_out(make_hcwatch, workdir, db):
    # hcwatch is told a quota four times Huawei's: every call beyond it draws a 429.
    s = HuaweiSim(workdir, "--customers", "30", "--resources-per", "2", "--rate", "10")
    try:
        h = poller_hcwatch(make_hcwatch, s, huawei={"rate_limit": "40", "retry_max": "30"})
        r = poll(h, "--job", "customers")
        assert r.returncode == 0
        r = poll(h, "--job", "resources")
        assert r.returncode == 0, r.stdout + r.stderr
        st = s.stats()
        assert st["throttled"] > 0
        assert db.scalar("SELECT throttled FROM poll_runs WHERE job = 'resources'") == \
            st["throttled"]
        data = s.dataset()
        want = expected_resources(data, dt.datetime.now(dt.timezone.utc))
        assert db.scalar("SELECT count(*) FROM resources") == len(want)
        assert db.scalar("SELECT errors FROM poll_runs WHERE job = 'resources'") == 0
    finally:
        s.stop()


def test_at_the_quota_no_429_is_drawn(make_hcwatch, workdir, db):
    s = HuaweiSim(workdir, "--customers", "30", "--resources-per", "2", "--rate", "10")
    try:
        h = poller_hcwatch(make_hcwatch, s, huawei={"rate_limit": "10"}, concurrency=8)
        r = poll(h)
        assert r.returncode == 0, r.stdout + r.stderr
        assert s.stats()["throttled"] == 0
        assert s.stats()["calls"]["ListPayPerUseCustomerResources"] >= 60
    finally:
        s.stop()


def test_server_errors_and_garbled_answers_are_retried(make_hcwatch, workdir, db):
    s = HuaweiSim(workdir, "--customers", "25", "--resources-per", "3", "--rate", "100",
                  "--fault-5xx", "0.25", "--fault-malformed", "0.1", "--seed", "3")
    try:
        h = poller_hcwatch(make_hcwatch, s, huawei={"retry_max": "20"})
        r = poll(h)
        assert r.returncode == 0, r.stdout + r.stderr
        assert s.stats()["faults_injected"] > 5
        assert db.scalar("SELECT sum(retries) FROM poll_runs") >= s.stats()["faults_injected"]
        data = s.dataset()
        assert db.scalar("SELECT count(*) FROM customers") == 25
        want = expected_resources(data, dt.datetime.now(dt.timezone.utc))
        assert db.scalar("SELECT count(*) FROM resources WHERE gone_at IS NULL") == len(want)
    finally:
        s.stop()


def test_http_200_with_error_code_is_a_failure_that_changes_nothing(make_hcwatch, sim, db):
    h = poller_hcwatch(make_hcwatch, sim)
    assert poll(h).returncode == 0
    known = db.scalar("SELECT count(*) FROM resources WHERE gone_at IS NULL")
    sim.faults(rate_error200=1.0)
    r = poll(h, "--job", "resources")
    assert r.returncode == 1
    assert "CBC.0999" in r.stdout
    assert db.scalar("SELECT status FROM poll_runs ORDER BY id DESC LIMIT 1") == "partial"
    # An error page is not an empty page: nothing was marked gone.
    assert db.scalar("SELECT count(*) FROM resources WHERE gone_at IS NULL") == known
    assert db.scalar("SELECT count(*) FROM resource_events WHERE kind = 'gone'") == 0
    r = poll(h, "--job", "customers")
    assert r.returncode == 1
    assert db.scalar("SELECT count(*) FROM customers WHERE gone_at IS NOT NULL") == 0


def test_wrong_access_key_is_a_loud_configuration_error(make_hcwatch, sim, db):
    h = poller_hcwatch(make_hcwatch, sim, huawei={"secret_key": "not-the-secret"})
    r = poll(h)
    assert r.returncode == 1
    assert "refused hcwatch's credentials" in r.stderr
    assert "access_key and secret_key" in r.stderr
    assert "APIGW.0301" in r.stderr
    assert "not-the-secret" not in r.stderr + r.stdout, "the secret never reaches a log"
    st = sim.stats()
    # Not retried hot: one refused call per job that calls at all.
    assert st["auth_failures"] <= 4
    assert db.scalar("SELECT sum(retries) FROM poll_runs") == 0
    assert db.scalar("SELECT count(*) FROM customers") == 0
    assert db.query("SELECT DISTINCT status FROM poll_runs WHERE job IN ('customers', 'partner')") \
        == [("failed",)]
    # Recorded for the credentials_rejected alert; `poll --once` follows no schedule.
    assert db.query("SELECT DISTINCT auth_failed, interval_seconds FROM poll_runs"
                    " WHERE job IN ('customers', 'partner')") == [(True, None)]


def test_iam_token_is_cached_and_renewed(make_hcwatch, sim, db):
    h = poller_hcwatch(make_hcwatch, sim, huawei={
        "auth": "token", "iam_user": "hcwatch", "iam_password": "hcwatch-sim-password",
        "iam_domain": "partner-demo", "access_key": "", "secret_key": ""})
    r = poll(h)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sim.stats()["calls"]["KeystoneCreateUserTokenByPassword"] == 1
    sim.faults(expire_tokens=True)
    r = poll(h, "--job", "customers")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sim.stats()["calls"]["KeystoneCreateUserTokenByPassword"] == 2


def test_the_other_instance_takes_over_when_the_leader_dies(workdir, db, sim):
    settings = huawei_settings(sim, enabled="true", customers_interval="2", balances_interval="60",
                               resources_interval="60", partner_interval="60", leader_check="1")
    settings["bind"] = {"enabled": "false"}
    a = Hcwatch(workdir, db.url, settings)
    assert a.run("migrate").returncode == 0
    b = Hcwatch(workdir, db.url, settings)
    try:
        a.start()
        b.start()
        by_pid = {a.proc.pid: a, b.proc.pid: b}

        def leader_pid():
            row = db.query("SELECT instance FROM poll_runs WHERE job = 'customers'"
                           " AND status = 'ok' ORDER BY id DESC LIMIT 1")
            return int(row[0][0].rsplit(":", 1)[1]) if row else None
        first = wait_until(leader_pid, 30, "a first customers run")
        leader, other = by_pid[first], by_pid[a.proc.pid + b.proc.pid - first]
        runs = db.scalar("SELECT count(*) FROM poll_runs WHERE job = 'customers'")
        wait_until(lambda: db.scalar("SELECT count(*) FROM poll_runs WHERE job = 'customers'")
                   > runs, 10, "the leader's next run")
        # Only the leader polls.
        assert {r[0] for r in db.query("SELECT instance FROM poll_runs")} == \
            {f"{os.uname().nodename}:{first}"}
        leader.proc.send_signal(signal.SIGKILL)
        leader.proc.wait()
        wait_until(lambda: leader_pid() == other.proc.pid, 15, "the other instance to take over")
        assert "holds the poller lock" in other.logtext()
    finally:
        for h in (a, b):
            h.kill()


def test_each_job_keeps_its_connections_from_run_to_run(make_hcwatch, workdir, db):
    """A job's threads connect to PostgreSQL in its first runs and keep those connections: once
    every job has run twice, two more runs of each open none (nor does anything else in serve).
    A kept connection the server closed is replaced at the next run's start, failing nothing."""
    def connections():
        needle = f"database={db.name} application_name=hcwatch"
        with open(db.pg.logfile, errors="replace") as f:
            return sum(needle in line for line in f)

    def runs():
        rows = db.query("SELECT job, count(*) FROM poll_runs WHERE finished_at IS NOT NULL"
                        " GROUP BY job")
        return {job: n for job, n in rows}

    db.query("ALTER SYSTEM SET log_connections = on")
    db.query("SELECT pg_reload_conf()")
    # 120 customers: the customers job fans its second page out too.
    sim = HuaweiSim(workdir, "--customers", "120", "--resources-per", "2", "--seed", "7",
                    "--rate", "100")
    try:
        poller_hcwatch(make_hcwatch, sim, start=True, enabled="true", concurrency="3",
                       customers_interval="1", balances_interval="1", resources_interval="1",
                       partner_interval="1", leader_check="1")
        jobs = ("customers", "balances", "resources", "partner")
        wait_until(lambda: all(runs().get(j, 0) >= 2 for j in jobs), 60, "two runs of each job")
        before, seen = connections(), runs()
        wait_until(lambda: all(runs().get(j, 0) >= seen[j] + 2 for j in jobs), 60,
                   "two more runs of each job")
        assert connections() == before
        assert before > 0, "log_connections logged nothing: the count would prove nothing"
        assert db.scalar("SELECT count(*) FROM poll_runs WHERE status <> 'ok'") == 0

        # As a server restart or an idle timeout would: every connection but the lock's.
        killed = db.scalar(
            "SELECT count(*) FILTER (WHERE t.done) FROM (SELECT"
            " pg_terminate_backend(a.pid, 10000) AS done FROM pg_stat_activity a"
            " WHERE a.datname = current_database() AND a.application_name = 'hcwatch'"
            " AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid"
            " AND l.locktype = 'advisory')) AS t")
        # The jobs' leads and call threads (3 + 3 + 3 + 1), and the writer's and others'.
        assert killed >= 10
        # Runs that started before the kill had finished may have lost a connection mid-run.
        killed_at = db.scalar("SELECT now()")
        seen = runs()
        wait_until(lambda: all(runs().get(j, 0) >= seen[j] + 2 for j in jobs), 60,
                   "two runs of each job after the connections were closed")
        after = db.query("SELECT job, status, detail FROM poll_runs WHERE started_at > %s"
                         " AND finished_at IS NOT NULL", (killed_at,))
        assert {j for j, _, _ in after} == set(jobs)
        assert [r for r in after if r[1] != "ok"] == []
    finally:
        sim.stop()
        db.query("ALTER SYSTEM RESET log_connections")
        db.query("SELECT pg_reload_conf()")
