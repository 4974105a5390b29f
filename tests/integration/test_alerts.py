"""Alert rules, routing and delivery, against a real PostgreSQL and hcwatch-sim's chat side.

Most tests walk simulated time with `alerts evaluate --now` and `deliver --once --now`;
those about delivery under failure run `serve` and its notifier workers.
"""

import datetime as dt
import email
import email.policy
import os
import re
import signal
from collections import Counter

import pytest

from harness import HuaweiSim, chat_destination, wait_until

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
NAME = "华东测试客户（上海）有限公司"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0", "--dingtalk-penalty", "5")
    yield s
    s.stop()


def add_customer(db, cid="c1", name=NAME, amount=None, debt=0, manager=None, **settings):
    db.query("INSERT INTO customers (customer_id, account_name, customer_name, balance_state,"
             " balance_amount, debt_amount, balance_currency)"
             " VALUES (%s, %s, %s, %s, %s, %s, 'CNY')",
             (cid, f"acct-{cid}", name, "available" if amount is not None else "unknown",
              amount, debt))
    if manager or settings:
        db.query("INSERT INTO customer_settings (customer_id, account_manager,"
                 " low_balance_threshold, expiry_stages) VALUES (%s, %s, %s, %s)",
                 (cid, manager, settings.get("threshold"), settings.get("stages")))


def add_resource(db, rid, expires, cid="c1", policy=0, status=2, name=None):
    db.query("INSERT INTO resources (customer_id, resource_id, resource_name, service_type_name,"
             " region_code, status, expire_time, expire_policy)"
             " VALUES (%s, %s, %s, '云服务器 ECS', 'cn-north-4', %s, %s, %s)",
             (cid, rid, name or f"主机-{rid}", status, expires, policy))


def evaluate(h, now):
    r = h.run("alerts", "evaluate", "--now", iso(now))
    assert r.returncode == 0, r.stderr
    return r.stdout


def deliver(h, now, ok=True):
    r = h.run("deliver", "--once", "--now", iso(now))
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def webhook_items(sim, target="ops"):
    out = []
    for m in sim.messages("webhook", target)["messages"]:
        out += m["items"]
    return out


def every_channel(sim, smtp_port, **mail):
    """One destination of each type, pointed at the simulator and its mail server."""
    return {"wecom": chat_destination(sim, "wecom", "k1"),
            "ding": chat_destination(sim, "dingtalk", "t1"),
            "feishu": chat_destination(sim, "feishu", "f1"),
            "slack": chat_destination(sim, "slack", "T0/B0/x"),
            "hook": chat_destination(sim, "webhook", "w1"),
            "mail": {"type": "email", "url": f"smtp://127.0.0.1:{smtp_port}", "tls": "none",
                     **mail}}


def alerting(make_hcwatch, sim, dests=None, managers=None, default="ops", start=False,
             migrate=True, **sections):
    settings = {"bind": {"enabled": "false"},
                "routing": {"default": default},
                "notifier": {"poll_interval_ms": "100", "retry_base_ms": "200",
                             "retry_max_ms": "1000", "lease": "9", "timeout": "3",
                             "workers": "2"}}
    for name, d in (dests or {"ops": chat_destination(sim, "webhook", "ops")}).items():
        settings[f"destination {name}"] = d
    for name, m in (managers or {}).items():
        settings[f"manager {name}"] = m
    for section, kv in sections.items():
        settings.setdefault(section, {}).update(kv)
    return make_hcwatch(settings, migrate=migrate, start=start)


def test_ladder_fires_each_stage_once_across_a_month(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim)
    add_customer(db)
    add_resource(db, "r-plain", T0 + dt.timedelta(days=35))
    add_resource(db, "r-auto", T0 + dt.timedelta(days=35), policy=3)
    add_resource(db, "r-renew", T0 + dt.timedelta(days=20))
    for half_day in range(0, 2 * 41):
        now = T0 + dt.timedelta(hours=12 * half_day)
        if half_day == 2 * 16:
            db.query("UPDATE resources SET expire_time = expire_time + interval '365 days'"
                     " WHERE resource_id = 'r-renew'")
        evaluate(h, now)
        deliver(h, now)

    told = Counter((i["facts"]["resource_id"], i["event"], i["stage"]) for i in webhook_items(sim))
    by_resource = {}
    for (rid, event, stage), n in told.items():
        assert n == 1, f"{rid} {event} {stage} told {n} times"
        by_resource.setdefault(rid, set()).add((event, stage))
    # A customer without a level is taken as V0: its data is deleted two days after expiry, so
    # after "expired" only the 1-day deletion stage has anything new to say.
    assert by_resource["r-plain"] == {("firing", s) for s in
                                      ("30d", "15d", "7d", "3d", "1d", "expired", "delete_1d")}
    # Auto-renew: one early notice, then an alert only at the last stage.
    assert by_resource["r-auto"] == {("notice", "notice"), ("firing", "1d"), ("firing", "expired"),
                                     ("firing", "delete_1d")}
    # Renewed after its 7-day stage: one "renewed" notice, nothing more.
    assert by_resource["r-renew"] == {("firing", "30d"), ("firing", "15d"), ("firing", "7d"),
                                      ("resolved", "renewed")}
    renewed = [i for i in webhook_items(sim) if i["stage"] == "renewed"][0]
    assert renewed["facts"]["new_expire_local"].startswith("2027-12-21")
    # Every message was verified by the receiver; none was refused.
    assert sim.messages("webhook", "ops")["rejected"] == []
    assert db.scalar("SELECT count(*) FROM deliveries WHERE state <> 'delivered'") == 0


