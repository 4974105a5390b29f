"""The pages in a real headless Chromium, with JavaScript off, as a phone's in-app browser:
from a DingTalk message that had to be cut, to every item, to an acknowledgement, a silence and
an unsilence that take effect, in Chinese and in English. A screenshot of each kind of page is
kept (build/…/artefacts/pages), and checked not to be blank."""

import datetime as dt
import html
import os
import re

import pytest

import browser as chromium
from harness import HCWATCH
from test_alerts import T0, add_customer, add_resource, deliver, evaluate
from test_pages import customers_with_resources, page_links, texts, with_pages

pytestmark = pytest.mark.skipif(chromium.CHROMIUM is None,
                                reason="chromium is not installed (scripts/bootstrap.sh --test)")

ARTEFACTS = os.environ.get("HCWATCH_ARTEFACTS") or os.path.join(
    os.path.dirname(os.path.abspath(HCWATCH)), "artefacts", "pages")

WORDS = {
    "zh": {"all": "全部告警", "acked": "已确认", "silenced": "已静默", "firing": "告警中",
           "unsilenced": "已取消静默", "balance": "余额走势", "expiry": "到期时间线"},
    "en": {"all": "all alerts", "acked": "acknowledged", "silenced": "silenced",
           "firing": "firing", "unsilenced": "Unsilenced.", "balance": "Balance, last 60 days",
           "expiry": "Expiry, next 90 days"},
}


@pytest.fixture
def sim(workdir):
    from harness import HuaweiSim
    s = HuaweiSim(workdir, "--customers", "0")
    yield s
    s.stop()


@pytest.fixture
def web():
    b = chromium.Browser()
    yield b
    b.close()


def shot(b, name):
    """Saves the page as an artefact; it must hold more than a background."""
    from PIL import Image
    os.makedirs(ARTEFACTS, exist_ok=True)
    path = os.path.join(ARTEFACTS, f"{name}.png")
    b.screenshot(path)
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20, f"{path} looks blank"
    # Most of a page is its background; text and lines are the rest.
    assert max(n for n, _ in colours) < 0.995 * sum(n for n, _ in colours), f"{path} is blank"
    return path


def link_in(text, word):
    return re.search(r"\[" + re.escape(word) + r"\]\((http[^)]+)\)", text).group(1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reader_goes_from_a_message_to_every_item_and_acts(make_hcwatch, sim, db, web, lang):
    w = WORDS[lang]
    h = with_pages(make_hcwatch, sim, max_bytes="2500", max_parts="1", language=lang)
    customers_with_resources(db, 6, 4, 20, name="客户")
    customers_with_resources(db, 2, 2, 2, name="紧急", prefix="u")
    for day in range(30):
        db.query("INSERT INTO balance_snapshots (customer_id, taken_at, amount) VALUES"
                 " ('c00', %s, %s)", (T0 - dt.timedelta(days=30 - day), 1000 - 23 * day))
    h.start()
    evaluate(h, T0)
    deliver(h, T0)
    msgs = texts(sim)
    total = db.scalar("SELECT count(*) FROM alerts")
    shown = sum(len(re.findall(r"主机-[cu]\d\d-r\d", m)) for m in msgs)
    assert shown < total, "the message was meant to be cut"

    # 1-2. The digest link of the message the robot got opens every item.
    web.open(link_in(msgs[-1], w["all"]))
    page = web.html()
    for (rid,) in db.query("SELECT resource_id FROM alerts"):
        assert f"主机-{rid}" in page
    shot(web, f"digest-{lang}")

    # 3-4. An alert, acknowledged with a name, in the browser and in PostgreSQL.
    aid = db.scalar("SELECT id FROM alerts WHERE resource_id = 'c00-r0'")
    alert = next(u for u in page_links(page, "a") if f"/l/a{aid}~" in u)
    web.open(alert)
    web.type("#acknowledge input[name=name]", "李雷")
    web.type("#acknowledge textarea[name=note]", "明天续费")
    web.click("#acknowledge button", navigates=True)
    page = web.html()
    assert w["acked"] in page and "李雷" in page and "明天续费" in page
    shot(web, f"alert-{lang}")
    assert db.query("SELECT state, acked_by, ack_note FROM alerts WHERE id = %s", (aid,)) == \
        [("acknowledged", "李雷", "明天续费")]
    assert db.scalar("SELECT destination FROM web_actions WHERE alert_id = %s", (aid,)) == "ding"

    # Silence another alert for 7 days, then unsilence it.
    other = db.scalar("SELECT id FROM alerts WHERE resource_id = 'c01-r0'")
    web.open(signed_alert(h, other))
    web.type("#silence input[name=name]", "Lucy")
    web.click("#silence input[value='7d']")
    web.click("#silence button", navigates=True)
    assert w["silenced"] in web.html()
    assert db.scalar("SELECT state FROM alerts WHERE id = %s", (other,)) == "silenced"
    web.type("#unsilence input[name=name]", "Lucy")
    web.click("#unsilence button", navigates=True)
    assert w["unsilenced"] in web.html()
    assert db.scalar("SELECT state FROM alerts WHERE id = %s", (other,)) == "firing"

    # The customer's page: its charts, drawn on the server.
    web.open(alert)
    cust = page_links(web.html(), "c")[0]
    web.open(cust)
    page = web.html()
    assert w["balance"] in page and w["expiry"] in page and "<polyline" in page
    assert page.count("<circle") == 4
    shot(web, f"customer-{lang}")

    # 5. The next evaluation: the acknowledged alert's reminder is recorded, not sent.
    sent = len(texts(sim))
    evaluate(h, T0 + dt.timedelta(days=14))
    deliver(h, T0 + dt.timedelta(days=14))
    assert db.scalar("SELECT count(*) FROM notifications WHERE alert_id = %s"
                     " AND suppressed = 'acknowledged'", (aid,)) == 1
    assert not any("主机-c00-r0" in t for t in texts(sim)[sent:])
    # Its neighbour, not acknowledged, is told as before.
    assert db.query("SELECT n.suppressed, n.routed_at IS NOT NULL FROM notifications n"
                    " JOIN alerts a ON a.id = n.alert_id"
                    " WHERE a.resource_id = 'c00-r1' AND n.stage = '7d'") == [(None, True)]


def signed_alert(h, aid):
    r = h.run("alerts", "link", str(aid), "--dest", "ding")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()
