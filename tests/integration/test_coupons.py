"""Coupons: the coupons poll job against the simulator's three coupon APIs, the warnings before a
customer's coupons or the partner's quotas expire unused, what was lost when they did, and the
coupons Huawei reclaimed when a customer dissociated, from poll to the message's words."""

import datetime as dt

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings
from test_alerts import alerting, deliver, evaluate, iso
from test_deletion import local


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0", "--rate", "100")
    yield s
    s.stop()


def coupon(cid, coupon_id, expire, left, face, status=2, ctype=1):
    return {"coupon_id": coupon_id, "customer_id": cid, "coupon_type": ctype, "status": status,
            "face_value": face, "balance": left, "measure_id": 1, "expire_time": iso(expire),
            "effective_time": iso(expire - dt.timedelta(days=180)), "is_frozen": "0"}


def texts(sim, target):
    return [m["text"] for m in sim.messages("webhook", target)["messages"]]


def said(sim, target, line):
    return sum(line in t for t in texts(sim, target))


def coupons_hcwatch(make_hcwatch, sim, **poller):
    settings = huawei_settings(sim, **poller)
    settings["huawei"]["rate_limit"] = "100"
    return alerting(make_hcwatch, sim,
                    dests={"zh": chat_destination(sim, "webhook", "zh", language="zh"),
                           "en": chat_destination(sim, "webhook", "en", language="en"),
                           "ops": chat_destination(sim, "webhook", "ops", language="en")},
                    default="zh, en", routing={"operator": "ops"},
                    alerts={"customer_notices": "false"}, **settings)


def test_coupons_and_quotas_warned_then_told_what_was_lost(make_hcwatch, sim, db):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    soon, later = now + dt.timedelta(days=5, hours=1), now + dt.timedelta(days=40)
    sim.mutate(
        {"op": "add_customer", "customer": {"customer_id": "c-1", "account_name": "acme",
                                            "customer": "ACME 有限公司", "association_type": "2"}},
        {"op": "add_coupon", "coupon": coupon("c-1", "CP-SOON", soon, 80, 100)},
        {"op": "add_coupon", "coupon": coupon("c-1", "CP-LATER", later, 500, 500)},
        {"op": "add_coupon", "coupon": coupon("c-1", "CP-USED", soon, 0, 100, status=3)},
        {"op": "add_coupon", "coupon": coupon("c-1", "CP-FLEXI", soon, 12.5, 50, ctype=4)},
        {"op": "add_quota", "quota": {"quota_id": "QT-1", "quota_type": 0, "quota_status": 0,
                                      "quota_value": 50000, "balance": 1234.5,
                                      "currency": "CNY", "measure_id": 1,
                                      "expire_time": iso(now + dt.timedelta(days=20))}})
    h = coupons_hcwatch(make_hcwatch, sim)
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "coupons" in r.stdout
    # Only usable coupons are listed and kept; the quota too.
    assert sorted(c for (c,) in db.query("SELECT coupon_id FROM coupons")) == \
        ["CP-FLEXI", "CP-LATER", "CP-SOON"]
    assert db.query("SELECT balance::text FROM coupon_quotas") == [("1234.5",)]
    stats = sim.stats()["calls"]
    assert stats["ListQuotaCoupons"] == 2 and stats["ListIssuedPartnerCoupons"] == 1
    assert stats["ListPartnerCouponsRecord"] == 1

    evaluate(h, now)
    deliver(h, now)
    e = local(soon, "Asia/Shanghai")
    zh = [f"代金券 CP-SOON 尚有 80.00 元未使用（面额 100.00 元），将于 {e} 到期，剩 6 天",
          f"现金券 CP-FLEXI 尚有 12.50 元未使用（面额 50.00 元），将于 {e} 到期，剩 6 天"]
    en = [f"Cash coupon CP-SOON: 80.00 CNY unused (face value 100.00 CNY), expires on {e},"
          f" in 6 day(s)"]
    for line in zh:
        assert said(sim, "zh", line) == 1, (line, "\n".join(texts(sim, "zh")))
    for line in en:
        assert said(sim, "en", line) == 1, (line, texts(sim, "en"))
    assert not any("CP-LATER" in t for t in texts(sim, "zh"))
    q = local(now + dt.timedelta(days=20), "Asia/Shanghai")
    assert said(sim, "ops", f"Cash-coupon quota QT-1: 1234.50 CNY not issued (of 50000.00 CNY),"
                            f" expires on {q}, in 20 day(s)") == 1, texts(sim, "ops")
    # The customer is told to use them.
    assert any("联系客户" in t for t in texts(sim, "zh")), texts(sim, "zh")

    # The flexi coupon is used up before it expires; the other expires with 80 unused.
    sim.mutate({"op": "coupon", "coupon_id": "CP-FLEXI", "set": {"balance": 0, "status": 3}})
    assert h.run("poll", "--once", "--job", "coupons").returncode == 0
    after = now + dt.timedelta(days=6)
    evaluate(h, after)
    deliver(h, after)
    assert said(sim, "zh", "现金券 CP-FLEXI 已用完或不再可用") == 1, texts(sim, "zh")
    assert said(sim, "zh", f"代金券 CP-SOON 已于 {e} 过期，未使用的 80.00 元已作废") == 1, \
        texts(sim, "zh")
    assert said(sim, "en", f"Cash coupon CP-SOON expired on {e}; the 80.00 CNY left on it is"
                           f" lost") == 1, texts(sim, "en")
    assert dict(db.query("SELECT fingerprint, resolution FROM alerts"
                         " WHERE kind = 'coupon_expiry'")) == {
        f"coupon_expiry/CP-SOON/{soon:%Y%m%dT%H%M%SZ}": "expired",
        f"coupon_expiry/CP-FLEXI/{soon:%Y%m%dT%H%M%SZ}": "used"}
    # Nothing is told twice.
    before = len(texts(sim, "zh"))
    evaluate(h, after)
    deliver(h, after)
    assert len(texts(sim, "zh")) == before