def test_stages_by_customer_and_by_service(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim, alerts={"expiry_stages_by_service": "云服务器 ECS: 10, 2"})
    add_customer(db, "c1")
    add_customer(db, "c2", stages=[5])
    add_resource(db, "r1", T0 + dt.timedelta(days=12), cid="c1")
    add_resource(db, "r2", T0 + dt.timedelta(days=12), cid="c2")
    # service_type_code is what the by-service stages key on.
    db.query("UPDATE resources SET service_type_code = '云服务器 ECS'")
    for day in range(0, 13):
        evaluate(h, T0 + dt.timedelta(days=day))
        deliver(h, T0 + dt.timedelta(days=day))
    told = sorted((i["facts"]["resource_id"], i["stage"]) for i in webhook_items(sim))
    assert told == [("r1", "10d"), ("r1", "2d"), ("r1", "expired"), ("r2", "5d"),
                    ("r2", "expired")]


def test_low_balance_hysteresis_and_arrears(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim, alerts={"low_balance_threshold": "100",
                                            "low_balance_margin": "20"})
    add_customer(db, amount=150)
    steps = [(150, 0), (90, 0), (110, 0), (95, 0), (125, 0), (119, 0), (80, 12.5), (200, 0)]
    for n, (amount, debt) in enumerate(steps):
        db.query("UPDATE customers SET balance_amount = %s, debt_amount = %s", (amount, debt))
        now = T0 + dt.timedelta(hours=n)
        evaluate(h, now)
        deliver(h, now)
    told = [{(i["kind"], i["event"], i["facts"]["amount"]) for i in m["items"]}
            for m in sim.messages("webhook", "ops")["messages"]]
    assert told == [
        {("low_balance", "firing", "90")},                   # below 100
        {("low_balance", "resolved", "125")},                # only above 100 + 20: 110 said nothing
        {("arrears", "firing", "80"), ("low_balance", "firing", "80")},   # 119: inside the margin
        {("arrears", "resolved", "200"), ("low_balance", "resolved", "200")},
    ]
    assert db.scalar("SELECT count(*) FROM alerts WHERE kind = 'low_balance'") == 2


def test_runway_from_balance_history(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim, alerts={"low_balance_threshold": "0", "runway_days": "7"})
    add_customer(db, "c1", amount=500)
    add_customer(db, "c2", amount=500)
    # 800 spent over three days (a top-up does not count): 266.67 a day, under two days left.
    history = ((3, 800), (2, 700), (1.5, 1200), (1, 600), (0, 500))
    for days_ago, amount in history:
        db.query("INSERT INTO balance_snapshots (customer_id, taken_at, amount)"
                 " VALUES ('c1', %s, %s)", (T0 - dt.timedelta(days=days_ago), amount))
    # The same history in one statement, as the poller writes a page of customers.
    db.query("INSERT INTO balance_snapshots (customer_id, taken_at, amount) VALUES "
             + ", ".join(["('c2', %s, %s)"] * len(history)),
             [v for days_ago, amount in history for v in (T0 - dt.timedelta(days=days_ago), amount)])
    evaluate(h, T0)
    deliver(h, T0)
    items = webhook_items(sim)
    assert sorted((i["kind"], i["event"], i["facts"]["customer_id"]) for i in items) == [
        ("runway", "firing", "c1"), ("runway", "firing", "c2")]
    for i in items:
        assert i["facts"]["daily_spend"] == "266.67"
        assert i["facts"]["days_left"] == 1


def test_digest_splits_by_bytes_under_the_platform_limit(make_hcwatch, sim, db):
    dests = {"team": chat_destination(sim, "wecom", "team-key")}
    h = alerting(make_hcwatch, sim, dests=dests, default="team")
    add_customer(db)
    for n in range(40):
        add_resource(db, f"r{n:02d}", T0 + dt.timedelta(days=5, hours=n),
                     name=f"生产环境数据库主机-{n:02d}-" + "长" * 10)
    evaluate(h, T0)
    deliver(h, T0)
    got = sim.messages("wecom", "team-key")
    assert got["rejected"] == []
    msgs = got["messages"]
    # One digest, split into parts, each under WeCom's 4096-byte markdown limit.
    assert len(msgs) > 1
    assert db.scalar("SELECT count(*) FROM deliveries") == 1
    for k, m in enumerate(msgs, 1):
        assert len(m["text"].encode()) <= 4096
        assert f"({k}/{len(msgs)})" in m["text"]
        assert m["key"] == msgs[0]["key"]
    text = "".join(m["text"] for m in msgs)
    for n in range(40):
        assert text.count(f"生产环境数据库主机-{n:02d}-") == 1, n
    assert NAME in msgs[0]["text"]


