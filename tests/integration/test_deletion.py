"""After expiry: the freeze and deletion dates by customer level, the stages before deletion,
and the notice that a resource's data was released, from poll to the message's words."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings
from test_alerts import add_resource, alerting, deliver, evaluate, iso

# Huawei's table for yearly/monthly resources: grace, then retention, in calendar days.
TABLE = {"V0": (1, 1), "V1": (1, 7), "V2": (1, 7), "V3": (7, 7), "V4": (7, 15), "V5": (7, 15)}


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0", "--rate", "100")
    yield s
    s.stop()


def add_leveled(db, cid, level):
    db.query("INSERT INTO customers (customer_id, account_name, customer_name, customer_level)"
             " VALUES (%s, %s, %s, %s)", (cid, f"acct-{cid}", f"客户{cid}", level))


def facts_by_resource(db):
    return {rid: (stage, facts) for rid, stage, facts in db.query(
        "SELECT a.resource_id, n.stage, n.facts FROM notifications n"
        " JOIN alerts a ON a.id = n.alert_id WHERE a.kind = 'expiry' ORDER BY n.id")}


def local(t, zone):
    """rule_local_time's text for t in zone: '2026-03-05 10:00 UTC+08:00'."""
    x = t.astimezone(ZoneInfo(zone))
    off = x.utcoffset()
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{x:%Y-%m-%d %H:%M} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def plus_days(t, days, zone):
    """days calendar days after t on the wall clock of zone."""
    x = t.astimezone(ZoneInfo(zone)).replace(tzinfo=None) + dt.timedelta(days=days)
    return x.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


@pytest.mark.parametrize("zone, expire", [
    # 17:30 UTC is 01:30 the next day in Shanghai: the dates are the zone's, and February 2026
    # has 28 days, so V2's 8 days run into March.
    ("Asia/Shanghai", dt.datetime(2026, 2, 25, 17, 30, tzinfo=dt.timezone.utc)),
    # New York moves its clocks on 2026-03-08: a deletion date past it keeps the wall-clock time.
    ("America/New_York", dt.datetime(2026, 3, 5, 17, 0, tzinfo=dt.timezone.utc)),
    # The end of a leap February.
    ("Asia/Shanghai", dt.datetime(2028, 2, 27, 2, 0, tzinfo=dt.timezone.utc)),
])
def test_dates_follow_the_level_table_to_the_day(make_hcwatch, sim, db, zone, expire):
    h = alerting(make_hcwatch, sim, alerts={"timezone": zone})
    for level in TABLE:
        add_leveled(db, level.lower(), level)
        add_resource(db, f"r-{level}", expire, cid=level.lower(), status=5)
    add_leveled(db, "none", None)          # no level from Huawei: taken as V0, the shortest
    add_resource(db, "r-none", expire, cid="none", status=5)
    evaluate(h, expire + dt.timedelta(hours=1))
    got = facts_by_resource(db)
    for level, (grace, retention) in list(TABLE.items()) + [("none", TABLE["V0"])]:
        stage, f = got[f"r-{level}"]
        freeze = plus_days(expire, grace, zone)
        delete = plus_days(expire, grace + retention, zone)
        assert stage == "expired", (level, stage)
        assert f["freeze_local"] == local(freeze, zone), (level, f)
        assert f["delete_local"] == local(delete, zone), (level, f)
        assert f["delete_time"] == iso(delete), (level, f)
        assert f["days_to_delete"] == grace + retention, (level, f)
        assert f.get("level") == (None if level == "none" else level)
    if zone == "America/New_York":
        # EST before, EDT after: the same 12:00 on the wall, one hour less in UTC.
        assert got["r-V2"][1]["delete_local"] == "2026-03-13 12:00 UTC-04:00"
        assert got["r-V2"][1]["delete_time"] == "2026-03-13T16:00:00Z"


def test_the_table_is_configuration(make_hcwatch, sim, db):
    expire = dt.datetime(2026, 6, 30, 4, 0, tzinfo=dt.timezone.utc)
    h = alerting(make_hcwatch, sim, alerts={
        "grace_days": "V0:2, V1:2, V2:2, V3:7, V4:7, V5:7",
        "retention_days": "V0:3, V1:3, V2:7, V3:7, V4:7, V5:15", "unknown_level": "V5"})
    add_leveled(db, "v4", "V4")
    add_resource(db, "r-v4", expire, cid="v4", status=5)
    add_leveled(db, "none", "")
    add_resource(db, "r-none", expire, cid="none", status=5)
    evaluate(h, expire + dt.timedelta(hours=1))
    got = facts_by_resource(db)
    assert got["r-v4"][1]["delete_local"] == "2026-07-14 12:00 UTC+08:00"     # 7 + 7
    assert got["r-none"][1]["delete_local"] == "2026-07-22 12:00 UTC+08:00"   # V5: 7 + 15

    for bad, says in [("V0:1", "V1 is missing"), ("V0:1, V0:2", "V0 is given twice"),
                      ("V0:1, V1:x", "expected days (0 to 365) for each customer level")]:
        h.settings["alerts"]["grace_days"] = bad
        h.write_conf()
        r = h.run("check-config")
        assert r.returncode != 0 and says in r.stderr, r.stderr
        assert "[alerts] grace_days" in r.stderr, r.stderr


def texts(sim, target):
    return [m["text"] for m in sim.messages("webhook", target)["messages"]]


