"""An SMTP server that answers 4xx and then accepts, and one that answers 5xx: the first
delivery is retried and delivered once, the second ends as a dead letter."""

import datetime as dt

import pytest

from harness import HuaweiSim, free_port
from test_alerts import T0, add_customer, add_resource, alerting, deliver, evaluate, iso


@pytest.fixture
def smtp_sim(workdir):
    port = free_port()
    s = HuaweiSim(workdir, "--customers", "0", "--smtp-listen", f"127.0.0.1:{port}")
    s.smtp_port = port
    yield s
    s.stop()


def mail_dest(sim):
    return {"type": "email", "url": f"smtp://127.0.0.1:{sim.smtp_port}", "tls": "none",
            "from": "hcwatch <alerts@partner.example>", "to": "oncall@partner.example"}


def rows(db):
    return db.query("SELECT state, attempts, platform_code FROM deliveries ORDER BY id")


def test_4xx_is_retried_then_delivered_once(make_hcwatch, smtp_sim, db):
    h = alerting(make_hcwatch, smtp_sim, dests={"mail": mail_dest(smtp_sim)}, default="mail")
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=2))
    # 451 at the end of DATA, twice: the message is refused, not lost.
    smtp_sim.chat_fault("smtp", "smtp", "code", code=451, count=2)
    evaluate(h, T0)
    # `deliver --once` exits 1 while something waits for a retry.
    for minutes in (0, 1):
        deliver(h, T0 + dt.timedelta(minutes=minutes), ok=False)
    deliver(h, T0 + dt.timedelta(minutes=2))
    assert rows(db) == [("delivered", 3, "451")]
    assert len(smtp_sim.mail()) == 1
    refused = smtp_sim.messages("smtp", "smtp")["rejected"]
    assert len(refused) == 2
    # Nothing more to send: no duplicate later.
    deliver(h, T0 + dt.timedelta(hours=1))
    assert len(smtp_sim.mail()) == 1


def test_5xx_is_a_dead_letter_at_once(make_hcwatch, smtp_sim, db):
    h = alerting(make_hcwatch, smtp_sim, dests={"mail": mail_dest(smtp_sim)}, default="mail")
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=2))
    smtp_sim.chat_fault("smtp", "smtp", "code", code=554, count=1)
    evaluate(h, T0)
    deliver(h, T0, ok=False)
    assert rows(db) == [("dead", 1, "554")]
    assert smtp_sim.mail() == []
    r = h.run("alerts", "deliveries", "--dead")
    assert "554" in r.stdout
    # Replayed once the server is fixed: delivered, with its key.
    assert h.run("alerts", "replay", "--dead", "--now", iso(T0)).returncode == 0
    deliver(h, T0)
    assert [m["rcpt"] for m in smtp_sim.mail()] == [["oncall@partner.example"]]