def test_quiet_hours_defer_and_never_drop(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops", quiet_hours="22:00-08:00",
                                     timezone="Asia/Shanghai")}
    h = alerting(make_hcwatch, sim, dests=dests)
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=6))
    late = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)      # 23:00 in Shanghai
    evaluate(h, late)
    deliver(h, late)
    add_resource(db, "r2", T0 + dt.timedelta(days=2))
    evaluate(h, late + dt.timedelta(hours=2))                           # 01:00: joins the digest
    deliver(h, late + dt.timedelta(hours=2))
    assert sim.messages("webhook", "ops")["messages"] == []
    assert db.scalar("SELECT count(*) FROM deliveries") == 1
    nb = db.scalar("SELECT not_before FROM deliveries")
    assert nb == dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.timezone.utc)  # 08:00 in Shanghai
    deliver(h, nb + dt.timedelta(minutes=1))
    msgs = sim.messages("webhook", "ops")["messages"]
    assert len(msgs) == 1
    assert sorted(i["facts"]["resource_id"] for i in msgs[0]["items"]) == ["r1", "r2"]


def test_silence_and_acknowledge(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim)
    add_customer(db)
    add_customer(db, "c2", name="Other")
    add_resource(db, "r1", T0 + dt.timedelta(days=20))
    add_resource(db, "r2", T0 + dt.timedelta(days=20), cid="c2")
    r = h.run("alerts", "silence", "--customer", "c1", "--for", "1w", "--comment", "migrating",
              "--now", iso(T0))
    assert r.returncode == 0, r.stderr
    evaluate(h, T0)                                        # 30d: c1 silenced, c2 told
    deliver(h, T0)
    assert [i["facts"]["resource_id"] for i in webhook_items(sim)] == ["r2"]
    assert db.scalar("SELECT state FROM alerts WHERE resource_id = 'r1'") == "silenced"
    # The silence runs out after a week; the 7-day stage (day 13) is told.
    ack = h.run("alerts", "ack", str(db.scalar("SELECT id FROM alerts WHERE resource_id = 'r2'")),
                "--by", "alice")
    assert ack.returncode == 0, ack.stderr
    for day in (5, 13, 20):
        evaluate(h, T0 + dt.timedelta(days=day))
        deliver(h, T0 + dt.timedelta(days=day))
    told = [{(i["facts"]["resource_id"], i["stage"]) for i in m["items"]}
            for m in sim.messages("webhook", "ops")["messages"]]
    # r1: silenced at 30d and at 15d (day 5), told at 7d and at expiry.
    # r2: acknowledged after 30d: its reminders stop, its expiry is still told.
    assert told == [{("r2", "30d")}, {("r1", "7d")}, {("r1", "expired"), ("r2", "expired")}]
    suppressed = dict(db.query("SELECT suppressed, count(*) FROM notifications"
                               " WHERE suppressed IS NOT NULL GROUP BY 1"))
    assert suppressed == {"silenced": 2, "acknowledged": 2}


def test_silence_checks_what_it_names_and_applies_at_once(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim)
    add_customer(db)                                   # c1, 华东测试客户（上海）有限公司, acct-c1
    add_resource(db, "r1", T0 + dt.timedelta(days=20))
    add_resource(db, "r2", T0 + dt.timedelta(days=20))
    evaluate(h, T0)
    for args, says in (
            (("--customer", NAME), "is a name, not a customer id; the customer with that name: c1"),
            (("--customer", "acct-c1"), "the customer with that name: c1"),
            (("--customer", "c9"), "no customer has that id"),
            (("--resource", "r9"), "no resource has that id"),
            (("--kind", "expirry"), "not a kind of alert; the kinds are: expiry, low_balance")):
        r = h.run("alerts", "silence", *args, "--for", "3d", "--now", iso(T0))
        assert r.returncode == 2 and says in r.stderr, (args, r.stderr)
    assert db.scalar("SELECT count(*) FROM silences") == 0
    # A good one says what it covers and takes effect before any evaluation.
    r = h.run("alerts", "silence", "--customer", "c1", "--kind", "expiry", "--for", "3d",
              "--now", iso(T0))
    assert r.returncode == 0 and "covers 2 open alert(s)" in r.stdout, r.stdout + r.stderr
    assert db.query("SELECT DISTINCT state FROM alerts") == [("silenced",)]


