"""The pages behind the messages: from a message's link to the full list, to an alert, to an
action that takes effect; and the attacks they face on the internet (previews, forged, expired,
foreign and rotated-out links, forged forms, hostile names and notes)."""

import base64
import datetime as dt
import hashlib
import hmac
import html
import re
import urllib.parse

import pytest

import email
import email.policy

from harness import HuaweiSim, chat_destination, free_port
from test_alerts import (HOSTILE_CUSTOMER, HOSTILE_RESOURCE, T0, add_customer, add_resource,
                         alerting, deliver, evaluate, every_channel, webhook_items)

KEY = "0123456789abcdef0123456789abcdef"
NEW_KEY = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
XSS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
       "<svg/onload=alert(1)>", "[x](http://evil.example)", "{{7*7}}", "' onmouseover='x",
       "</title><script>x</script>"]


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0")
    yield s
    s.stop()


def with_pages(make_hcwatch, sim, keys=KEY, managers=None, **dest):
    """hcwatch with pages; serve only serves them: the test evaluates and delivers itself."""
    h = alerting(make_hcwatch, sim, managers=managers,
                 dests={"ding": chat_destination(sim, "dingtalk", "d1", **dest)}, default="ding",
                 alerts={"enabled": "false", "customer_notices": "false"},
                 notifier={"enabled": "false"})
    h.settings["web"] = {"public_url": f"http://127.0.0.1:{h.port}", "keys": keys,
                         "per_minute": "100000"}
    h.write_conf()
    return h


def sign(kind, ident, dest, expires, key=KEY):
    body = f"{kind}{ident}~{dest}~{expires}"
    mac = hmac.new(key.encode(), b"hcwatch link\n" + body.encode(), hashlib.sha256).digest()
    return body + "~" + base64.urlsafe_b64encode(mac).decode()[:22]


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + (f"?{u.query}" if u.query else "")


def get(h, url, **headers):
    return h.request("GET", path_of(url) if url.startswith("http") else url, headers=headers)


def texts(sim):
    got = sim.messages("dingtalk", "d1")
    assert got["rejected"] == []
    return [m["text"] for m in got["messages"]]


def page_links(body, kind):
    return [html.unescape(u) for u in re.findall(r'href="(http[^"]*/l/' + kind + r'[^"]*)"',
                                                 body)]


def form_of(body):
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', body).group(1))


def post(h, url, **fields):
    return h.request("POST", path_of(url), body=urllib.parse.urlencode(fields),
                     headers={"Content-Type": "application/x-www-form-urlencoded",
                              "User-Agent": "pytest-reader"})


def customers_with_resources(db, n_customers, per, days, name="客户", prefix="c"):
    for c in range(n_customers):
        cid = f"{prefix}{c:02d}"
        add_customer(db, cid=cid, name=f"{name}{c:02d}")
        for r in range(per):
            add_resource(db, f"{cid}-r{r}", T0 + dt.timedelta(days=days, hours=r), cid=cid)


