"""Auto-renewals that will fail: the renewal prices asked with each customer's own token
(assume_role, only where the customer created the agency), else the amount of the last renewal
in the consumption records, else "price unknown"; compared with the balance and usable coupons,
told before the first charge, escalated when a charge day passed with the expiry unchanged, and
resolved by a top-up or a renewal."""

import datetime as dt

import pytest

from harness import (SIM_IAM_DOMAIN, SIM_IAM_PASSWORD, SIM_IAM_USER, HuaweiSim, chat_destination,
                     huawei_settings)
from test_alerts import alerting, deliver, evaluate, iso
from test_deletion import local

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0", "--rate", "100")
    yield s
    s.stop()


def now():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def charge_at(expire):
    """03:00 in UTC+8, seven days before the day it expires there."""
    day = expire.astimezone(SHANGHAI).date() - dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(3), SHANGHAI).astimezone(dt.timezone.utc)


def resource(rid, expire, price, **extra):
    return {"resource_id": rid, "id": f"CS-{rid}", "resource_name": rid, "status": 2,
            "expire_time": iso(expire), "expire_policy": 3, "is_main_resource": 1,
            "renew_price": price, "service_type_code": "hws.service.type.ec2",
            "service_type_name": "弹性云服务器", "region_code": "cn-north-4", **extra}


def customer(cid, balance, resources, agency=True):
    return {"op": "add_customer", "customer": {
        "customer_id": cid, "account_name": f"acct-{cid}", "customer": cid.upper(),
        "association_type": "2", "xaccount_type": "partner_platform", "agency": agency,
        "daily_spend": 1, "resources": resources,
        "balance": {"amount": balance, "debt_amount": 0, "currency": "CNY", "measure_id": 1}}}


def texts(sim, target="zh"):
    return [m["text"] for m in sim.messages("webhook", target)["messages"]]


def said(sim, line, target="zh"):
    return sum(line in t for t in texts(sim, target))