def test_lists_cut_names_whole_and_say_when_there_is_more(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops", digest="false")}
    h = alerting(make_hcwatch, sim, dests=dests)
    long_name = "测试客户" * 10 + "有限公司"
    add_customer(db, name=long_name)
    for k in range(105):
        add_resource(db, f"r{k:03d}", T0 + dt.timedelta(days=2, minutes=k), name=f"主机{k:03d}")
    evaluate(h, T0)
    r = h.run("alerts", "list")           # text=True: a cut character would not decode
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln[:1].isdigit()]
    assert len(rows) == 100
    assert "测试客户测试客户" in rows[0] and "…" in rows[0] and long_name not in rows[0]
    assert "(the newest 100 alerts shown; more with --limit N)" in r.stdout
    # Every row's columns line up on a terminal: wide characters count twice.
    starts = {len(re.sub(r"[\u1100-\uffff]", "xx", ln.split("主机")[0])) for ln in rows}
    assert len(starts) == 1, starts
    deliver(h, T0)
    r = h.run("alerts", "deliveries", "--limit", "3")
    ids = [int(ln.split()[0]) for ln in r.stdout.splitlines() if ln[:1].isdigit()]
    top = db.scalar("SELECT max(id) FROM deliveries")
    assert ids == [top, top - 1, top - 2], r.stdout
    assert "(the newest 3 deliveries shown" in r.stdout


def test_send_test_says_it_is_a_test_and_looks_ahead(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim)
    r = h.run("send-test", "--dest", "ops")
    assert r.returncode == 0, r.stderr
    items = webhook_items(sim, "ops")
    assert items[0]["kind"] == "test"
    text = sim.messages("webhook", "ops")["messages"][0]["text"]
    assert "测试消息" in text and "并非真实告警" in text
    when = dt.datetime.strptime(items[1]["facts"]["expire_local"], "%Y-%m-%d %H:%M")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    assert dt.timedelta(days=6) < when - today <= dt.timedelta(days=7)


def test_silence_kinds_are_the_tables(make_hcwatch, sim, db):
    """The kinds a silence accepts are exactly those alerts.kind may hold."""
    h = alerting(make_hcwatch, sim)
    r = h.run("alerts", "silence", "--kind", "nope", "--for", "1d")
    listed = set(r.stderr.split("the kinds are:")[1].strip().split(", "))
    check = db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                      " WHERE conname = 'alerts_kind_check'")
    assert listed == set(re.findall(r"'(\w+)'::text", check)), (listed, check)


def test_routing_by_account_manager(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops"),
             "alice-ding": chat_destination(sim, "dingtalk", "alice-token")}
    managers = {"alice": {"destinations": "alice-ding", "mobile": "13800000001"}}
    h = alerting(make_hcwatch, sim, dests=dests, managers=managers)
    add_customer(db, "c1", manager="alice")
    add_customer(db, "c2", name="无人负责的客户")
    add_resource(db, "r1", T0 + dt.timedelta(days=3), cid="c1")
    add_resource(db, "r2", T0 + dt.timedelta(days=3), cid="c2")
    evaluate(h, T0)
    deliver(h, T0)
    ding = sim.messages("dingtalk", "alice-token")
    assert ding["rejected"] == []
    assert len(ding["messages"]) == 1
    assert "主机-r1" in ding["messages"][0]["text"] and "主机-r2" not in ding["messages"][0]["text"]
    assert ding["messages"][0]["at_mobiles"] == ["13800000001"]
    assert "@13800000001" in ding["messages"][0]["text"]
    assert [i["facts"]["resource_id"] for i in webhook_items(sim)] == ["r2"]


def test_chinese_arrives_intact_in_every_channel(make_hcwatch, workdir, db):
    smtp_port = __import__("harness").free_port()
    s = HuaweiSim(workdir, "--customers", "0", "--smtp-listen", f"127.0.0.1:{smtp_port}",
                  "--smtp-user", "hcw", "--smtp-password", "密码-secret")
    try:
        dests = every_channel(s, smtp_port, **{
            "from": "告警 <alerts@partner.example>",
            "to": "值班 <oncall@partner.example>, ops@partner.example",
            "username": "hcw", "password": "密码-secret"})
        h = alerting(make_hcwatch, s, dests=dests, default="wecom,ding,feishu,slack,hook,mail")
        add_customer(db)
        add_resource(db, "r1", T0 + dt.timedelta(days=2), name="数据库主机-甲")
        evaluate(h, T0)
        deliver(h, T0)
        for channel, target in (("wecom", "k1"), ("dingtalk", "t1"), ("feishu", "f1"),
                                ("slack", "T0/B0/x"), ("webhook", "w1")):
            got = s.messages(channel, target)
            assert got["rejected"] == [], (channel, got["rejected"])
            assert len(got["messages"]) == 1, channel
            text = got["messages"][0]["text"]
            assert NAME in text and "数据库主机-甲" in text and "剩 2 天" in text, (channel, text)
        mails = s.mail()
        assert len(mails) == 1
        assert sorted(mails[0]["rcpt"]) == ["oncall@partner.example", "ops@partner.example"]
        msg = email.message_from_string(mails[0]["data"], policy=email.policy.default)
        assert "=?UTF-8?B?" in mails[0]["data"].split("\r\n\r\n")[0]   # RFC 2047 on the wire
        assert msg["Subject"].startswith("hcwatch 告警")
        assert msg["From"].addresses[0].display_name == "告警"
        assert msg["Message-ID"].startswith("<hcw_")
        assert msg["Date"] is not None
        assert msg.get_content_type() == "multipart/alternative"
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert NAME in plain and "数据库主机-甲" in plain
        assert NAME in html and "<li>" in html
    finally:
        s.stop()