def test_from_a_cut_message_to_every_item_and_an_acknowledgement(make_hcwatch, sim, db):
    h = with_pages(make_hcwatch, sim, max_bytes="3000", max_parts="1")
    customers_with_resources(db, 6, 4, 20)      # warnings
    customers_with_resources(db, 3, 3, 2, name="紧急", prefix="u")  # criticals, listed first
    h.start()
    evaluate(h, T0)
    deliver(h, T0)
    msgs = texts(sim)
    assert len(msgs) >= 1
    last = msgs[-1]
    assert "项未列出（客户 " in last and "hcwatch alerts list" not in last
    digest = re.search(r"\[全部告警\]\((http[^)]+)\)", last).group(1)
    # Every message carries the digest's link.
    assert all(digest in m for m in msgs)

    r = get(h, digest)
    assert r.status == 200, r.body
    body = r.text()
    for c in range(6):
        for k in range(4):
            assert f"主机-c{c:02d}-r{k}" in body
    # The most urgent customer first.
    assert body.index("紧急00") < body.index("客户00")
    csp = r.header("Content-Security-Policy")
    assert "default-src 'none'" in csp and "script" not in csp.replace("default-src", "")
    assert r.header("Referrer-Policy") == "no-referrer"
    assert r.header("X-Frame-Options") == "DENY"
    assert r.header("Cache-Control") == "no-store"

    # A warning: its next stage is a reminder, which an acknowledgement holds back.
    aid = str(db.scalar("SELECT id FROM alerts WHERE resource_id = 'c00-r0'"))
    alert_url = next(u for u in page_links(body, "a") if f"/l/a{aid}~" in u)
    page = get(h, alert_url)
    assert page.status == 200
    form = form_of(page.text())

    # Without the form's token, or with another page's, nothing is done.
    assert post(h, alert_url, action="acknowledge", name="Mallory").status == 403
    other = next(u for u in page_links(body, "a") if u != alert_url)
    other_form = form_of(get(h, other).text())
    assert post(h, alert_url, action="acknowledge", name="Mallory",
                csrf=other_form).status == 403
    # A note over note_max is refused.
    assert post(h, alert_url, action="acknowledge", name="Mallory", csrf=form,
                note="长" * 200).status == 413
    assert db.scalar("SELECT count(*) FROM web_actions") == 0
    assert db.scalar("SELECT acked_by FROM alerts WHERE id = %s", (aid,)) is None

    r = post(h, alert_url, action="acknowledge", name="王五", note="已联系客户", csrf=form)
    assert r.status == 303
    assert r.header("Location").endswith("?done=acknowledge")
    after = get(h, alert_url + "?done=acknowledge").text()
    assert "已确认" in after and "王五" in after and "已联系客户" in after
    assert db.scalar("SELECT acked_by FROM alerts WHERE id = %s", (aid,)) == "王五"
    row = db.query("SELECT action, name, note, destination, address, user_agent FROM web_actions")
    assert row == [("acknowledge", "王五", "已联系客户", "ding", "127.0.0.1", "pytest-reader")]

    # The next stage of that alert is recorded, not sent.
    sent = len(texts(sim))
    evaluate(h, T0 + dt.timedelta(days=14))
    deliver(h, T0 + dt.timedelta(days=14))
    assert db.scalar("SELECT count(*) FROM notifications WHERE alert_id = %s"
                     " AND suppressed = 'acknowledged'", (aid,)) >= 1
    res = db.scalar("SELECT resource_id FROM alerts WHERE id = %s", (aid,))
    assert not any(f"主机-{res}（" in t for t in texts(sim)[sent:])


def test_silence_and_unsilence_in_english(make_hcwatch, sim, db):
    h = with_pages(make_hcwatch, sim, managers={"alice": {"name": "Alice Wang",
                                                           "destinations": "ding"}})
    add_customer(db, manager="alice")
    # Pages read the real clock: so does this test.
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    expires = now + dt.timedelta(days=20, hours=1)
    add_resource(db, "r1", expires)
    h.start()
    evaluate(h, now)
    deliver(h, now)
    digest = re.search(r"\[全部告警\]\((http[^)]+)\)", texts(sim)[0]).group(1)
    alert_url = page_links(get(h, digest + "?lang=en").text(), "a")[0]
    assert alert_url.endswith("?lang=en")
    page = get(h, alert_url).text()
    assert "Acknowledge" in page and "until the next stage" in page
    assert "<dt>manager</dt><dd>Alice Wang</dd>" in page
    # The message named her too.
    assert "客户经理 Alice Wang" in texts(sim)[0]
    r = post(h, alert_url, action="silence", name="Ann", span="stage", csrf=form_of(page))
    assert r.status == 303 and r.header("Location").endswith("done=silence&lang=en")
    # Until the next stage of the default ladder (30,15,7,3,1): 15 days before the expiry.
    assert db.scalar("SELECT ends_at FROM silences") == expires - dt.timedelta(days=15)
    assert db.scalar("SELECT state FROM alerts") == "silenced"
    page = get(h, alert_url).text()
    assert "silenced" in page and "Unsilence" in page
    r = post(h, alert_url, action="unsilence", name="Ann", csrf=form_of(page))
    assert r.status == 303
    assert db.scalar("SELECT state FROM alerts") == "firing"
    assert db.scalar("SELECT ended_at IS NOT NULL FROM silences")
    actions = [a for (a,) in db.query("SELECT action FROM web_actions ORDER BY id")]
    assert actions == ["silence", "unsilence"]


