"""Every sender's scheme against the real daemon, signed by an independent implementation
(Python's hmac), plus IP allowlists with the PROXY protocol and trusted proxies."""
import base64
import hashlib
import hmac
import json
import sqlite3
import struct
import time
import urllib.request
import uuid

import pytest

from harness import Client, base_config, request

STDWH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STRIPE_SECRET = "whsec_test_secret"
GITHUB_SECRET = "It's a Secret to Everybody"
SHOPIFY_SECRET = "test-webhook-secret"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
HMAC_SECRET = "generic-secret"


# Past the default 300 s window by a margin: hookd reads the time with time(2), which is the
# kernel's coarse clock and may still show the previous second for a tick after Python's
# precise clock has moved on (the exact boundary is covered by tests/unit/test_verify.c).
STALE_S = 305


def src(name, path, verify, **extra):
    s = {"name": name, "path": path, "verify": verify}
    s.update(extra)
    return s


SOURCES = [
    src("stdwh", "/wh/std", {"scheme": "standard-webhooks", "secrets": [{"value": STDWH_SECRET}]}),
    src("stripe", "/wh/stripe", {"scheme": "stripe", "secrets": [{"value": STRIPE_SECRET}]}),
    src("github", "/wh/github", {"scheme": "github", "secrets": [{"value": GITHUB_SECRET}]}),
    src("shopify", "/wh/shopify", {"scheme": "shopify", "secrets": [{"value": SHOPIFY_SECRET}]}),
    src("slack", "/wh/slack", {"scheme": "slack", "secrets": [{"value": SLACK_SECRET}]}),
    src("generic", "/wh/generic", {"scheme": "hmac", "secrets": [{"value": HMAC_SECRET}],
                                   "header": "x-signature", "prefix": "sha512=",
                                   "encoding": "base64", "algorithm": "sha512",
                                   "signed": "{header:x-timestamp}.{body}",
                                   "timestamp_header": "x-timestamp"},
        event={"id": "header:x-event-id", "type": "/kind"}),
    src("open", "/wh/open", {"scheme": "none"}, allow=["127.0.0.1"],
        event={"id": "/id", "type": "/type"}),
    src("flagright-ips", "/wh/fr-ips", {"scheme": "flagright", "secrets": [{"value": "s3"}]},
        allow=["flagright-us", "2001:db8::/32"]),
    src("proxied", "/wh/proxied", {"scheme": "flagright", "secrets": [{"value": "s3"}]},
        allow=["203.0.113.0/24"], trusted_proxies=["127.0.0.1/32", "10.0.0.0/8"]),
    src("direct", "/wh/direct", {"scheme": "flagright", "secrets": [{"value": "s3"}]},
        allow=["203.0.113.0/24"]),
]


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    from harness import Hookd
    conf = base_config(listen=[{"address": "127.0.0.1:0"},
                               {"address": "127.0.0.1:0", "proxy_protocol": True}])
    conf["sources"] += SOURCES
    h = Hookd(tmp_path_factory.mktemp("senders"), conf).start()
    assert len(h.ports) == 2
    yield h
    h.stop()


def send(port, path, body, headers, ctype="application/json", prefix=b""):
    h = {"Content-Type": ctype}
    h.update(headers)
    c = Client(port)
    try:
        return c.exchange(prefix + request("POST", path, body, h))
    finally:
        c.close()


def hexmac(key, msg, algo=hashlib.sha256):
    return hmac.new(key if isinstance(key, bytes) else key.encode(), msg, algo).hexdigest()


def b64mac(key, msg, algo=hashlib.sha256):
    k = key if isinstance(key, bytes) else key.encode()
    return base64.b64encode(hmac.new(k, msg, algo).digest()).decode()


def event_body(**kw):
    e = {"id": "evt_" + uuid.uuid4().hex, "type": "invoice.paid", "created": int(time.time())}
    e.update(kw)
    return json.dumps(e).encode()


# ---- Standard Webhooks / Svix ----