HOSTILE_RESOURCE = ("[续费点此](http://evil.example/pay) ![x](http://evil.example/a.png)"
                    " <font color=\"warning\">紧急：请立即转账</font> <@zhangsan>"
                    " <at user_id=\"all\">所有人</at> @all <!channel> :fire: \u202Eabc"
                    "\n### [紧急] 伪造标题")
HOSTILE_CUSTOMER = "客户\n> 伪造引用 **加粗** `code` www.evil.com"


def test_hostile_names_arrive_as_text_on_every_channel(make_hcwatch, workdir, db):
    """What customers type into their names reaches each group as text: no link, image, tag,
    mention, heading, quote, emphasis or reversed text, and no line of its own."""
    smtp_port = __import__("harness").free_port()
    s = HuaweiSim(workdir, "--customers", "0", "--smtp-listen", f"127.0.0.1:{smtp_port}")
    try:
        dests = every_channel(s, smtp_port, **{"from": "alerts@partner.example",
                                                "to": "ops@partner.example"})
        h = alerting(make_hcwatch, s, dests=dests, default="wecom,ding,feishu,slack,hook,mail")
        add_customer(db, name=HOSTILE_CUSTOMER)
        add_resource(db, "r1", T0 + dt.timedelta(days=2), name=HOSTILE_RESOURCE)
        evaluate(h, T0)
        deliver(h, T0)
        texts = {}
        for channel, target in (("wecom", "k1"), ("dingtalk", "t1"), ("feishu", "f1"),
                                ("slack", "T0/B0/x"), ("webhook", "w1")):
            got = s.messages(channel, target)
            assert got["rejected"] == [] and len(got["messages"]) == 1, (channel, got)
            texts[channel] = got["messages"][0]["text"]
        msg = email.message_from_string(s.mail()[0]["data"], policy=email.policy.default)
        texts["email"] = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for channel, text in texts.items():
            # Every line is one of ours: the title, a header, an item, the footer.
            for line in text.splitlines():
                assert not line.startswith(("#", ">", "伪造")) or line.startswith("### hcwatch"), \
                    (channel, line)
            assert "\u202E" not in text and "伪造标题" in text and "请立即转账" in text, channel
            if channel in ("webhook", "email"):
                continue          # plain text: markup characters mean nothing there
            for token in ("](", "![", "<font", "<@", "<at", "@all", "<!channel>", "http://",
                          "evil.example", "www.evil.com", "**加粗**", "`code`"):
                assert token not in text, (channel, token, text)
            if channel == "slack":
                assert ":fire:" not in text
        assert "<font" not in html and "&lt;font" in html and "\u202E" not in html
        # The webhook's structured items carry the names as they are: they are data there.
        hook = s.messages("webhook", "w1")["messages"][0]
        assert hook["items"][0]["facts"]["resource"] == HOSTILE_RESOURCE
    finally:
        s.stop()


