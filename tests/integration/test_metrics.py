"""/metrics: the Prometheus text format, with counts that match what happened."""

import re
import signal
import urllib.request

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings, sim_bind, wait_until

SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? [0-9.e+-]+$')


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "3", "--resources-per", "2")
    yield s
    s.stop()


def scrape(h):
    with urllib.request.urlopen(f"http://127.0.0.1:{h.port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def samples(text):
    """{'name{labels}': value}; every line is a comment or a well-formed sample."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert SAMPLE.match(line), f"not a sample: {line!r}"
        key, value = line.rsplit(" ", 1)
        assert key not in out, f"duplicate series {key}"
        out[key] = float(value)
    return out


def test_metrics_count_callbacks_polls_deliveries_and_alerts(make_hcwatch, sim, db, keys):
    settings = huawei_settings(sim, enabled="true")
    settings.update({"routing": {"default": "ops"},
                     "destination ops": chat_destination(sim, "webhook", "ops"),
                     "alerts": {"enabled": "false"}})
    h = make_hcwatch(settings, start=True)
    url = f"http://127.0.0.1:{h.port}/huawei/bind"
    assert sim_bind(url, keys.key, "--domain-id", "m1")[0] == 303
    assert sim_bind(url, keys.key, "--domain-id", "m1")[0] == 303
    assert sim_bind(url, keys.key, "--domain-id", "m2", "--tamper", "signature")[0] == 403
    # The poller's first sweep, then an evaluation and its delivery.
    wait_until(lambda: db.scalar("SELECT count(*) FROM poll_runs WHERE job = 'resources'"
                                 " AND finished_at IS NOT NULL") >= 1, 30, "a resources sweep")
    db.query("INSERT INTO resources (customer_id, resource_id, status, expire_time, expire_policy)"
             " VALUES ('m1', 'r1', 2, now() + interval '2 days', 1)")
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'") >= 1,
               30, "a delivery")

    def gauges_fresh():
        m = samples(scrape(h))
        return m if any(k.startswith("hcwatch_alerts{") for k in m) else None

    m = wait_until(gauges_fresh, 20, "database gauges")
    assert m['hcwatch_callbacks_total{result="accepted",reason=""}'] == 1
    assert m['hcwatch_callbacks_total{result="duplicate",reason=""}'] == 1
    assert m['hcwatch_callbacks_total{result="rejected",reason="bad_signature"}'] == 1
    assert m["hcwatch_callback_duration_seconds_count"] == 3
    assert m['hcwatch_callback_duration_seconds_bucket{le="+Inf"}'] == 3
    assert m["hcwatch_commit_batch_size_sum"] == 3
    assert m['hcwatch_poll_calls_total{api="ListSubCustomers",outcome="ok"}'] >= 1
    assert m['hcwatch_poll_calls_total{api="ListPayPerUseCustomerResources",outcome="ok"}'] >= 1
    assert m['hcwatch_deliveries_total{channel="webhook",outcome="delivered"}'] >= 1
    open_expiry = db.scalar("SELECT count(*) FROM alerts WHERE kind = 'expiry'"
                            " AND resolved_at IS NULL")
    assert open_expiry > 0
    assert m['hcwatch_alerts{kind="expiry",state="firing"}'] == open_expiry
    assert m["hcwatch_database_ready"] == 1
    assert m["hcwatch_inflight_callbacks"] == 0
    # Histogram buckets only grow.
    buckets = [v for k, v in m.items() if k.startswith("hcwatch_callback_duration_seconds_bucket")]
    assert buckets == sorted(buckets)


def test_metrics_can_be_turned_off_by_reload(make_hcwatch):
    h = make_hcwatch({"server": {"metrics": "true"}}, start=True)
    assert "hcwatch_callbacks_total" in scrape(h)
    h.settings["server"]["metrics"] = "false"
    h.write_conf()
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: "configuration reloaded" in h.logtext(), 10, "reload")
    assert h.request("GET", "/metrics").status == 404
