"""Routing by Huawei's own account managers: the assignment ListSubCustomers returns is stored
by every customers poll, a [manager NAME] section that names the login (huawei_account) takes
those customers' alerts with no SQL at all, and a customer_settings row still overrides."""

import datetime as dt

import pytest

from harness import HuaweiSim, chat_destination, huawei_settings
from test_alerts import alerting, deliver, evaluate, iso


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "12", "--resources-per", "3", "--seed", "7",
                  "--rate", "100")
    yield s
    s.stop()


def routed(db):
    """customer_id -> the destinations its notifications went to."""
    out = {}
    for cid, dest in db.query(
            "SELECT DISTINCT a.customer_id, d.destination FROM deliveries d"
            " CROSS JOIN unnest(d.notification_ids) AS i(id)"
            " JOIN notifications n ON n.id = i.id JOIN alerts a ON a.id = n.alert_id"
            " WHERE a.customer_id IS NOT NULL"):
        out.setdefault(cid, set()).add(dest)
    return out


def test_huawei_assignment_routes_and_customer_settings_overrides(make_hcwatch, sim, db):
    settings = huawei_settings(sim)
    settings["huawei"]["rate_limit"] = "100"
    h = alerting(make_hcwatch, sim,
                 dests={"default": chat_destination(sim, "webhook", "default"),
                        "wang": chat_destination(sim, "webhook", "wang"),
                        "li": chat_destination(sim, "webhook", "li")},
                 managers={"wang": {"name": "王经理", "huawei_account": "am-01",
                                    "destinations": "wang"},
                           "li": {"destinations": "li"}},
                 default="default", alerts={"customer_notices": "false"}, **settings)
    r = h.run("poll", "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    managers = dict(db.query("SELECT customer_id, huawei_manager FROM customers"))
    # The simulator assigns am-00, am-01, am-02 in turn, and none to every fourth customer.
    assert set(managers.values()) == {"am-00", "am-01", "am-02", None}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = h.run("alerts", "evaluate", "--now", iso(now))
    assert r.returncode == 0, r.stderr
    deliver(h, now)
    got = routed(db)
    # The evaluation names the customers that had no manager and took the default route.
    fell = sorted(db.query("SELECT account_name FROM customers"
                           " WHERE huawei_manager IS DISTINCT FROM 'am-01'"
                           " AND customer_id = ANY(%s) ORDER BY customer_id", (list(got),)))
    said = r.stdout + r.stderr
    assert f"{len(fell)} customer(s) told about have no account manager" in said, said
    first = db.query("SELECT account_name FROM customers WHERE customer_id = ANY(%s)"
                     " AND huawei_manager IS DISTINCT FROM 'am-01' ORDER BY customer_id LIMIT 5",
                     (list(got),))
    assert "took the default route: " + ", ".join(a for (a,) in first) in said, said
    assert got, "nothing was told: the simulator's data should raise alerts"
    for cid, dests in got.items():
        want = {"wang"} if managers[cid] == "am-01" else {"default"}
        assert dests == want, (cid, managers[cid], dests)
    assert db.query("SELECT DISTINCT source FROM customer_managers WHERE huawei_manager = 'am-01'") \
        == [("huawei",)]
    # The message names her by her display name.
    wang = sim.messages("webhook", "wang")["messages"]
    assert wang and all("王经理" in m["text"] for m in wang)

    # A customer_settings row overrides Huawei's assignment; a new evaluation routes by it.
    one = next(cid for cid in got if managers[cid] == "am-01")
    db.query("INSERT INTO customer_settings (customer_id, account_manager) VALUES (%s, 'li')",
             (one,))
    assert db.scalar("SELECT manager || '/' || source FROM customer_managers"
                     " WHERE customer_id = %s", (one,)) == "li/customer_settings"
    db.query("DELETE FROM deliveries")
    db.query("UPDATE notifications SET routed_at = NULL")
    later = now + dt.timedelta(days=40)
    evaluate(h, later)
    assert routed(db)[one] == {"li"}

    # Changing the configuration rewrites the mapping at the next evaluation.
    h.settings["manager wang"]["huawei_account"] = "am-02"
    h.write_conf()
    evaluate(h, later)
    assert db.query("SELECT huawei_account, manager FROM manager_accounts") == [("am-02", "wang")]


def test_two_managers_cannot_stand_for_one_login(make_hcwatch, sim):
    h = alerting(make_hcwatch, sim, migrate=False,
                 dests={"default": chat_destination(sim, "webhook", "default")},
                 managers={"a": {"huawei_account": "am-01", "destinations": "default"},
                           "b": {"huawei_account": "am-01", "destinations": "default"}},
                 default="default")
    r = h.run("check-config")
    assert r.returncode != 0
    assert "[manager b] huawei_account: [manager a] stands for the same" in r.stderr


def test_customers_command_checks_every_value_and_needs_no_sql(make_hcwatch, sim, db):
    settings = huawei_settings(sim)
    settings["huawei"]["rate_limit"] = "100"
    h = alerting(make_hcwatch, sim,
                 dests={"default": chat_destination(sim, "webhook", "default"),
                        "alice": chat_destination(sim, "webhook", "alice")},
                 managers={"alice": {"destinations": "alice"},
                           "wang": {"huawei_account": "am-01", "destinations": "default"}},
                 default="default", **settings)
    assert h.run("poll", "--once").returncode == 0
    # check-config says how many customers each manager receives under the file it checks.
    am01 = db.scalar("SELECT count(*) FROM customers WHERE huawei_manager = 'am-01'")
    total = db.scalar("SELECT count(*) FROM customers")
    r = h.run("check-config")
    assert r.returncode == 0, r.stderr
    assert "#   [manager alice] receives 0 customer(s)" in r.stdout, r.stdout
    assert f"#   [manager wang] receives {am01} customer(s)" in r.stdout, r.stdout
    assert f"#   {total - am01} customer(s) take the default route (default)" in r.stdout
    cid, account = db.query("SELECT customer_id, account_name FROM customers"
                            " WHERE huawei_manager = 'am-00' ORDER BY customer_id LIMIT 1")[0]
    before = db.query("SELECT * FROM customer_settings")

    def refused(*args, says):
        r = h.run("customers", "set", *args)
        assert r.returncode != 0, r.stdout
        assert says in r.stderr, r.stderr
        assert db.query("SELECT * FROM customer_settings") == before

    # What used to be accepted and quietly routed to the default.
    refused(cid, "--manager", "Alice", says='there is no [manager Alice]; did you mean "alice"?')
    refused(account, "--manager", "alice", says=f'is the account name of customer {cid}')
    refused("no-such-customer", "--manager", "alice", says="no customer has the id")
    refused(cid, "--stages", "sixty", says="--stages: expected days before expiry")
    refused(cid, "--threshold", "1.2.3", says="--threshold: expected an amount")
    refused(cid, "--runway", "0", says="--runway: expected days from 1 to 3650")
    refused(cid, says="needs --manager, --threshold, --stages, --runway, --jump-factor or --jump-min")

    r = h.run("customers", "set", cid, "--manager", "alice", "--stages", "60,30,7",
              "--threshold", "99.50")
    assert r.returncode == 0, r.stderr
    assert "manager      alice (set with hcwatch customers set)" in r.stdout
    assert "alerts go to alice" in r.stdout
    assert db.query("SELECT account_manager, expiry_stages, low_balance_threshold::text"
                    " FROM customer_settings WHERE customer_id = %s", (cid,)) == \
        [("alice", [7, 30, 60], "99.50")]
    # Only what is named changes; none clears.
    r = h.run("customers", "set", cid, "--manager", "none")
    assert r.returncode == 0, r.stderr
    assert db.query("SELECT account_manager, expiry_stages FROM customer_settings"
                    " WHERE customer_id = %s", (cid,)) == [(None, [7, 30, 60])]
    # Shown by id or by account name; a customer of am-01 is wang's, by Huawei.
    r = h.run("customers", "show", account)
    assert r.returncode == 0 and f"customer     {cid}" in r.stdout
    assert "manager      - (none: the default route)" in r.stdout
    h.run("alerts", "evaluate")          # writes manager_accounts from the configuration
    one = db.scalar("SELECT customer_id FROM customers WHERE huawei_manager = 'am-01'"
                    " ORDER BY customer_id LIMIT 1")
    r = h.run("customers", "show", one)
    assert "manager      wang (Huawei's account manager)" in r.stdout
    # alice now has cid by customers set, wang every am-01 customer.
    assert "  [manager alice] receives 0 customer(s)" in r.stdout
    assert f"  [manager wang] receives {am01} customer(s)" in r.stdout
    r = h.run("customers")
    assert r.returncode == 0 and "customer id" in r.stdout and one in r.stdout