def stdwh_headers(body, ts=None, msg_id=None, prefix="webhook", secret=STDWH_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    msg_id = msg_id or "msg_" + uuid.uuid4().hex
    key = base64.b64decode(secret[len("whsec_"):])
    sig = b64mac(key, b"%s.%s.%s" % (msg_id.encode(), ts.encode(), body))
    return {prefix + "-id": msg_id, prefix + "-timestamp": ts,
            prefix + "-signature": "v2,bogus v1," + sig}


def test_standard_webhooks(d):
    body = event_body()
    r = send(d.port, "/wh/std", body, stdwh_headers(body))
    assert r.status == 200 and r.json()["id"] == json.loads(body)["id"]
    assert send(d.port, "/wh/std", body, stdwh_headers(body, prefix="svix")).status == 200
    old = int(time.time()) - STALE_S
    assert send(d.port, "/wh/std", body, stdwh_headers(body, ts=old)).status == 401
    assert send(d.port, "/wh/std", body + b" ", stdwh_headers(body)).status == 401
    wrong = "whsec_" + base64.b64encode(b"another key entirely").decode()
    assert send(d.port, "/wh/std", body, stdwh_headers(body, secret=wrong)).status == 401


def test_standard_webhooks_id_from_header_when_body_has_none(d):
    body = json.dumps({"type": "user.created", "data": {}}).encode()
    h = stdwh_headers(body, msg_id="msg_from_header_1")
    r = send(d.port, "/wh/std", body, h)
    assert r.json() == {"status": "accepted", "id": "msg_from_header_1"}


# ---- Stripe ----

def stripe_header(body, ts=None, secret=STRIPE_SECRET):
    ts = int(time.time()) if ts is None else ts
    return {"Stripe-Signature": "t=%d,v1=%s,v0=ignored" % (ts, hexmac(secret, b"%d.%s" % (ts, body)))}


def test_stripe(d):
    body = event_body()
    assert send(d.port, "/wh/stripe", body, stripe_header(body)).status == 200
    assert send(d.port, "/wh/stripe", body, stripe_header(body, ts=int(time.time()) - 400)).status == 401
    assert send(d.port, "/wh/stripe", body, stripe_header(body, secret="whsec_other")).status == 401
    assert send(d.port, "/wh/stripe", body.replace(b"paid", b"void"), stripe_header(body)).status == 401


# ---- GitHub ----

def test_github(d):
    body = json.dumps({"action": "opened", "number": 1}).encode()
    delivery = str(uuid.uuid4())
    h = {"X-Hub-Signature-256": "sha256=" + hexmac(GITHUB_SECRET, body),
         "X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery}
    r = send(d.port, "/wh/github", body, h)
    assert r.json() == {"status": "accepted", "id": delivery}
    h["X-Hub-Signature-256"] = hexmac(GITHUB_SECRET, body)  # prefix missing
    assert send(d.port, "/wh/github", body, h).status == 401
    h["X-Hub-Signature-256"] = "sha256=" + hexmac("wrong", body)
    assert send(d.port, "/wh/github", body, h).status == 401
    d.wait_log(r'msg="event accepted" source=github id=%s type=pull_request' % delivery)


# ---- Shopify ----

def test_shopify(d):
    body = json.dumps({"id": 820982911946154508, "email": "jon@example.com"}).encode()
    wid = str(uuid.uuid4())
    h = {"X-Shopify-Hmac-Sha256": b64mac(SHOPIFY_SECRET, body), "X-Shopify-Topic": "orders/create",
         "X-Shopify-Webhook-Id": wid}
    assert send(d.port, "/wh/shopify", body, h).json() == {"status": "accepted", "id": wid}
    h["X-Shopify-Hmac-Sha256"] = b64mac("wrong", body)
    assert send(d.port, "/wh/shopify", body, h).status == 401


# ---- Slack ----

def slack_headers(body, ts=None, secret=SLACK_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + hexmac(secret, b"v0:%s:%s" % (ts.encode(), body))}


def test_slack_json_and_form(d):
    body = json.dumps({"type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex,
                       "event": {"type": "app_mention"}, "event_time": int(time.time())}).encode()
    assert send(d.port, "/wh/slack", body, slack_headers(body)).status == 200
    form = b"command=%2Fdeploy&text=prod&trigger_id=13345224609.738474920.8088930838d88f008e0"
    r = send(d.port, "/wh/slack", form, slack_headers(form), "application/x-www-form-urlencoded")
    assert r.json() == {"status": "accepted", "id": "13345224609.738474920.8088930838d88f008e0"}
    d.wait_log(r'source=slack id=13345224609.738474920.8088930838d88f008e0 type=/deploy')
    stale = slack_headers(form, ts=int(time.time()) - STALE_S)
    assert send(d.port, "/wh/slack", form, stale, "application/x-www-form-urlencoded").status == 401


def test_slack_url_verification_answered_not_stored(d):
    """Slack enables a Request URL only when the signed url_verification request is answered
    with its challenge; the handshake is not an event, so nothing of it is stored."""
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" + uuid.uuid4().hex
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge,
                       "type": "url_verification"}).encode()
    r = send(d.port, "/wh/slack", body, slack_headers(body))
    assert r.status == 200
    assert r.json() == {"challenge": challenge}
    d.wait_log(r'msg="sender handshake answered, nothing stored" source=slack scheme=slack')
    # Only after the signature: a forged or stale handshake gets 401 and no challenge.
    forged = slack_headers(body, secret="not-the-signing-secret")
    r = send(d.port, "/wh/slack", body, forged)
    assert r.status == 401 and challenge.encode() not in r.body
    stale = slack_headers(body, ts=int(time.time()) - STALE_S)
    assert send(d.port, "/wh/slack", body, stale).status == 401
    metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port).read().decode()
    assert 'hookd_events_total{source="slack",outcome="handshake"} 1' in metrics
    con = sqlite3.connect("file:%s?mode=ro" % (d.dir / "var" / "hookd.db"), uri=True)
    try:
        rows = con.execute("SELECT count(*) FROM events WHERE source = 'slack' AND "
                           "CAST(body AS TEXT) LIKE ?", ("%" + challenge + "%",)).fetchone()
    finally:
        con.close()
    assert rows == (0,)