def test_reclaimed_coupons_are_a_customer_event_told_once(make_hcwatch, sim, db):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sim.mutate(
        {"op": "add_customer", "customer": {"customer_id": "c-2", "account_name": "beta",
                                            "customer": "Beta", "association_type": "2"}},
        {"op": "add_coupon", "coupon": coupon("c-2", "CP-1", now + dt.timedelta(days=3), 300, 300)},
        {"op": "add_coupon", "coupon": coupon("c-2", "CP-2", now + dt.timedelta(days=90), 45.5,
                                              100)})
    h = coupons_hcwatch(make_hcwatch, sim)
    assert h.run("poll", "--once").returncode == 0
    evaluate(h, now)
    deliver(h, now)
    assert said(sim, "zh", "代金券 CP-1 尚有 300.00 元未使用") == 1
    # The customer dissociates: Huawei reclaims both coupons and records it.
    sim.mutate({"op": "remove_customer", "customer_id": "c-2"})
    assert h.run("poll", "--once").returncode == 0
    assert db.scalar("SELECT count(*) FROM coupon_records WHERE operation_type = 3") == 2
    at = now + dt.timedelta(minutes=5)
    evaluate(h, at)
    deliver(h, at)
    line = "客户解除关联，华为云已自动回收 2 张代金券，未使用金额共 345.50 元"
    assert said(sim, "zh", line) == 1, texts(sim, "zh")
    assert said(sim, "en", "Huawei Cloud reclaimed 2 coupon(s) with 345.50 CNY unused") == 1
    assert said(sim, "zh", "代金券 CP-1 已被回收") == 1, texts(sim, "zh")
    # Read again by the next run (a day of overlap): still told once.
    assert h.run("poll", "--once", "--job", "coupons").returncode == 0
    evaluate(h, at + dt.timedelta(minutes=5))
    deliver(h, at + dt.timedelta(minutes=5))
    assert said(sim, "zh", line) == 1


def test_many_coupons_are_paged_within_the_quota(make_hcwatch, workdir, db):
    """Generated data: several pages of coupons, read at the simulator's strict quota."""
    sim = HuaweiSim(workdir, "--customers", "400", "--resources-per", "1", "--seed", "3",
                    "--rate", "10")
    try:
        h = coupons_hcwatch(make_hcwatch, sim)
        r = h.run("poll", "--once", "--job", "coupons")
        assert r.returncode == 0, r.stdout + r.stderr
        data = sim.dataset()
        resale = {c["customer_id"] for c in data["customers"] if c["association_type"] == "2"}
        usable = {c["coupon_id"] for c in data["coupons"]
                  if c["status"] == 2 and c["customer_id"] in resale}
        assert len(usable) > 200          # three pages of 100
        assert {c for (c,) in db.query("SELECT coupon_id FROM coupons")} == usable
        assert sim.stats()["throttled"] == 0
        assert len(data["coupon_quotas"]) == db.scalar("SELECT count(*) FROM coupon_quotas")
    finally:
        sim.stop()


def test_coupons_job_can_be_turned_off(make_hcwatch, sim, db):
    h = coupons_hcwatch(make_hcwatch, sim, coupons="false")
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "coupons" not in r.stdout
    calls = sim.stats()["calls"]
    assert calls["ListIssuedPartnerCoupons"] == calls["ListQuotaCoupons"] == 0
