"""hcwatch-sim serve, checked with a signer written apart from hcwatch's (section 6 of the API notes)."""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import urllib.parse

import pytest

from harness import SIM_AK, SIM_SK, HuaweiSim


def signed_call(sim, method, path, body=None, sk=SIM_SK, date=None, query=""):
    data = json.dumps(body).encode() if body is not None else b""
    date = date or dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    host = f"127.0.0.1:{sim.port}"
    canonical_uri = "/".join(urllib.parse.quote(p, safe="-_.~") for p in path.split("/"))
    if not canonical_uri.endswith("/"):
        canonical_uri += "/"
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}="
                               f"{urllib.parse.quote(v, safe='-_.~')}" for k, v in pairs)
    headers = {"Content-Type": "application/json", "Host": host, "X-Sdk-Date": date}
    signed = "content-type;host;x-sdk-date"
    canonical = "\n".join([method, canonical_uri, canonical_query,
                           "".join(f"{k.lower()}:{headers[k]}\n" for k in sorted(headers, key=str.lower)),
                           signed, hashlib.sha256(data).hexdigest()])
    sts = "SDK-HMAC-SHA256\n" + date + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"SDK-HMAC-SHA256 Access={SIM_AK}, SignedHeaders={signed}, Signature={sig}"
    c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
    try:
        c.request(method, path + (f"?{query}" if query else ""), body=data or None, headers=headers)
        r = c.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None), dict(r.getheaders())
    finally:
        c.close()


@pytest.fixture
def sim(workdir):
    s = HuaweiSim(workdir, "--customers", "20", "--resources-per", "1", "--rate", "50")
    yield s
    s.stop()


def test_an_independent_signer_is_accepted_and_a_wrong_one_refused(sim):
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/query", {"limit": 2},
                              query="b=2&a=%E4%B8%80")
    assert st == 200 and body["count"] == 20 and len(body["customer_infos"]) == 2
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/query", {}, sk="wrong")
    assert st == 401 and body["error_code"] == "APIGW.0301"
    stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/query", {}, date=stale)
    assert st == 401 and "15 minutes" in body["error_message"]
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/query", {"limit": 101})
    assert st == 400 and body["error_code"] == "CBC.0101"
    st, body, _ = signed_call(sim, "POST", "/v2/no/such/api", {})
    assert st == 404 and body["error_code"] == "APIGW.0101"
    assert sim.stats()["auth_failures"] == 2


def test_registration_apis(sim):
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/users/check-identity",
                              {"search_type": "name", "search_value": "customer00001"})
    assert (st, body["check_result"]) == (200, "used_by_user")
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/users/check-identity",
                              {"search_type": "name", "search_value": "newcomer"})
    assert (st, body["check_result"]) == (200, "available")
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/users/check-identity",
                              {"search_type": "name", "search_value": "12345"})
    assert st == 400
    st, _, _ = signed_call(sim, "POST", "/v2/bases/verificationcode/send",
                           {"receiver_type": 1, "mobile_phone": "13800000000"})
    assert st == 204
    new = {"xaccount_id": "x-new", "xaccount_type": "partner_platform", "domain_name": "newcomer",
           "mobile_phone": "13800000000"}
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers",
                              dict(new, verification_code="000000"))
    assert (st, body["error_code"]) == (400, "CBC.99004010")
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers",
                              dict(new, verification_code="123456"))
    assert st == 200 and body["domain_name"] == "newcomer"
    new_id = body["domain_id"]
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers",
                              dict(new, verification_code="123456"))
    assert (st, body["error_code"]) == (400, "CBC.99000038")
    st, body, _ = signed_call(sim, "POST", "/v2/partners/sub-customers/query",
                              {"customer_id": new_id})
    assert body["count"] == 1 and body["customer_infos"][0]["xaccount_id"] == "x-new"


def test_customer_balance_needs_the_customers_own_token(sim):
    st, body, _ = signed_call(sim, "GET", "/v2/accounts/customer-accounts/balances")
    assert (st, body["error_code"]) == (403, "CBC.0151")
    referral = next(c for c in sim.dataset()["customers"]
                    if c["association_type"] == "1" and c.get("agency", True))
    without = next(c for c in sim.dataset()["customers"] if c.get("agency", True) is False)

    def iam(payload, token=None):
        c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
        h = {"Content-Type": "application/json"}
        if token:
            h["X-Auth-Token"] = token
        c.request("POST", "/v3/auth/tokens", body=json.dumps(payload), headers=h)
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("X-Subject-Token")
    st, partner = iam({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "hcwatch", "password": "hcwatch-sim-password", "domain": {"name": "partner-demo"}}}},
        "scope": {"domain": {"name": "partner-demo"}}}})
    assert st == 201 and partner
    st, _ = iam({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "hcwatch", "password": "wrong", "domain": {"name": "partner-demo"}}}}}})
    assert st == 401
    # Only where the customer created the agency, under the platform's xAccountType.
    for domain, agency in ((without["account_name"], "partner_platform"),
                           (referral["account_name"], "another_platform")):
        st, _ = iam({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
            "domain_name": domain, "agency_name": agency}}}}, partner)
        assert st == 403, (domain, agency)
    st, customer = iam({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
        "domain_name": referral["account_name"], "agency_name": "partner_platform"}}}}, partner)
    assert st == 201
    c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
    c.request("GET", "/v2/accounts/customer-accounts/balances", headers={"X-Auth-Token": customer})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200 and body["account_balances"][0]["account_id"] == referral["customer_id"]
