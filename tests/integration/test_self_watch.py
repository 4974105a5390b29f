"""hcwatch's alerts about itself: refused credentials, a failing channel, dead letters piling
up and the poller behind schedule, told to the operator's destinations."""

import datetime as dt

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings, wait_until
from test_alerts import T0, add_customer, add_resource, deliver, evaluate, iso, webhook_items

SELF_KINDS = ("credentials_rejected", "poller_behind", "channel_failing", "dead_letters")


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "3", "--rate", "100")
    yield s
    s.stop()


def notifier_settings():
    return {"poll_interval_ms": "100", "retry_base_ms": "200", "retry_max_ms": "1000",
            "lease": "9", "timeout": "3"}


def self_notifications(db):
    return db.query("SELECT a.fingerprint, n.event, n.stage, n.suppressed FROM notifications n"
                    " JOIN alerts a ON a.id = n.alert_id WHERE a.kind = ANY (%s) ORDER BY n.id",
                    (list(SELF_KINDS),))


def test_refused_credentials_reach_the_operator_then_clear(make_hcwatch, sim, db):
    settings = huawei_settings(sim, enabled="true", customers_interval="1",
                               balances_interval="3600", resources_interval="3600",
                               partner_interval="3600")
    settings["huawei"].update({"secret_key": "not-the-secret", "rate_limit": "100"})
    settings.update({"bind": {"enabled": "false"},
                     "alerts": {"evaluate_interval": "3600"},
                     "notifier": notifier_settings(),
                     "routing": {"default": "sales", "operator": "ops"},
                     "destination ops": chat_destination(sim, "webhook", "ops"),
                     "destination sales": chat_destination(sim, "webhook", "sales")})
    h = make_hcwatch(settings)
    # The evaluator in serve runs after each poll run; the notifier delivers. Each job fails on
    # its own schedule, so what the operator has been told is read only once serve has stopped,
    # and the jobs that failed from the alerts table, not from the first message.
    wait_until(lambda: webhook_items(sim, "ops"), 30, "the operator's alert")
    h.stop()
    items = webhook_items(sim, "ops")
    first = items[0]
    assert first["kind"] == "credentials_rejected" and first["event"] == "firing"
    assert first["severity"] == "critical"
    assert first["facts"]["scope"] == "hcwatch"
    assert "credentials refused" in first["facts"]["error"]
    assert "APIGW.0301" in first["facts"]["error"]
    assert "not-the-secret" not in str(items)
    # Each job's rejection is one alert, told once however often the job runs.
    told = [i["facts"]["job"] for i in items if i["kind"] == "credentials_rejected"]
    assert len(told) == len(set(told)) and "customers" in told
    jobs = {f.split("/", 1)[1] for (f,) in db.query("SELECT fingerprint FROM alerts"
                                                    " WHERE kind = 'credentials_rejected'")}
    assert set(told) <= jobs
    assert db.scalar("SELECT count(*) FROM poll_runs WHERE job = 'customers' AND auth_failed") > 1
    assert db.query("SELECT DISTINCT interval_seconds FROM poll_runs WHERE job = 'customers'") \
        == [(1,)]
    # Not to the customers' route.
    assert all(i["kind"] not in SELF_KINDS for i in webhook_items(sim, "sales"))

    # The right key: the next evaluation after a good run resolves each alert and says so.
    h.settings["huawei"]["secret_key"] = huawei_settings(sim)["huawei"]["secret_key"]
    h.write_conf()
    h.start()

    def resolved():
        return {i["facts"]["job"] for i in webhook_items(sim, "ops")
                if i["kind"] == "credentials_rejected" and i["event"] == "resolved"}
    wait_until(lambda: resolved() == jobs, 60, "every rejection resolved")
    assert db.scalar("SELECT count(*) FROM alerts WHERE kind = 'credentials_rejected'"
                     " AND resolved_at IS NULL") == 0
    assert {r[0] for r in db.query("SELECT resolution FROM alerts"
                                   " WHERE kind = 'credentials_rejected'")} == {"recovered"}


