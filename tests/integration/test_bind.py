"""The binding-result notification end to end: real hcwatch, real PostgreSQL, hcwatch-sim as the browser."""

import base64
import json
import os
import socket
import stat
import subprocess
import urllib.parse

import pytest

from harness import SIM, run_concurrently, sim_bind, sim_body, wait_until


def url(h):
    return f"http://127.0.0.1:{h.port}/huawei/bind"


def events(db):
    return db.query("SELECT status, reason, customer_id, sig_rule FROM callback_events ORDER BY id")


def customers(db):
    return db.scalar("SELECT count(*) FROM customers")


def test_valid_callback_redirects_and_persists(hcwatch, db, keys):
    status, location = sim_bind(url(hcwatch), keys.key, "--domain-id", "0bb43f81c000d3a1",
                                "--domain-name", "yongzhi", "--xaccount-id", "acct-7",
                                "--xuser-id", "user-7", "--bind-action", "1",
                                "--extra", '{"futureField": {"n": 1}}')
    assert (status, location) == (303, "https://partner.example/bound")
    row = db.query("SELECT customer_id, account_name, xaccount_id, xuser_id, bind_action, "
                   "first_bound_at IS NOT NULL, last_callback_at = first_bound_at FROM customers")
    assert row == [("0bb43f81c000d3a1", "yongzhi", "acct-7", "user-7", "1", True, True)]
    ev = db.query("SELECT channel, status, reason, sig_rule, customer_id, "
                  "callback_payload(body), length(idempotency_key), remote_addr, content_type, "
                  "body IS NOT NULL, payload IS NULL FROM callback_events")
    assert len(ev) == 1
    channel, st, reason, rule, cid, payload, keylen, addr, ctype, has_body, once = ev[0]
    assert (channel, st, reason, rule, cid) == ("bind", "accepted", None, "A", "0bb43f81c000d3a1")
    assert once                                    # the body is stored once, not again as JSON
    assert payload["futureField"] == {"n": 1}      # unknown fields are kept
    assert payload["bindAction"] == 1
    assert keylen == 64 and addr == "127.0.0.1" and has_body
    assert ctype == "application/x-www-form-urlencoded"
    # The binding notice (the serve's evaluation after the event) tells what the bindRequest
    # said, read from the row's own columns.
    wait_until(lambda: db.scalar("SELECT count(*) FROM alerts WHERE kind = 'customer_bound'"),
               30, "the binding notice")
    facts = db.scalar("SELECT facts FROM alerts WHERE kind = 'customer_bound'")
    assert (facts["xaccount_id"], facts["bind_action"], facts["account_name"]) == (
        "acct-7", "1", "yongzhi")


def test_replay_is_idempotent(hcwatch, db, keys):
    body = sim_body(keys.key, "--domain-id", "refresh-me", "--domain-name", "r")
    first = hcwatch.post_form(body)
    second = hcwatch.post_form(body)
    assert first.status == second.status == 303
    assert customers(db) == 1
    assert [e[0] for e in events(db)] == ["accepted", "duplicate"]
    assert db.scalar("SELECT count(DISTINCT idempotency_key) FROM callback_events") == 1


def test_same_notification_twice_in_one_batch(hcwatch, db, keys):
    """Duplicates that arrive together, and so commit together, still count once."""
    body = sim_body(keys.key, "--domain-id", "twin")
    results = run_concurrently(lambda: hcwatch.post_form(body).status, [()] * 8)
    assert results == [303] * 8
    assert customers(db) == 1
    statuses = sorted(e[0] for e in events(db))
    assert statuses == ["accepted"] + ["duplicate"] * 7


def test_multipart_and_unescaped_plus(hcwatch, db, keys):
    assert sim_bind(url(hcwatch), keys.key, "--domain-id", "mp", "--encoding", "multipart")[0] == 303
    # Try several ids: some signatures contain '+', which this sender leaves unescaped.
    for i in range(6):
        assert sim_bind(url(hcwatch), keys.key, "--domain-id", f"plus{i}", "--tamper", "raw-plus")[0] == 303
    assert customers(db) == 7
    assert db.scalar("SELECT count(*) FROM callback_events WHERE content_type LIKE 'multipart/form-data%'") == 1


def test_domain_name_only(hcwatch, db, keys):
    assert sim_bind(url(hcwatch), keys.key, "--domain-name", "only-a-name")[0] == 303
    assert sim_bind(url(hcwatch), keys.key, "--domain-name", "only-a-name", "--xuser-id", "u2")[0] == 303
    assert db.query("SELECT customer_id, account_name, xuser_id FROM customers") == [(None, "only-a-name", "u2")]


