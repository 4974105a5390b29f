"""Spending: the consumption poll job against the simulator's consumption records, the runway
from what customers really spend (a top-up is not spending), and a day's jump in spending, from
poll to the message's words."""

import datetime as dt
from decimal import Decimal

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings
from test_alerts import alerting, deliver, evaluate

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0", "--rate", "100")
    yield s
    s.stop()


def today():
    return dt.datetime.now(SHANGHAI).date()


def days_back(n, amount):
    """{"YYYY-MM-DD": amount} for the n whole days before today."""
    return {str(today() - dt.timedelta(days=k)): amount for k in range(1, n + 1)}


def customer(cid, name, balance, spend_days, daily=0):
    return {"op": "add_customer", "customer": {
        "customer_id": cid, "account_name": name, "customer": name.upper(),
        "association_type": "2", "daily_spend": daily, "spend_days": spend_days,
        "balance": {"amount": balance, "debt_amount": 0, "currency": "CNY", "measure_id": 1}}}


def texts(sim, target="zh"):
    return [m["text"] for m in sim.messages("webhook", target)["messages"]]


def consumption_hcwatch(make_hcwatch, sim, **alerts):
    settings = huawei_settings(sim, consumption_backfill_days=35)
    settings["huawei"]["rate_limit"] = "100"
    return alerting(make_hcwatch, sim,
                    dests={"zh": chat_destination(sim, "webhook", "zh", language="zh"),
                           "en": chat_destination(sim, "webhook", "en", language="en")},
                    default="zh, en", alerts={"customer_notices": "false", **alerts}, **settings)


def now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def test_days_are_the_records_sums_and_reading_again_changes_nothing(make_hcwatch, sim, db):
    spend = days_back(40, 10)
    spend[str(today() - dt.timedelta(days=3))] = 1234.56
    spend[str(today() - dt.timedelta(days=5))] = 0
    sim.mutate(customer("c-1", "acme", 1000, spend))
    h = consumption_hcwatch(make_hcwatch, sim)
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = dict(db.query("SELECT day, amount FROM consumption_daily WHERE customer_id = 'c-1'"))
    # [poller] consumption_backfill_days (35) back, to today: every day a row, zero included.
    first = today() - dt.timedelta(days=35)
    assert sorted(rows) == [first + dt.timedelta(days=k) for k in range(36)]
    assert rows[today() - dt.timedelta(days=3)] == Decimal("1234.56")
    assert rows[today() - dt.timedelta(days=5)] == 0
    assert rows[today() - dt.timedelta(days=6)] == 10
    assert db.scalar("SELECT count(*) FROM consumption_staging") == 0
    calls = sim.stats()["calls"]
    months = len({(first + dt.timedelta(days=k)).strftime("%Y-%m") for k in range(36)})
    assert calls["ListConsumeSubCustomers"] == months
    assert calls["ListSubCustomerBillDetail"] >= months
    assert sim.stats()["throttled"] == 0
    # The next run reads only from the day before the last one read, and rewrites nothing.
    stamp = db.query("SELECT day, updated_at FROM consumption_daily ORDER BY day")
    sim.admin("POST", "stats/reset")
    assert h.run("poll", "--once", "--job", "consumption").returncode == 0
    assert sim.stats()["calls"]["ListSubCustomerBillDetail"] <= 2
    assert db.query("SELECT day, updated_at FROM consumption_daily ORDER BY day")[:-2] == stamp[:-2]


def test_runway_comes_from_spend_and_a_top_up_does_not_move_it(make_hcwatch, sim, db):
    sim.mutate(customer("c-2", "beta", 1000, days_back(40, 200)))
    h = consumption_hcwatch(make_hcwatch, sim)
    assert h.run("poll", "--once").returncode == 0
    t = now()
    evaluate(h, t)
    deliver(h, t)
    facts = db.scalar("SELECT facts FROM alerts WHERE kind = 'runway'")
    assert facts["daily_spend"] == "200.00" and facts["spend_source"] == "consumption"
    assert facts["days_left"] == 5
    assert any("按日均消费 200.00 元 计，余额约可用 5 天" in x for x in texts(sim)), texts(sim)
    # A top-up: the balance grows, the spending does not change.
    sim.mutate({"op": "balance", "customer_id": "c-2", "set": {"amount": 1800}})
    assert h.run("poll", "--once", "--job", "balances").returncode == 0
    assert h.run("poll", "--once", "--job", "consumption").returncode == 0
    evaluate(h, t + dt.timedelta(minutes=1))
    assert db.scalar("SELECT state FROM alerts WHERE kind = 'runway'") == "resolved"
    # 9 days is beyond runway_days (7) + margin (2), at the same daily spend.
    told = db.scalar("SELECT n.facts FROM notifications n JOIN alerts a ON a.id = n.alert_id"
                     " WHERE a.kind = 'runway' AND n.event = 'resolved'")
    assert told["daily_spend"] == "200.00" and told["days_left"] == 9, told


def test_a_jump_in_spending_is_told_once_with_its_median(make_hcwatch, sim, db):
    yesterday = str(today() - dt.timedelta(days=1))
    big = days_back(20, 100)
    big[yesterday] = 2000
    small = days_back(20, 3)
    small[yesterday] = 300
    sim.mutate(customer("c-big", "bigco", 10 ** 6, big),
               customer("c-small", "smallco", 10 ** 6, small))
    h = consumption_hcwatch(make_hcwatch, sim)
    assert h.run("poll", "--once").returncode == 0
    t = now()
    evaluate(h, t)
    deliver(h, t)
    zh = f"{yesterday} 消费 2000.00 元，是此前 14 天日中位数 100.00 元 的 20.0 倍"
    en = f"spent 2000.00 CNY on {yesterday}, 20.0 times its median day of the 14 days before" \
         f" (100.00 CNY)"
    assert sum(zh in x for x in texts(sim)) == 1, texts(sim)
    assert sum(en in x for x in texts(sim, "en")) == 1, texts(sim, "en")
    # 100 times its median, but 300 is under the minimum (1000): nobody is paged ...
    assert not any("SMALLCO" in x for x in texts(sim))
    # ... unless the customer's own minimum says so.
    r = h.run("customers", "set", "c-small", "--jump-min", "200")
    assert r.returncode == 0, r.stderr
    assert "spend jump   factor -, minimum 200" in r.stdout
    evaluate(h, t + dt.timedelta(minutes=1))
    deliver(h, t + dt.timedelta(minutes=1))
    assert any("SMALLCO" in x and "300.00 元" in x for x in texts(sim)), texts(sim)
    # Told once: evaluating again, or reading the days again, tells nothing more.
    before = len(texts(sim))
    assert h.run("poll", "--once", "--job", "consumption").returncode == 0
    evaluate(h, t + dt.timedelta(minutes=2))
    deliver(h, t + dt.timedelta(minutes=2))
    assert len(texts(sim)) == before
    assert h.run("customers", "set", "c-small", "--jump-factor", "x").returncode == 2