def test_failing_channel_is_told_elsewhere_and_dead_letters_pile_up(make_hcwatch, sim, db):
    dests = {"ding": chat_destination(sim, "dingtalk", "bad-token", digest="false"),
             "ops": chat_destination(sim, "webhook", "ops")}
    settings = {"bind": {"enabled": "false"}, "notifier": notifier_settings(),
                # The operator's route names the failing robot too: it is left out of the
                # alert about itself, and still gets the others.
                "routing": {"default": "ding", "operator": "ding, ops"},
                "alerts": {"dead_letters_threshold": "2"}}
    for name, d in dests.items():
        settings[f"destination {name}"] = d
    h = make_hcwatch(settings, start=False)
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=2))
    add_resource(db, "r2", T0 + dt.timedelta(days=2, hours=1))
    # 310000: the robot's security settings refuse the message, a permanent error.
    sim.chat_fault("dingtalk", "bad-token", "code", code=310000, count=2)
    evaluate(h, T0)
    deliver(h, T0, ok=False)
    assert db.query("SELECT destination, state FROM deliveries ORDER BY id") == [
        ("ding", "dead"), ("ding", "dead")]
    assert webhook_items(sim, "ops") == []

    evaluate(h, T0)
    assert sorted((f, e) for f, e, _, _ in self_notifications(db)) == [
        ("channel_failing/ding", "firing"), ("dead_letters", "firing")]
    deliver(h, T0)
    ops = webhook_items(sim, "ops")
    assert sorted(i["kind"] for i in ops) == ["channel_failing", "dead_letters"]
    failing = next(i for i in ops if i["kind"] == "channel_failing")
    assert failing["facts"]["destination"] == "ding"
    assert failing["facts"]["code"] == "310000"
    assert failing["facts"]["dead"] == 2
    assert next(i for i in ops if i["kind"] == "dead_letters")["facts"]["dead"] == 2
    # The robot took the dead-letter alert (the fault has passed), never the one about itself.
    ding = sim.messages("dingtalk", "bad-token")["messages"]
    assert len(ding) == 1 and "死信" in ding[0]["text"] and "投递失败" not in ding[0]["text"]

    # That delivery succeeded after the dead letters: the channel works again.
    evaluate(h, T0)
    assert db.query("SELECT kind, resolution FROM alerts WHERE kind = ANY (%s) ORDER BY id",
                    (list(SELF_KINDS),)) == [("channel_failing", "recovered"),
                                             ("dead_letters", None)]
    # Replayed, the dead letters go; the alert clears once they are under half the threshold.
    r = h.run("alerts", "replay", "--dead", "--now", iso(T0))
    assert r.returncode == 0, r.stderr
    deliver(h, T0)
    evaluate(h, T0)
    assert db.scalar("SELECT count(*) FROM deliveries WHERE state = 'dead'") == 0
    assert db.query("SELECT resolution FROM alerts WHERE kind = 'dead_letters'") == [
        ("recovered",)]
    evaluate(h, T0)
    assert self_notifications(db) == [
        ("channel_failing/ding", "firing", "failing", None),
        ("dead_letters", "firing", "piling_up", None),
        ("channel_failing/ding", "resolved", "recovered", None),
        ("dead_letters", "resolved", "recovered", None)]


def test_poller_behind_schedule(make_hcwatch, sim, db):
    h = make_hcwatch({"bind": {"enabled": "false"},
                      "routing": {"default": "ops"},
                      "alerts": {"poller_behind_grace": "1800"},
                      "destination ops": chat_destination(sim, "webhook", "ops")}, start=False)

    def run(job, status, ended_ago, took="10 seconds", interval=600):
        db.query("INSERT INTO poll_runs (job, instance, started_at, finished_at, status,"
                 " interval_seconds) VALUES (%s, 'test:1', now() - %s::interval - %s::interval,"
                 " now() - %s::interval, %s, %s)", (job, ended_ago, took, ended_ago, status,
                                                   interval))

    # Customers: good 30 min ago, next due 10 min later, grace 30 min: on time.
    run("customers", "ok", "30 minutes")
    # Balances: the last good run ended 2 h ago; failures since do not count as progress.
    run("balances", "ok", "2 hours", interval=1800)
    run("balances", "failed", "5 minutes", interval=1800)
    # Resources: a long run (50 min) 70 min ago, then an hour's wait: still on time.
    run("resources", "ok", "70 minutes", took="50 minutes", interval=3600)
    # Partner: never a good run, the first failure an hour ago.
    run("partner", "failed", "1 hour")
    # A run by `poll --once` (no schedule) is no evidence either way.
    run("customers", "ok", "10 days", interval=None)

    evaluate(h, T0)
    assert sorted(r[0] for r in self_notifications(db)) == [
        "poller_behind/balances", "poller_behind/partner"]
    deliver(h, T0)
    behind = {i["facts"]["job"]: i for i in webhook_items(sim, "ops")}
    assert set(behind) == {"balances", "partner"}
    assert behind["partner"]["facts"]["last_ok_local"] is None
    assert behind["balances"]["severity"] == "warning"

    # A good balances run: resolved and told; partner stays behind, told only once.
    run("balances", "ok", "1 minute", interval=1800)
    evaluate(h, T0)
    evaluate(h, T0)
    assert self_notifications(db) == [
        ("poller_behind/balances", "firing", "behind", None),
        ("poller_behind/partner", "firing", "behind", None),
        ("poller_behind/balances", "resolved", "recovered", None)]

    # Turned off: the open alert ends without a message.
    h.settings["alerts"]["poller_behind_grace"] = "0"
    h.write_conf()
    evaluate(h, T0)
    assert db.query("SELECT fingerprint, resolution FROM alerts ORDER BY id") == [
        ("poller_behind/balances", "recovered"), ("poller_behind/partner", "not_applicable")]
    assert len(self_notifications(db)) == 3


def test_silenced_by_kind(make_hcwatch, sim, db):
    h = make_hcwatch({"bind": {"enabled": "false"}, "routing": {"default": "ops"},
                      "destination ops": chat_destination(sim, "webhook", "ops")}, start=False)
    db.query("INSERT INTO poll_runs (job, instance, started_at, finished_at, status,"
             " interval_seconds) VALUES ('customers', 'test:1', now() - interval '1 day',"
             " now() - interval '1 day', 'failed', 600)")
    r = h.run("alerts", "silence", "--kind", "poller_behind", "--for", "7d", "--now", iso(T0))
    assert r.returncode == 0, r.stderr
    evaluate(h, T0)
    deliver(h, T0)
    assert self_notifications(db) == [("poller_behind/customers", "firing", "behind", "silenced")]
    assert webhook_items(sim, "ops") == []