def test_previews_forgeries_and_hostile_text_change_nothing(make_hcwatch, sim, db):
    h = with_pages(make_hcwatch, sim)
    add_customer(db, name=XSS[0])
    add_resource(db, "r1", T0 + dt.timedelta(days=5), name=XSS[1])
    add_resource(db, "r2", T0 + dt.timedelta(days=6), name=XSS[7])
    h.start()
    evaluate(h, T0)
    deliver(h, T0)
    text = texts(sim)[0]
    digest = re.search(r"\[全部告警\]\((http[^)]+)\)", text).group(1)
    # Messages: hostile names are text, never markup (look-alikes, no tags).
    assert "<script>" not in text and "<img" not in text

    # Link-preview bots fetch everything; nothing changes.
    before = db.query("SELECT id, state, acked_at FROM alerts ORDER BY id")
    urls = [digest]
    for ua in ("DingTalkBot-LinkService/1.0", "Slackbot-LinkExpanding 1.0",
               "Mozilla/5.0 (compatible; WeCom preview)", "Outlook-SafeLinks"):
        for u in list(urls):
            r = get(h, u, **{"User-Agent": ua})
            assert r.status == 200
            urls += page_links(r.text(), "a") + page_links(r.text(), "c")
        for u in urls:
            assert h.request("HEAD", path_of(u)).status == 200
    assert db.query("SELECT id, state, acked_at FROM alerts ORDER BY id") == before
    assert db.scalar("SELECT count(*) FROM web_actions") == 0
    assert db.scalar("SELECT count(*) FROM silences") == 0

    # Every page holds the hostile text as text.
    for u in set(urls):
        body = get(h, u).text()
        for bad in ("<script", "<img", "<svg/", "onmouseover='"):
            assert bad not in body, (u, bad)
    # A hostile note, too.
    alert_url = next(u for u in urls if "/l/a" in u)
    page = get(h, alert_url).text()
    for note in XSS:
        assert post(h, alert_url, action="acknowledge", name=XSS[1], note=note,
                    csrf=form_of(page)).status == 303
    body = get(h, alert_url).text()
    assert "<script" not in body and "<img" not in body and "&lt;script&gt;" in body

    # Tampered, expired, foreign, rotated out, nonsense: one and the same 404.
    aid = re.search(r"/l/a(\d+)~", alert_url).group(1)
    exp = int(re.search(r"~(\d+)~[^~]+$", path_of(alert_url)).group(1))
    good = path_of(alert_url)[len("/l/"):]
    bad = [
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        sign("a", aid, "ding", int(dt.datetime.now().timestamp()) - 1),
        sign("a", aid, "other-dest", exp)[:-1] + "x",
        sign("a", str(int(aid) + 1), "ding", exp)[:-3] + "abc",
        sign("a", aid, "ding", exp, key=NEW_KEY),
        "nonsense",
        "a1~ding~99999999999~" + "A" * 22,
    ]
    answers = {(r.status, r.body) for r in (h.request("GET", "/l/" + b) for b in bad)}
    assert len(answers) == 1 and next(iter(answers))[0] == 404
    # A link signed for another destination is valid in form, and opens nothing else's delivery.
    did = re.search(r"/l/d(\d+)~", digest).group(1)
    assert h.request("GET", "/l/" + sign("d", did, "other-dest", exp)).status == 404
    assert h.request("GET", "/l/" + sign("d", did, "ding", exp)).status == 200


def test_rotation_keeps_old_links_until_the_old_key_is_dropped(make_hcwatch, sim, db):
    h = with_pages(make_hcwatch, sim)
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=5))
    h.start()
    evaluate(h, T0)
    deliver(h, T0)
    old = re.search(r"\[全部告警\]\((http[^)]+)\)", texts(sim)[0]).group(1)
    h.stop()
    h.settings["web"]["keys"] = f"{NEW_KEY}, {KEY}"
    h.write_conf()
    h.start()
    assert get(h, old).status == 200
    link = h.run("alerts", "link", "1")
    assert link.returncode == 0, link.stderr
    new = link.stdout.strip()
    assert new.startswith(f"http://127.0.0.1:{h.port}/l/a1~") and get(h, new).status == 200
    h.stop()
    h.settings["web"]["keys"] = NEW_KEY
    h.write_conf()
    h.start()
    assert get(h, old).status == 404
    assert get(h, new).status == 200