REJECTIONS = [
    # tamper mode, expected HTTP status, stored reason
    ("payload", 403, "bad_signature"),
    ("signature", 403, "bad_signature"),
    ("truncate-signature", 403, "bad_signature"),
    ("sig-alg", 400, "unknown_sig_alg"),
    ("bad-base64", 400, "bad_base64"),
    ("bad-json", 400, "bad_json"),
    ("no-customer", 400, "missing_customer"),
    ("missing-signature", 400, "missing_field"),
    ("duplicate-field", 400, "duplicate_field"),
]


@pytest.mark.parametrize("tamper,status,reason", REJECTIONS)
def test_tampered_rejected_and_recorded(hcwatch, db, keys, tamper, status, reason):
    got, location = sim_bind(url(hcwatch), keys.key, "--domain-id", "victim", "--tamper", tamper)
    assert (got, location) == (status, None)
    assert events(db) == [("rejected", reason, None, None)]
    assert db.scalar("SELECT detail FROM callback_events") != ""
    assert customers(db) == 0


def test_wrong_key_rejected(hcwatch, db, other_keys):
    assert sim_bind(url(hcwatch), other_keys.key, "--domain-id", "victim")[0] == 403
    assert events(db) == [("rejected", "bad_signature", None, None)]
    assert customers(db) == 0


def test_rotation_accepts_either_key(make_hcwatch, db, keys, other_keys):
    h = make_hcwatch({"bind": {"certificates": f"{other_keys.cert}, {keys.metadata}"}})
    assert sim_bind(url(h), keys.key, "--domain-id", "k1")[0] == 303
    assert sim_bind(url(h), other_keys.key, "--domain-id", "k2")[0] == 303
    assert customers(db) == 2


def test_sim_metadata_makes_a_demo_key_once(make_hcwatch, db, workdir, keys):
    # What docker-compose.yml's demo-keys service does: a key made on the first run, kept after.
    key = os.path.join(workdir, "demo-once.key")
    meta = [os.path.join(workdir, f"demo-once-{i}.xml") for i in (1, 2)]
    for m in meta:
        r = subprocess.run([SIM, "metadata", "--key", key, "--out", m], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    h = make_hcwatch({"bind": {"certificates": meta[1]}})
    assert sim_bind(url(h), key, "--domain-id", "demo")[0] == 303
    assert sim_bind(url(h), keys.key, "--domain-id", "other")[0] == 403
    assert customers(db) == 1


def test_transport_rejections_recorded(hcwatch, db, keys):
    body = sim_body(keys.key, "--domain-id", "victim")
    r = hcwatch.post_form(body, content_type="application/json")
    assert r.status == 415
    r = hcwatch.request("GET", "/huawei/bind?" + body)
    assert r.status == 405 and r.header("Allow") == "POST"
    big = body + "&pad=" + "x" * 70000
    r = hcwatch.post_form(big)
    assert r.status == 413
    r = hcwatch.post_form("bindRequest=%zz")
    assert r.status == 400
    assert [(e[0], e[1]) for e in events(db)] == [
        ("rejected", "unsupported_media_type"), ("rejected", "method_not_allowed"),
        ("rejected", "body_too_large"), ("rejected", "malformed_form")]
    # A rejected body is kept only as a bounded sample, with the size of the whole.
    assert db.scalar("SELECT max(length(body)) FROM callback_events") <= 4096
    assert db.query("SELECT length(body), body_bytes FROM callback_events"
                    " WHERE reason = 'body_too_large'") == [(4096, len(big))]
    assert customers(db) == 0


def test_pages_and_headers(hcwatch, db, keys):
    r = hcwatch.post_form(sim_body(keys.key, "--domain-id", "x", "--tamper", "signature"))
    assert r.status == 403
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    rid = r.header("X-Request-Id")
    assert rid and rid.encode() in r.body
    assert b"signature" not in r.body.lower()          # no internals leak to the browser
    assert db.scalar("SELECT request_id FROM callback_events") == rid
    assert rid in hcwatch.logtext()
    assert hcwatch.request("GET", "/nope").status == 404
    assert hcwatch.request("POST", "/healthz").status == 405
    assert hcwatch.request("GET", "/healthz").status == 200
    assert hcwatch.request("GET", "/readyz").status == 200
    assert db.scalar("SELECT count(*) FROM callback_events") == 1


def test_success_page_without_redirect(make_hcwatch, db, keys):
    h = make_hcwatch({"bind": {"success_url": ""}})
    r = h.post_form(sim_body(keys.key, "--domain-id", "page"))
    assert r.status == 200
    assert "绑定成功".encode() in r.body


def test_concurrent_callbacks_share_commits(hcwatch, db, keys):
    """Many callbacks at once: every one answered 303 and stored, in fewer transactions than rows."""
    bodies = sim_body(keys.key, "--domain-id", "many-", "--count", "200").splitlines()
    chunks = run_concurrently(lambda chunk: [hcwatch.post_form(b).status for b in chunk],
                              [(bodies[i::32],) for i in range(32)])
    assert sum(chunks, []) == [303] * 200
    assert customers(db) == 200
    assert db.scalar("SELECT count(*) FROM callback_events WHERE status = 'accepted'") == 200
    # Rows committed by one transaction share xmin: group commit at work.
    assert db.scalar("SELECT count(DISTINCT xmin::text) FROM callback_events") < 200


def test_client_gone_before_answer(hcwatch, db, keys):
    """A browser that closes before the commit: no crash, the callback is still recorded."""
    body = sim_body(keys.key, "--domain-id", "gone").encode()
    req = (b"POST /huawei/bind HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", hcwatch.port))
        s.sendall(req)
        s.close()
    wait_until(lambda: db.scalar("SELECT count(*) FROM callback_events") == 20, 10, "20 events")
    assert customers(db) == 1
    assert hcwatch.request("GET", "/healthz").status == 200