def test_renewals_priced_compared_escalated_and_resolved(make_hcwatch, sim, db):
    t = now()
    a1, a2 = t + dt.timedelta(days=9), t + dt.timedelta(days=10)
    d1 = t + dt.timedelta(days=5)          # its charge day has passed: the charge failed
    sim.mutate(
        customer("c-a", 100, [resource("ra-1", a1, 300), resource("ra-2", a2, 150)]),
        customer("c-b", 50, [resource("rb-1", a1, 80)], agency=False),
        customer("c-c", 0, [resource("rc-1", a1, 70, renewed_days_before=60)], agency=False),
        customer("c-d", 10, [resource("rd-1", d1, 200)]),
        {"op": "add_coupon", "coupon": {
            "coupon_id": "CP-A", "customer_id": "c-a", "coupon_type": 1, "status": 2,
            "face_value": 50, "balance": 50, "measure_id": 1, "is_frozen": "0",
            "expire_time": iso(t + dt.timedelta(days=60))}})
    # The last renewals, a month back, are read from the consumption records.
    settings = huawei_settings(sim, consumption_backfill_days=35)
    settings["huawei"].update(rate_limit="100", iam_user=SIM_IAM_USER,
                              iam_password=SIM_IAM_PASSWORD, iam_domain=SIM_IAM_DOMAIN)
    h = alerting(make_hcwatch, sim,
                 dests={"zh": chat_destination(sim, "webhook", "zh", language="zh"),
                        "en": chat_destination(sim, "webhook", "en", language="en")},
                 default="zh, en", alerts={"customer_notices": "false", "runway_days": "0"},
                 **settings)
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    # Asked with the customers' own tokens where they created the agency; recorded where not.
    prices = {rid: (str(a) if a is not None else None, e) for rid, a, e in db.query(
        "SELECT resource_id, amount, error_code FROM renewal_prices")}
    assert prices == {"ra-1": ("300.00", None), "ra-2": ("150.00", None),
                      "rd-1": ("200.00", None), "rb-1": (None, "no_agency"),
                      "rc-1": (None, "no_agency")}
    assert sim.stats()["calls"]["ListRenewRateOnPeriod"] == 2
    # One assume_role per customer (c-b's and c-c's refused); the partner's token once.
    assert sim.stats()["calls"]["KeystoneCreateAgencyToken"] == 4
    assert sim.stats()["calls"]["KeystoneCreateUserTokenByPassword"] == 1

    evaluate(h, t)
    deliver(h, t)
    tz = "Asia/Shanghai"
    c1 = local(charge_at(a1), tz)
    days = -(-(charge_at(a1) - t) // dt.timedelta(days=1))
    assert 1 <= days <= 3
    zh_a = (f"自动续费将失败：2 项资源需 450.00 元，余额 100.00 元，可用代金券 50.00 元，"
            f"扣费日 {c1}（ra-1，{local(a1, tz)} 到期）")
    en_a = (f"Auto-renewal will fail: 2 resource(s) need 450.00 CNY, balance 100.00 CNY, usable"
            f" coupons 50.00 CNY; charged on {c1} (ra-1, expires {local(a1, tz)})")
    assert said(sim, zh_a) == 1, "\n".join(texts(sim))
    assert said(sim, en_a, "en") == 1, "\n".join(texts(sim, "en"))
    # No agency: the last renewal's amount in the consumption records.
    assert said(sim, "自动续费将失败：1 项资源需 80.00 元，余额 50.00 元，扣费日") == 1
    # Nothing to go by: "price unknown", never 0.
    assert said(sim, "自动续费将失败：1 项资源需 （价格未知），余额 0.00 元，扣费日") == 1
    assert said(sim, "Auto-renewal will fail: 1 resource(s) need an unknown amount, balance"
                     " 0.00 CNY", "en") == 1
    # The charge day passed and Huawei still lists the old expiry: failed, critical.
    cd = local(charge_at(d1), tz)
    zh_d = (f"自动续费扣费失败：1 项资源在扣费日 {cd} 后仍未续费，需 200.00 元，余额 10.00 元；"
            f"华为云每日 03:00 重试，rd-1 将于 {local(d1, tz)} 到期")
    assert said(sim, zh_d) == 1, "\n".join(texts(sim))
    sev = dict(db.query("SELECT customer_id, severity FROM alerts WHERE kind = 'renewal_short'"))
    assert sev["c-d"] == "critical"
    assert set(sev) == {"c-a", "c-b", "c-c", "c-d"}

    # A top-up covers c-a; c-d's resource is renewed at last.
    sim.mutate({"op": "balance", "customer_id": "c-a", "set": {"amount": 1000}},
               {"op": "resource", "resource_id": "rd-1",
                "set": {"expire_time": iso(d1 + dt.timedelta(days=30))}})
    assert h.run("poll", "--once").returncode == 0
    later = t + dt.timedelta(minutes=5)
    evaluate(h, later)
    deliver(h, later)
    assert said(sim, "余额已足够自动续费：需 450.00 元，可用 1050.00 元") == 1, "\n".join(texts(sim))
    assert said(sim, "自动续费已完成或不再待扣") == 1
    assert dict(db.query("SELECT customer_id, resolution FROM alerts"
                         " WHERE kind = 'renewal_short' AND resolved_at IS NOT NULL")) == \
        {"c-a": "topped_up", "c-d": "renewed"}
    # Told once: nothing more on the next evaluation.
    before = len(texts(sim))
    evaluate(h, later + dt.timedelta(minutes=1))
    deliver(h, later + dt.timedelta(minutes=1))
    assert len(texts(sim)) == before


def test_without_an_iam_user_the_job_does_not_run(make_hcwatch, sim, db):
    settings = huawei_settings(sim)
    h = alerting(make_hcwatch, sim, **settings)
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "renewals" not in r.stdout
    assert sim.stats()["calls"]["ListRenewRateOnPeriod"] == 0
