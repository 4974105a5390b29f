"""The operator's templates ([alerts] templates): they word the messages, every value in them is
still escaped for the channel, and a broken one never reaches a message: hcwatch refuses to
start with it, and a reload that brings it fails and keeps the running wording."""

import datetime as dt
import itertools
import os
import signal

import pytest

from harness import HuaweiSim, chat_destination, wait_until
from test_alerts import add_customer, add_resource, alerting

HOSTILE = "[x](http://evil.example) @all <at user_id=\"all\">"
RELOADED = "alert rules, wording, routes and destinations now as configured"
_n = itertools.count(1)


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "0")
    yield s
    s.stop()


@pytest.fixture
def tdir(workdir):
    """A templates folder beside the configuration files, named relative to them."""
    name = f"templates-{os.getpid()}-{next(_n)}"
    os.makedirs(os.path.join(workdir, name))
    return name


def put(workdir, tdir, name, text):
    with open(os.path.join(workdir, tdir, name), "w", encoding="utf-8") as f:
        f.write(text)


def wecom_texts(sim):
    got = sim.messages("wecom", "k1")
    assert got["rejected"] == []
    return [m["text"] for m in got["messages"]]


def soon():
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)


def test_templates_word_messages_and_a_broken_one_never_reaches_one(make_hcwatch, sim, db,
                                                                    workdir, tdir):
    put(workdir, tdir, "expiry.en.mustache",
        "FIRST **{{resource}}**\n  {{#region}} in {{region}}{{/region}}\n")
    h = alerting(make_hcwatch, sim, dests={"ops": chat_destination(sim, "wecom", "k1")},
                 start=True, alerts={"enabled": "false", "customer_notices": "false",
                                     "language": "en", "templates": tdir})
    add_customer(db)
    add_resource(db, "r1", soon(), name=HOSTILE)
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: len(wecom_texts(sim)) == 1, 20, "the first message")
    text = wecom_texts(sim)[0]
    # The operator's words and markup; the customer's name stays text.
    assert "- [critical] FIRST **［x］(http∶//evil․example) ＠all ＜at user_id=\"all\"＞** in " \
           "cn-north-4\n" in text, text
    assert "](http" not in text and "@all" not in text and "<at" not in text

    # A broken template: the reload fails, says where, and the running wording stays.
    put(workdir, tdir, "expiry.en.mustache", "BROKEN {{resource}}\n{{#resolved}}\n")
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed, keeping the running configuration: [alerts] templates: "
               in h.logtext(), 10, "the reload refused")
    assert f"{tdir}/expiry.en.mustache: line 2: {{{{#resolved}}}} is never closed" in h.logtext()
    add_resource(db, "r2", soon(), name="second")
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: len(wecom_texts(sim)) == 2, 20, "the second message")
    assert "FIRST **second**" in wecom_texts(sim)[1]
    assert "BROKEN" not in "".join(wecom_texts(sim))

    # Mended: a reload that changes only a template restarts the notifier with it.
    put(workdir, tdir, "expiry.en.mustache", "MENDED {{resource}}")
    h.send_signal(signal.SIGHUP)
    wait_until(lambda: RELOADED in h.logtext(), 10, "the reload taken")
    add_resource(db, "r3", soon(), name="third")
    assert h.run("alerts", "evaluate").returncode == 0
    wait_until(lambda: len(wecom_texts(sim)) == 3, 20, "the third message")
    assert "- [critical] MENDED third\n" in wecom_texts(sim)[2]


def test_a_broken_template_stops_start_and_check_config(make_hcwatch, db, workdir, tdir):
    put(workdir, tdir, "low_balance.zh.mustache", "余额 {{amount}}，客户 {{{customer}}}")
    h = make_hcwatch({"bind": {"enabled": "false"}, "alerts": {"templates": tdir}}, start=False)
    r = h.run("check-config")
    assert r.returncode == 1
    assert "hcwatch: [alerts] templates: " in r.stderr
    assert "low_balance.zh.mustache: line 1: {{{…}} would write a value unescaped" in r.stderr
    h.start(wait_ready=False)
    assert h.proc.wait(timeout=20) != 0
    assert "would write a value unescaped" in h.logtext()

    put(workdir, tdir, "low_balance.zh.mustache", "余额 {{amount}}")
    put(workdir, tdir, "README", "notes")
    r = h.run("check-config")
    assert r.returncode == 1 and "README: not <kind>.<zh|en>.mustache" in r.stderr


def test_written_templates_are_the_built_in_ones(make_hcwatch, db, workdir, tdir):
    h = make_hcwatch({"bind": {"enabled": "false"}, "alerts": {"templates": tdir}}, start=False)
    out = os.path.join(workdir, tdir)
    r = h.run("rules", "--write-templates", out)
    assert r.returncode == 0, r.stderr
    files = sorted(os.listdir(out))
    assert "expiry.zh.mustache" in files and "dead_letters.en.mustache" in files
    # Every kind `hcwatch rules` lists, in both languages, and nothing else.
    listed = h.run("rules")
    assert listed.returncode == 0, listed.stderr
    kinds = [line.split()[1] for line in listed.stdout.splitlines()
             if line.startswith("  kind ")]
    assert files == sorted(f"{k}.{lang}.mustache" for k in kinds for lang in ("zh", "en"))
    # The running ones now come from the folder, and read as the built-in ones do.
    assert f"    zh: {out}/expiry.zh.mustache" in listed.stdout
    assert h.run("check-config").returncode == 0
    # An operator's edits are never overwritten.
    put(workdir, tdir, "expiry.zh.mustache", "我的 {{resource}}")
    again = h.run("rules", "--write-templates", out)
    assert again.returncode == 1 and "exists; nothing written" in again.stderr
    with open(os.path.join(out, "expiry.zh.mustache"), encoding="utf-8") as f:
        assert f.read() == "我的 {{resource}}"