def test_deliver_once_exits_0_when_a_retry_went_through(make_hcwatch, sim, db):
    """A delivery that failed once and went through later in the same run is delivered, not
    'retrying later': the run exits 0. The ten paced sends (at least 2 s) outlast the retry
    delay (at most [notifier] retry_max_ms, 1 s), so the retry falls due within the run."""
    dests = {"ops": chat_destination(sim, "webhook", "ops", digest="false", rate_limit=300)}
    h = alerting(make_hcwatch, sim, dests=dests)
    add_customer(db)
    now = dt.datetime.now(dt.timezone.utc)
    for n in range(10):
        add_resource(db, f"r{n}", now + dt.timedelta(days=2, hours=n))
    assert h.run("alerts", "evaluate").returncode == 0
    sim.chat_fault("webhook", "ops", "down", count=1)
    r = h.run("deliver", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "delivered 10, dead 0, waiting for a retry 0" in r.stdout, r.stdout
    assert "1 failed attempt(s) tried again" in r.stdout, r.stdout
    assert len(sim.messages("webhook", "ops")["messages"]) == 10
    # And one still waiting at the end of a run makes it exit 1, saying so.
    add_resource(db, "late", now + dt.timedelta(days=2, hours=20))
    assert h.run("alerts", "evaluate").returncode == 0
    sim.chat_fault("webhook", "ops", "down", count=1)
    r = h.run("deliver", "--once")
    assert r.returncode == 1 and "waiting for a retry 1" in r.stdout, r.stdout


def test_send_test_and_render(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops"),
             "team": chat_destination(sim, "feishu", "f2", language="en")}
    h = alerting(make_hcwatch, sim, dests=dests)
    r = h.run("send-test", "--dest", "team")
    assert r.returncode == 0, r.stderr
    got = sim.messages("feishu", "f2")["messages"]
    assert len(got) == 1 and "expires on" in got[0]["text"]
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=2))
    evaluate(h, T0)
    alert_id = str(db.scalar("SELECT id FROM alerts"))
    r = h.run("alerts", "render", alert_id, "--dest", "team")
    assert r.returncode == 0 and "expires on" in r.stdout, r.stdout + r.stderr
    # render sends nothing.
    assert len(sim.messages("feishu", "f2")["messages"]) == 1
    r = h.run("send-test", "--dest", "nowhere")
    assert r.returncode == 2


def test_channel_down_then_everything_arrives_once(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops", digest="false")}
    h = alerting(make_hcwatch, sim, dests=dests, start=True,
                 alerts={"enabled": "false"})
    add_customer(db)
    now = dt.datetime.now(dt.timezone.utc)
    for n in range(12):
        add_resource(db, f"r{n}", now + dt.timedelta(days=2, hours=n))
    sim.chat_fault("webhook", "ops", "down", seconds=3)
    r = h.run("alerts", "evaluate")
    assert r.returncode == 0, r.stderr

    def all_delivered():
        return db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'") == 12
    wait_until(all_delivered, 60, "every delivery after the outage")
    got = sim.messages("webhook", "ops")
    assert len(got["rejected"]) > 0                       # the outage was real
    ids = Counter(m["id"] for m in got["messages"])
    assert len(ids) == 12 and set(ids.values()) == {1}    # each alert once
    keys = {k for (k,) in db.query("SELECT idempotency_key FROM deliveries")}
    assert set(ids) == keys                               # under the key it was first tried with
    assert db.scalar("SELECT max(attempts) FROM deliveries") > 1


def test_permanent_error_dead_letter_fallback_and_replay(make_hcwatch, sim, db):
    dests = {"ding": chat_destination(sim, "dingtalk", "bad-token", fallback="ops"),
             "ops": chat_destination(sim, "webhook", "ops")}
    h = alerting(make_hcwatch, sim, dests=dests, default="ding")
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=2))
    sim.chat_fault("dingtalk", "bad-token", "code", code=310000, count=1)
    evaluate(h, T0)
    deliver(h, T0, ok=False)
    # The same run hands the dead letter to the fallback, which delivers it.
    assert db.query("SELECT destination, state, platform_code FROM deliveries ORDER BY id") == [
        ("ding", "dead", "310000"), ("ops", "delivered", None)]
    assert [i["facts"]["resource_id"] for i in webhook_items(sim)] == ["r1"]
    r = h.run("alerts", "deliveries", "--dead")
    assert "310000" in r.stdout
    r = h.run("alerts", "replay", "--dead", "--now", iso(T0))
    assert r.returncode == 0 and "1 dead letter" in r.stdout, r.stdout + r.stderr
    deliver(h, T0)
    ding = sim.messages("dingtalk", "bad-token")["messages"]
    assert len(ding) == 1
    assert ding[0]["key"] == db.scalar("SELECT idempotency_key FROM deliveries WHERE destination = 'ding'")


def test_killed_during_delivery_loses_nothing(make_hcwatch, sim, db):
    dests = {"ops": chat_destination(sim, "webhook", "ops", digest="false")}
    h = alerting(make_hcwatch, sim, dests=dests, alerts={"enabled": "false"},
                 notifier={"lease": "9"})
    add_customer(db)
    now = dt.datetime.now(dt.timezone.utc)
    n = 300
    for k in range(n):
        add_resource(db, f"r{k:03d}", now + dt.timedelta(days=2, minutes=k))
    r = h.run("alerts", "evaluate")
    assert r.returncode == 0, r.stderr
    h.start()
    wait_until(lambda: len(sim.messages("webhook", "ops")["messages"]) >= 20, 30, "some sent")
    h.proc.send_signal(signal.SIGKILL)
    h.proc.wait(10)
    sent_before = len(sim.messages("webhook", "ops")["messages"])
    assert sent_before < n, "everything went out before the kill; nothing was tested"
    h.start()
    wait_until(lambda: db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'")
               == n, 60, "every delivery after the restart")
    msgs = sim.messages("webhook", "ops")["messages"]
    ids = Counter(m["id"] for m in msgs)
    keys = {k for (k,) in db.query("SELECT idempotency_key FROM deliveries")}
    assert set(ids) == keys                     # nothing lost
    # A repeat is possible only for what a worker had sent and not yet recorded at the kill (one
    # claim of at most 16), and it carries the same id.
    assert sum(ids.values()) - len(ids) <= 2 * 16     # [notifier] workers = 2