# ---- generic HMAC ----

def generic_headers(body, ts=None, secret=HMAC_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    sig = b64mac(secret, ts.encode() + b"." + body, hashlib.sha512)
    return {"x-timestamp": ts, "x-signature": "sha512=" + sig, "x-event-id": uuid.uuid4().hex}


def test_generic_hmac(d):
    body = json.dumps({"kind": "thing.done"}).encode()
    assert send(d.port, "/wh/generic", body, generic_headers(body)).status == 200
    assert send(d.port, "/wh/generic", body, generic_headers(body, ts=int(time.time()) - 1000)).status == 401
    assert send(d.port, "/wh/generic", body, generic_headers(body, secret="nope")).status == 401


def test_none_needs_allowlist_and_accepts_allowed(d):
    body = json.dumps({"id": "n1", "type": "ping"}).encode()
    assert send(d.port, "/wh/open", body, {}).status == 200


def test_none_without_allowlist_refused_by_check(tmp_path):
    from harness import Hookd
    conf = base_config()
    conf["sources"].append(src("open", "/o", {"scheme": "none"}))
    rc, out = Hookd(tmp_path, conf).check()
    assert rc == 1 and 'scheme "none" accepts anyone' in out


# ---- allowlists, PROXY protocol, X-Forwarded-For ----

def proxy_v1(client, port=40000):
    fam = "TCP6" if ":" in client else "TCP4"
    dst = "::1" if fam == "TCP6" else "127.0.0.1"
    return ("PROXY %s %s %s %d 443\r\n" % (fam, client, dst, port)).encode()


def proxy_v2(client):
    import socket
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    src_b = socket.inet_aton(client)
    addrs = src_b + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 40000, 443)
    return sig + bytes([0x21, 0x11]) + struct.pack("!H", len(addrs)) + addrs


def fr_signed(body, secret="s3"):
    return {"x-flagright-signature": hexmac(secret, body)}


def fr_body():
    return json.dumps({"id": uuid.uuid4().hex, "type": "CASE_CLOSED", "data": {},
                       "createdTimestamp": 1}).encode()


@pytest.mark.parametrize("client,status", [
    ("35.155.123.185", 200),  # a Flagright US sender address: preset "flagright-us"
    ("3.67.28.78", 403),      # Flagright EU: not in the US preset
    ("192.0.2.7", 403),
    ("2001:db8::5", 200),
    ("2001:db9::5", 403),
])
def test_allowlist_through_proxy_protocol_v1(d, client, status):
    body = fr_body()
    r = send(d.ports[1], "/wh/fr-ips", body, fr_signed(body), prefix=proxy_v1(client))
    assert r.status == status


def test_allowlist_through_proxy_protocol_v2(d):
    body = fr_body()
    assert send(d.ports[1], "/wh/fr-ips", body, fr_signed(body),
                prefix=proxy_v2("35.155.123.185")).status == 200
    assert send(d.ports[1], "/wh/fr-ips", body, fr_signed(body),
                prefix=proxy_v2("192.0.2.1")).status == 403


def test_denied_before_the_body_is_read(d):
    c = Client(d.ports[1])
    head = proxy_v1("192.0.2.7") + request("POST", "/wh/fr-ips", b"", {
        "Content-Type": "application/json", "Content-Length": "100000"})
    r = c.exchange(head)  # no body sent at all: the answer comes anyway
    assert r.status == 403 and c.closed_by_peer()


def test_listener_requires_proxy_header(d):
    body = fr_body()
    c = Client(d.ports[1])
    c.send(request("POST", "/wh/fr-ips", body, {"Content-Type": "application/json"}))
    assert c.closed_by_peer() and c.buf == b""


@pytest.mark.parametrize("xff,status", [
    ("203.0.113.5", 200),
    ("1.2.3.4, 203.0.113.5", 200),          # rightmost untrusted entry is the client
    ("203.0.113.5, 1.2.3.4", 403),          # a spoofed leftmost entry never wins
    ("203.0.113.5, 10.1.2.3", 200),         # trusted hops are skipped
    ("203.0.113.9, 10.1.2.3, 10.9.9.9", 200),
    ("garbage", 400),
])
def test_trusted_proxy_forwarded_for(d, xff, status):
    body = fr_body()
    h = fr_signed(body)
    h["X-Forwarded-For"] = xff
    assert send(d.port, "/wh/proxied", body, h).status == status


def test_forged_forwarded_for_from_untrusted_peer_is_ignored(d):
    body = fr_body()
    h = fr_signed(body)
    h["X-Forwarded-For"] = "203.0.113.5"
    assert send(d.port, "/wh/direct", body, h).status == 403  # peer 127.0.0.1 is the client