def test_bytes_that_are_not_utf8_are_kept_visible(hcwatch, db, keys):
    """A rejection's detail quotes the Content-Type, which may hold bytes that are not UTF-8
    and bidi controls: stored and logged in a visible, escaped form, never dropped, never raw."""
    body = sim_body(keys.key, "--domain-id", "c1")
    ctype = b"text/\xff" + "\u202eplain".encode()
    with socket.create_connection(("127.0.0.1", hcwatch.port), timeout=30) as c:
        c.sendall(b"POST /huawei/bind HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Type: " + ctype + b"\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body.encode())
        assert c.recv(12) == b"HTTP/1.1 415"
    wait_until(lambda: db.scalar("SELECT count(*) FROM callback_events") == 1, 10, "the row")
    detail, stored_ctype = db.query("SELECT detail, content_type FROM callback_events")[0]
    assert "text/\\xFF\\u{202E}plain" in detail, detail
    assert stored_ctype == "text/\\xFF\\u{202E}plain", stored_ctype
    log = open(hcwatch.logpath, "rb").read()
    assert "text/\\xFF\\u{202E}plain" in log.decode("utf-8")   # valid UTF-8 throughout
    assert "\u202e".encode() not in log and b"\xff" not in log


def test_callback_payload_reads_any_body(make_hcwatch, db):
    """callback_payload() decodes a stored body as hcwatch does, and answers NULL, never an
    error, for what is not a bindRequest."""
    make_hcwatch(start=False)
    doc = {"domainId": "d1", "name": "客户 <b>&amp;\u200b~~~>>>???", "n": [1, 2]}
    b64 = base64.b64encode(json.dumps(doc, ensure_ascii=False).encode()).decode()
    assert "+" in b64 and "/" in b64
    quoted = urllib.parse.quote(b64, safe="")
    for form in (f"SigAlg=x&bindRequest={quoted}&Signature=s",   # percent escapes
                 f"bindRequest={b64}&SigAlg=x",                   # a raw '+' (a space in a form)
                 f"bindRequest={b64.replace('+', '%20')}"):       # an escaped space
        got = db.scalar("SELECT callback_payload(%s::bytea)", (form.encode(),))
        assert got["domainId"] == "d1" and got["name"] == doc["name"], form
    for junk in (b"", b"\xff\xfe\x00", b"bindRequest=", b"bindRequest=%%%41", b"bindRequest=!!",
                 b"bindRequest=" + base64.b64encode(b"[1,2"), b"xbindRequest=e30=",
                 b"bindRequest=" + base64.b64encode(b"\xff\xfe")):
        assert db.scalar("SELECT callback_payload(%s::bytea)", (junk,)) is None, junk
    assert db.scalar("SELECT callback_payload(NULL)") is None