def test_platform_quotas_are_never_exceeded(make_hcwatch, sim, db):
    dests = {"wecom": chat_destination(sim, "wecom", "busy", digest="false"),
             "feishu": chat_destination(sim, "feishu", "busy", digest="false"),
             "slack": chat_destination(sim, "slack", "busy", digest="false")}
    h = alerting(make_hcwatch, sim, dests=dests, default="wecom,feishu,slack",
                 alerts={"enabled": "false"}, notifier={"workers": "4"})
    add_customer(db)
    now = dt.datetime.now(dt.timezone.utc)
    for k in range(22):
        add_resource(db, f"r{k:02d}", now + dt.timedelta(days=2, minutes=k))
    r = h.run("alerts", "evaluate")
    assert r.returncode == 0, r.stderr
    h.start()
    wait_until(lambda: db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'")
               == 66, 150, "66 messages at the platforms' paces")
    for channel in ("wecom", "feishu", "slack"):
        got = sim.messages(channel, "busy")
        assert got["rejected"] == [], (channel, got["rejected"][:3])
        ids = Counter(m["id"] for m in got["messages"])
        assert len(ids) == 22 and set(ids.values()) == {1}, (channel, ids, [
            ln for ln in h.logtext().splitlines() if "attempt 1," not in ln and "delivery" in ln])


def test_destination_config_errors_name_the_key(make_hcwatch, sim):
    h = alerting(make_hcwatch, sim, dests={"ding": {"type": "dingtalk",
                                                    "url": "https://oapi.dingtalk.com/robot/send"}},
                 default="ding", migrate=False)
    r = h.run("check-config")
    assert r.returncode != 0 and "[destination ding] secret is required" in r.stderr


def test_pass_over_changes_matches_full_pass(make_hcwatch, sim, db, pg, workdir):
    """The ladder reads only changed resources and crossed stages; walking weeks of
    renewals, freezes, closures, departures and stage edits that way tells exactly
    what a full pass at every step tells."""
    import random

    from harness import Database, Hcwatch

    full_db = Database(pg, pg.create_db(f"full{os.getpid()}"))
    quick = alerting(make_hcwatch, sim, alerts={"expiry_stages_by_service": "svc.rds: 20, 5"})
    full = Hcwatch(workdir, full_db.url, {k: v for k, v in quick.settings.items()
                                          if k not in ("database", "server")})
    assert full.run("migrate").returncode == 0
    rnd = random.Random(7)
    setup, steps = [], {}
    for c in range(1, 6):
        setup.append(("INSERT INTO customers (customer_id, account_name, customer_name)"
                      " VALUES (%s, %s, %s)", (f"c{c}", f"acct{c}", f"客户{c}")))
    setup.append(("INSERT INTO customer_settings (customer_id, expiry_stages)"
                  " VALUES ('c2', '{10,4}')", None))
    for r in range(60):
        setup.append(("INSERT INTO resources (customer_id, resource_id, service_type_code, status,"
                      " expire_time, expire_policy) VALUES (%s, %s, %s, %s, %s, %s)",
                      (f"c{1 + r % 5}", f"r{r}", "svc.rds" if r % 4 == 0 else "svc.ecs",
                       5 if r % 17 == 0 else 2, T0 + dt.timedelta(hours=rnd.randrange(-48, 45 * 24)),
                       3 if r % 3 == 0 else 1)))
    # Changes between evaluations, as the poller (or an operator) makes them.
    for r in rnd.sample(range(60), 24):
        step = rnd.randrange(1, 70)
        change = rnd.choice([
            "UPDATE resources SET expire_time = expire_time + interval '30 days' WHERE resource_id = %s",
            "UPDATE resources SET expire_time = expire_time - interval '3 days' WHERE resource_id = %s",
            "UPDATE resources SET status = 4 WHERE resource_id = %s",
            "UPDATE resources SET status = 3 WHERE resource_id = %s",
            "UPDATE resources SET gone_at = now() WHERE resource_id = %s",
            "UPDATE resources SET expire_policy = 1 WHERE resource_id = %s"])
        steps.setdefault(step, []).append((change, (f"r{r}",)))
    steps.setdefault(30, []).append(
        ("UPDATE customer_settings SET expiry_stages = '{12,2}' WHERE customer_id = 'c2'", None))
    steps.setdefault(45, []).append(
        ("INSERT INTO customer_settings (customer_id, expiry_stages) VALUES ('c3', '{9}')", None))
    for sql, args in setup:
        db.query(sql, args)
        full_db.query(sql, args)
    passes = Counter()
    for step in range(70):
        now = T0 + dt.timedelta(hours=11 * step)
        for sql, args in steps.get(step, []):
            db.query(sql, args)
            full_db.query(sql, args)
        out = evaluate(quick, now)
        passes["changed" if "(changed resources)" in out else "every"] += 1
        r = full.run("alerts", "evaluate", "--full", "--now", iso(now))
        assert r.returncode == 0 and "(every resource)" in r.stdout, r.stderr

    told = ("SELECT a.resource_id, n.event, n.stage, n.facts->>'days_left', a.state,"
            " a.resolution FROM notifications n JOIN alerts a ON a.id = n.alert_id"
            " ORDER BY 1, 2, 3, 4, 5, 6")
    got, want = db.query(told), full_db.query(told)
    assert len(want) > 100
    assert got == want
    # Only the first run, and none after the settings edits, read everything.
    assert passes == {"every": 1, "changed": 69}
    full_db.close()