def test_deletion_stages_and_release_told_end_to_end(make_hcwatch, sim, db):
    """A V2 customer (grace 1 day, retention 7): a resource frozen a day after expiry is told at
    3 and 1 days before deletion; one still listed after its deletion date is told as due, and
    when Huawei stops listing it, that its data was released. Messages in both languages."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    fresh, old = now - dt.timedelta(days=1, hours=2), now - dt.timedelta(days=10)

    def resource(rid, name, expire):
        return {"resource_id": rid, "id": f"CS-{rid}", "resource_name": name,
                "service_type_code": "hws.service.type.ec2", "service_type_name": "弹性云服务器",
                "region_code": "cn-north-4", "status": 4, "expire_time": iso(expire),
                "expire_policy": 0, "is_main_resource": 1}

    sim.mutate({"op": "add_customer", "customer": {
        "customer_id": "c-v2", "account_name": "acme", "customer": "ACME 有限公司",
        "association_type": "1", "customer_level": "V2", "is_frozen": 0,
        "resources": [resource("r-fresh", "web-1", fresh), resource("r-old", "db-1", old)]}})
    settings = huawei_settings(sim)
    settings["huawei"]["rate_limit"] = "100"
    h = alerting(make_hcwatch, sim,
                 dests={"zh": chat_destination(sim, "webhook", "zh", language="zh"),
                        "en": chat_destination(sim, "webhook", "en", language="en")},
                 default="zh, en", alerts={"customer_notices": "false"}, **settings)
    assert h.run("poll", "--once").returncode == 0

    delete_fresh = plus_days(fresh, 8, "Asia/Shanghai")
    delete_old = plus_days(old, 8, "Asia/Shanghai")
    zd = lambda t: local(t, "Asia/Shanghai")
    expect = [
        # Now: the fresh one is frozen with 7 days left; the old one's date has come.
        (now, f"弹性云服务器 web-1（cn-north-4） 已冻结，数据将于 {zd(delete_fresh)} 删除"
              f"（到期时间 {zd(fresh)}）",
         f"Elastic Cloud Server web-1 (cn-north-4) is frozen; its data will be deleted on {zd(delete_fresh)}"
         f" (expiry {zd(fresh)})"),
        (now, f"弹性云服务器 db-1（cn-north-4） 已冻结，数据删除日 {zd(delete_old)} 已到",
         f"Elastic Cloud Server db-1 (cn-north-4) is frozen; its data was due for deletion on {zd(delete_old)}"),
        (now + dt.timedelta(days=4, hours=12),
         f"弹性云服务器 web-1（cn-north-4） 已冻结，数据将于 {zd(delete_fresh)} 删除，剩 3 天",
         f"Elastic Cloud Server web-1 (cn-north-4) is frozen; its data will be deleted on {zd(delete_fresh)},"
         f" in 3 day(s)"),
        (now + dt.timedelta(days=6, hours=12),
         f"弹性云服务器 web-1（cn-north-4） 已冻结，数据将于 {zd(delete_fresh)} 删除，剩 1 天",
         f"Elastic Cloud Server web-1 (cn-north-4) is frozen; its data will be deleted on {zd(delete_fresh)},"
         f" in 1 day(s)"),
    ]
    for at, zh, en in expect:
        evaluate(h, at)
        deliver(h, at)
        assert any(zh in t for t in texts(sim, "zh")), (zh, texts(sim, "zh"))
        assert any(en in t for t in texts(sim, "en")), (en, "\n".join(texts(sim, "en")))
    # Critical, all of them.
    assert db.query("SELECT DISTINCT severity FROM notifications WHERE event = 'firing'") == \
        [("critical",)]

    # Huawei stops listing the old one after its deletion date: released, told once.
    sim.mutate({"op": "remove_resource", "resource_id": "r-old"})
    assert h.run("poll", "--once").returncode == 0
    at = now + dt.timedelta(days=6, hours=13)
    evaluate(h, at)
    deliver(h, at)
    zh = (f"弹性云服务器 db-1（cn-north-4） 保留期已于 {zd(delete_old)} 结束，数据已删除，资源已释放")
    en = (f"Elastic Cloud Server db-1 (cn-north-4): its retention period ended on {zd(delete_old)}; its data was"
          f" deleted and the resource released")
    assert sum(zh in t for t in texts(sim, "zh")) == 1, texts(sim, "zh")
    assert sum(en in t for t in texts(sim, "en")) == 1, texts(sim, "en")
    assert db.scalar("SELECT resolution FROM alerts WHERE resource_id = 'r-old'") == "released"
    # Each stage once: evaluating again tells nothing more.
    before = len(texts(sim, "zh"))
    evaluate(h, at)
    deliver(h, at)
    assert len(texts(sim, "zh")) == before


def test_gone_before_its_deletion_date_is_not_a_release(make_hcwatch, sim, db):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sim.mutate({"op": "add_customer", "customer": {
        "customer_id": "c-v5", "account_name": "big", "customer": "Big", "association_type": "1",
        "customer_level": "V5", "resources": [{
            "resource_id": "r-1", "id": "CS-1", "resource_name": "vm", "status": 5,
            "expire_time": iso(now - dt.timedelta(days=2)), "expire_policy": 0,
            "is_main_resource": 1}]}})
    settings = huawei_settings(sim)
    h = alerting(make_hcwatch, sim, alerts={"customer_notices": "false"}, **settings)
    assert h.run("poll", "--once").returncode == 0
    evaluate(h, now)
    sim.mutate({"op": "remove_resource", "resource_id": "r-1"})
    assert h.run("poll", "--once").returncode == 0
    evaluate(h, now + dt.timedelta(hours=1))
    # V5 keeps data 22 days after expiry: leaving the list after 2 is not a release.
    assert db.scalar("SELECT resolution FROM alerts WHERE resource_id = 'r-1'") == "gone"