# How each channel writes a link: markdown, Slack's <url|label>, or "label: url".
LINK_FORMS = {
    "wecom": r"\[{label}\]\((http[^)]+)\)", "dingtalk": r"\[{label}\]\((http[^)]+)\)",
    "slack": r"<(http[^|>]+)\|{label}>", "feishu": r"{label}: (http\S+)",
    "webhook": r"{label}: (http\S+)", "email": r"{label}: (http\S+)",
}


def test_every_channel_leads_to_the_list_and_to_an_action(make_hcwatch, workdir, db):
    """From a message on each of the six channels to the delivery's page, to the alert's, to an
    acknowledgement recorded with the destination whose link was used. Hostile names stay text
    beside links that are ours."""
    smtp_port = free_port()
    s = HuaweiSim(workdir, "--customers", "0", "--smtp-listen", f"127.0.0.1:{smtp_port}")
    try:
        dests = every_channel(s, smtp_port, **{"from": "alerts@partner.example",
                                                "to": "ops@partner.example"})
        h = alerting(make_hcwatch, s, dests=dests, default="wecom,ding,feishu,slack,hook,mail",
                     alerts={"enabled": "false", "customer_notices": "false"},
                     notifier={"enabled": "false"})
        h.settings["web"] = {"public_url": f"http://127.0.0.1:{h.port}", "keys": KEY}
        h.write_conf()
        add_customer(db, name=HOSTILE_CUSTOMER)
        add_resource(db, "r1", T0 + dt.timedelta(days=2), name=HOSTILE_RESOURCE)
        h.start()
        evaluate(h, T0)
        deliver(h, T0)
        found = {}
        for channel, target, dest in (("wecom", "k1", "wecom"), ("dingtalk", "t1", "ding"),
                                      ("feishu", "f1", "feishu"), ("slack", "T0/B0/x", "slack"),
                                      ("webhook", "w1", "hook")):
            got = s.messages(channel, target)
            assert got["rejected"] == [] and len(got["messages"]) == 1, (channel, got)
            found[channel] = (dest, got["messages"][0]["text"])
        msg = email.message_from_string(s.mail()[0]["data"], policy=email.policy.default)
        found["email"] = ("mail", msg.get_body(("plain",)).get_content())
        mail_html = msg.get_body(("html",)).get_content()
        item = webhook_items(s, "w1")[0]
        assert "alert_id" not in item and "/l/a" in item["alert_url"] and \
            "/l/cc1~hook~" in item["customer_url"]
        assert re.search(r'<a href="http://127\.0\.0\.1:\d+/l/d\d+~mail~', mail_html)

        for channel, (dest, text) in found.items():
            form = LINK_FORMS[channel]
            digest = re.search(form.format(label="全部告警"), text).group(1)
            links = re.findall(form.format(label="详情"), text)
            assert f"~{dest}~" in digest, (channel, digest)
            # The only links are ours: the hostile names made none.
            assert all(u.startswith(f"http://127.0.0.1:{h.port}/l/") for u in links + [digest])
            assert get(h, digest).status == 200, channel
            alert_url = next(u for u in links if "/l/a" in u)
            page = get(h, alert_url)
            assert page.status == 200, channel
            r = post(h, alert_url, action="acknowledge", name=f"reader on {channel}",
                     csrf=form_of(page.text()))
            assert r.status == 303, channel
        told = db.query("SELECT destination, name FROM web_actions ORDER BY id")
        assert told == [(d, f"reader on {c}") for c, (d, _) in found.items()]
    finally:
        s.stop()


def test_each_address_has_its_share_of_pages(make_hcwatch, sim, db):
    h = with_pages(make_hcwatch, sim)
    h.settings["web"]["per_minute"] = "5"
    h.write_conf()
    add_customer(db)
    add_resource(db, "r1", T0 + dt.timedelta(days=5))
    h.start()
    url = "/l/" + sign("a", "1", "ding", int(dt.datetime.now().timestamp()) + 3600)
    answers = [h.request("GET", url).status for _ in range(7)]
    # Unknown or not, every request counts: probing links costs the same as reading pages.
    assert answers[:5] == [404] * 5 and answers[5:] == [429, 429]
    assert h.request("GET", "/readyz").status == 200