def test_email_requires_starttls_and_verifies_the_server(make_hcwatch, workdir, db):
    """STARTTLS is required unless a destination says tls = none, and the server's
    certificate is verified (ca_file adds a private CA): a server that does not offer it,
    or one whose certificate is not trusted, gets nothing."""
    import subprocess

    from harness import free_port

    cert, key = os.path.join(workdir, "smtp-cert.pem"), os.path.join(workdir, "smtp-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    tls_port, plain_port = free_port(), free_port()
    tls_sim = HuaweiSim(workdir, "--customers", "0", "--smtp-listen", f"127.0.0.1:{tls_port}",
                        "--smtp-user", "hcw", "--smtp-password", "pw", "--smtp-tls-cert", cert,
                        "--smtp-tls-key", key, "--smtp-require-tls")
    plain_sim = HuaweiSim(workdir, "--customers", "0", "--smtp-listen",
                          f"127.0.0.1:{plain_port}")
    try:
        mail = {"type": "email", "from": "alerts@partner.example", "to": "ops@partner.example"}
        dests = {
            "trusted": {**mail, "url": f"smtp://127.0.0.1:{tls_port}", "ca_file": cert,
                        "username": "hcw", "password": "pw"},
            "untrusted": {**mail, "url": f"smtp://127.0.0.1:{tls_port}",
                          "username": "hcw", "password": "pw"},
            "cleartext": {**mail, "url": f"smtp://127.0.0.1:{tls_port}", "tls": "none"},
            "no-starttls": {**mail, "url": f"smtp://127.0.0.1:{plain_port}"},
        }
        h = alerting(make_hcwatch, tls_sim, dests=dests,
                     default="trusted,untrusted,cleartext,no-starttls")
        add_customer(db)
        add_resource(db, "r1", T0 + dt.timedelta(days=2))
        evaluate(h, T0)
        deliver(h, T0, ok=False)
        state = dict(db.query("SELECT destination, state || ': ' || COALESCE(last_error, '')"
                              " FROM deliveries"))
        assert state["trusted"] == "delivered: ", state
        assert state["untrusted"].startswith("dead:") and "certificate" in state["untrusted"]
        assert state["cleartext"].startswith("dead:") and "530" in state["cleartext"]
        assert state["no-starttls"].startswith("dead:"), state
        mails = tls_sim.mail()
        assert len(mails) == 1 and mails[0]["tls"] is True
        msg = email.message_from_string(mails[0]["data"], policy=email.policy.default)
        assert "主机-r1" in msg.get_body(("plain",)).get_content()
        assert plain_sim.mail() == []
    finally:
        tls_sim.stop()
        plain_sim.stop()


def test_sighup_reloads_destinations_and_routes(make_hcwatch, sim, db):
    h = alerting(make_hcwatch, sim, start=True,
                 alerts={"enabled": "false", "customer_notices": "false"})
    add_customer(db)
    add_resource(db, "r1", dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: len(webhook_items(sim, "ops")) == 1, 20, "delivered to ops")

    # A new destination becomes the default: the running notifier takes it up.
    h.settings["destination team"] = chat_destination(sim, "webhook", "team")
    h.settings["routing"]["default"] = "team"
    h.write_conf()
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: "alert rules, wording, routes and destinations now as configured" in h.logtext(),
               10, "reload of the alerting logged")
    # A second reload right away: the first's old threads may still be stopping.
    h.settings["alerts"]["critical_days"] = "2"
    h.write_conf()
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: h.logtext().count("alert rules, wording, routes and destinations now as configured")
               == 2, 10, "second reload of the alerting logged")
    add_resource(db, "r2", dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: len(webhook_items(sim, "team")) == 1, 20, "delivered to team")
    assert [i["facts"]["resource_id"] for i in webhook_items(sim, "team")] == ["r2"]
    assert len(webhook_items(sim, "ops")) == 1
    assert "cannot change while running" not in h.logtext()
