"""The HTTP ingress and the Flagright verifier against the real daemon (issue: the foundation)."""
import json
import os
import re
import signal
import socket
import threading
import time

import pytest

from harness import (OLD_SECRET, SECRET, Client, base_config, db_rows, event_body, events, flagright_sig, post,
                     request, signed_post)


def test_every_event_with_rotation_headers_is_accepted(hookd):
    for body, ev in events():
        # Flagright sends one signature per active secret during a rotation.
        r = post(hookd.port, body, secrets=(OLD_SECRET, SECRET))
        assert r.status == 200, (ev["type"], r.body)
        assert r.json() == {"status": "accepted", "id": ev["id"]}
        r = post(hookd.port, body, secrets=(OLD_SECRET,), header="x-webhook-signature")
        assert r.status == 200  # the same event again: absorbed by deduplication
        assert r.json() == {"status": "duplicate", "id": ev["id"]}
    hookd.wait_log(r'msg="event accepted"', count=len(events()))
    hookd.wait_log(r'msg="duplicate event absorbed"', count=len(events()))


def test_forged_truncated_and_unsigned_are_401_without_leaks(hookd):
    body, _ = events()[0]
    c = Client(hookd.port)
    forged = flagright_sig(body, "not-the-secret")
    cases = [
        request("POST", "/webhooks/flagright", body,
                {"Content-Type": "application/json", "x-flagright-signature": forged}),
        request("POST", "/webhooks/flagright", body[:-10],
                {"Content-Type": "application/json",
                 "x-flagright-signature": flagright_sig(body, SECRET)}),
        request("POST", "/webhooks/flagright", body, {"Content-Type": "application/json"}),
        request("POST", "/webhooks/flagright", body,
                {"Content-Type": "application/json", "x-flagright-signature": ""}),
        request("POST", "/webhooks/flagright", body,
                {"Content-Type": "application/json",
                 "x-flagright-signature": flagright_sig(body, SECRET)[:41]}),
    ]
    for raw in cases:
        r = c.exchange(raw)  # framing is intact: the same connection keeps working
        assert r.status == 401
        assert r.json() == {"status": "rejected", "error": "unauthorized"}
    assert c.exchange(signed_post(body)).status == 200
    c.close()
    hookd.stop()
    log = hookd.log()
    assert log.count('msg="signature rejected"') == len(cases)
    # The operator can tell a sender that did not sign (no header, an empty one) from one
    # that signs wrongly (another secret, a changed body, a truncated signature).
    assert log.count('reason="signature header missing: the sender did not sign') == 2
    assert log.count('reason="wrong signature: no configured secret matches') == 3
    for secret in (SECRET, OLD_SECRET):
        assert secret not in log
    assert forged not in log and flagright_sig(body, SECRET) not in log


@pytest.mark.parametrize("raw,status,allow", [
    (request("POST", "/nope", b"{}", {"Content-Type": "application/json"}), 404, None),
    (request("GET", "/webhooks/flagright"), 405, "POST"),
    (request("PUT", "/webhooks/flagright", b"{}", {"Content-Type": "application/json"}), 405, "POST"),
    (request("POST", "/webhooks/flagright", b"{}", {"Content-Type": "text/plain"}), 415, None),
    (b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n",
     411, None),
    (request("POST", "/webhooks/flagright", b"", {"Content-Type": "application/json",
                                                  "Content-Length": "2000000"}), 413, None),
])
def test_refused_before_the_body_and_closed(hookd, raw, status, allow):
    c = Client(hookd.port)
    r = c.exchange(raw)
    assert r.status == status
    assert r.headers.get("connection") == "close"
    if allow:
        assert r.headers["allow"] == allow
    assert c.closed_by_peer()


def test_a_body_without_content_type_is_judged_as_it_is(hookd):
    """A sender that sends no Content-Type is not refused: an event is accepted, a body that is
    not one is stored as invalid (200), as with a declared JSON type."""
    good = event_body("no-content-type-1")
    r = post(hookd.port, good, extra={"Content-Type": None})
    assert (r.status, r.json()) == (200, {"status": "accepted", "id": "no-content-type-1"})
    r = post(hookd.port, b"hello, not json", extra={"Content-Type": None})
    assert r.status == 200 and r.json() == {"status": "accepted"}
    hookd.wait_log(re.escape('msg="invalid event accepted" source=flagright reason='))
    rows = db_rows(hookd.dir / "var" / "hookd.db", "SELECT status FROM events ORDER BY id")
    assert rows == [("unrouted",), ("invalid",)]  # no plugin in this configuration


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "text/plain"])
def test_415_names_the_accepted_types_and_the_setting(hookd, ctype):
    """What curl -d sends, or any type outside the list: 415, and both the answer and the log
    line say what the source takes and which setting widens it."""
    r = post(hookd.port, event_body("wrong-type-" + ctype), extra={"Content-Type": ctype})
    assert r.status == 415
    assert r.json() == {"status": "rejected", "error": "unsupported media type",
                        "accepted": ["application/json"], "setting": "content_types"}
    hookd.wait_log(r'msg="content type not accepted" source=flagright .*content_type=%s '
                   r'accepted=application/json fix=.*content_types' % re.escape(ctype))


SMUGGLING = [
    ("cl+te", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
     b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("duplicate cl", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
     b"Content-Length: 2\r\n\r\n{}", 400),
    ("cl list", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\n{}", 400),
    ("cl plus", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\n{}", 400),
    ("space before colon", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\n"
     b"Content-Length : 2\r\n\r\n{}", 400),
    ("empty name", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\n: x\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("obs fold", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n"
     b"Content-Length: 2\r\n\r\n{}", 400),
    ("bare cr", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\rX: y\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("chunk size hex prefix", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: "
     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n", 400),
    ("chunk size overflow", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: "
     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n", 400),
    ("te not chunked", b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: "
     b"application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 501),
    ("http/2.0", b"POST /webhooks/flagright HTTP/2.0\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", 505),
    ("no host", b"POST /webhooks/flagright HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
]


@pytest.mark.parametrize("name,raw,status", SMUGGLING, ids=[s[0] for s in SMUGGLING])
def test_smuggling_shapes_refused_and_closed(hookd, name, raw, status):
    c = Client(hookd.port)
    body, _ = events()[0]
    # A genuine request after the bad one on the same connection must never be answered.
    c.send(raw + signed_post(body))
    r = c.read_response()
    assert r.status == status, name
    assert r.headers.get("connection") == "close"
    assert c.closed_by_peer()
    assert c.buf == b"", "a request smuggled after the refused one was answered"


def test_oversize_headers_431(hookd):
    c = Client(hookd.port)
    r = c.exchange(request("POST", "/webhooks/flagright", b"{}",
                           {"Content-Type": "application/json", "X-Big": "x" * 20000}))
    assert r.status == 431
    assert c.closed_by_peer()


def test_oversize_chunked_body_413(make_hookd):
    conf = base_config(limits={"max_body_bytes": 1000})
    d = make_hookd(conf)
    c = Client(d.port)
    chunk = b"x" * 600
    raw = (b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + (b"258\r\n" + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    r = c.exchange(raw)
    assert r.status == 413
    assert c.closed_by_peer()


def test_chunked_body_is_verified_on_its_bytes(hookd):
    body, ev = events()[1]
    half = len(body) // 2
    raw = (b"POST /webhooks/flagright HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
           b"x-flagright-signature: " + flagright_sig(body, SECRET).encode() +
           b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
           b"%x\r\n" % half + body[:half] + b"\r\n" +
           b"%x\r\n" % (len(body) - half) + body[half:] + b"\r\n0\r\n\r\n")
    r = Client(hookd.port).exchange(raw)
    assert r.status == 200 and r.json()["id"] == ev["id"]


def test_expect_100_continue(hookd):
    body, _ = events()[0]
    c = Client(hookd.port)
    head, payload = signed_post(body, extra={"Expect": "100-continue"}).split(b"\r\n\r\n", 1)
    c.send(head + b"\r\n\r\n")
    interim = c.read_response()
    assert interim.status == 100
    c.send(payload)
    assert c.read_response().status == 200


def test_keep_alive_1000_requests_one_connection(hookd):
    evs = events()
    c = Client(hookd.port)
    for i in range(1000):
        body, ev = evs[i % len(evs)]
        r = c.exchange(signed_post(body))
        assert r.status == 200 and r.json()["id"] == ev["id"]
        assert "connection" not in r.headers
    c.close()


def test_pipelined_requests_answered_in_order(hookd):
    evs = events()
    c = Client(hookd.port)
    c.send(b"".join(signed_post(body) for body, _ in evs))
    ids = [c.read_response().json()["id"] for _ in evs]
    assert ids == [ev["id"] for _, ev in evs]


def test_genuine_but_invalid_body_is_accepted_and_logged(hookd):
    for body, reason in [(b'{"type":"CASE_CLOSED","createdTimestamp":1}', "id (/id) is missing"),
                         (b'{"id":"x","type":"T","createdTimestamp":1', "body is not valid JSON"),
                         (b'not json', "body is not valid JSON")]:
        r = post(hookd.port, body)
        assert r.status == 200
        assert r.json()["status"] == "accepted"
        hookd.wait_log(re.escape('msg="invalid event accepted" source=flagright reason="%s' % reason))


def test_slowloris_is_cut_off_while_others_are_served(make_hookd):
    conf = base_config(limits={"header_timeout_ms": 600, "body_timeout_ms": 600})
    d = make_hookd(conf)
    body, ev = events()[0]
    slow = Client(d.port)
    slow_body = Client(d.port)
    raw = signed_post(body)
    head_end = raw.index(b"\r\n\r\n") + 4
    slow_body.send(raw[:head_end] + body[:10])  # head complete, body trickles
    answered = []
    # The slow client dribbles one header byte every 100 ms; a normal client keeps working.
    for i in range(12):
        try:
            slow.send(raw[i:i + 1])
        except OSError:
            break
        answered.append(post(d.port, body).status)
        time.sleep(0.1)
    assert answered and all(s == 200 for s in answered)
    r = slow.read_response()
    assert r.status == 408 and slow.closed_by_peer()
    r = slow_body.read_response()
    assert r.status == 408 and slow_body.closed_by_peer()


def test_idle_connection_closed_silently(make_hookd):
    d = make_hookd(base_config(limits={"idle_timeout_ms": 300, "header_timeout_ms": 300}))
    c = Client(d.port)
    assert c.closed_by_peer(timeout=5)  # never sent a byte: no 408, just closed
    assert c.buf == b""


def test_each_phase_keeps_its_own_deadline_on_a_kept_alive_connection(make_hookd):
    """One deadline per connection, moved by each phase (head, body, idle) and its timer
    re-armed lazily: a connection idle for longer than the header timeout (but not the idle
    one) is still open for its next request, and that request's head, when it stalls, gets
    its 408 from the header timeout, not the idle one."""
    d = make_hookd(base_config(limits={"idle_timeout_ms": 20000, "header_timeout_ms": 300}))
    body, _ = events()[0]
    c = Client(d.port)
    for _ in range(2):
        c.send(signed_post(body))
        assert c.read_response().status == 200
        time.sleep(1)  # past the header timeout, three times over: idle, still open
    raw = signed_post(body)
    c.send(raw[:20])  # a head that stalls
    r = c.read_response()
    assert r.status == 408 and c.closed_by_peer()


def test_sigterm_during_load_loses_no_answered_request(hookd):
    answered, errors = [], []
    stop = threading.Event()

    def worker(n):
        try:
            c = Client(hookd.port)
            i = 0
            while not stop.is_set() and i < 2000:
                body = json.dumps({"id": "w%d-%d" % (n, i), "type": "CASE_CLOSED", "data": {},
                                   "createdTimestamp": 1}).encode()
                c.send(signed_post(body))
                try:
                    r = c.read_response()
                except (ConnectionError, OSError):
                    return  # closed by the drain: that request was never answered
                assert r.status == 200
                answered.append(r.json()["id"])
                if r.headers.get("connection") == "close":
                    return
                i += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    hookd.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(30)
    stop.set()
    assert hookd.proc.wait(30) == 0
    assert not errors, errors
    assert len(answered) > 50
    log = hookd.log()
    for i in answered:  # every answered event was fully accepted before its answer
        assert 'id=%s type=CASE_CLOSED' % i in log
    assert "hookd stopped" in log


def test_connection_refused_after_stop(hookd):
    hookd.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", hookd.port), timeout=2)


def closed_first_on(port):
    """Connections in FIN_WAIT2 or TIME_WAIT whose local port is `port`: hookd closed them."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state in ("05", "06") and int(local.split(":")[1], 16) == port:
                    n += 1
    return n


def test_restart_on_the_same_port_while_old_connections_linger(make_hookd):
    d = make_hookd()
    port = d.port
    clients = [Client(port) for _ in range(4)]
    for i, c in enumerate(clients):
        body = json.dumps({"id": "tw-%d" % i, "type": "CASE_CLOSED", "createdTimestamp": 1}).encode()
        assert c.exchange(signed_post(body)).status == 200
    assert d.stop() == 0  # hookd closes the idle keep-alive connections itself
    for c in clients:
        c.close()
    assert closed_first_on(port) > 0, "the test needs connections that linger on the port"
    conf = base_config(listen=[{"address": "127.0.0.1:%d" % port}])
    d.write_config(conf)
    d.start()
    assert d.port == port
    body = json.dumps({"id": "tw-after", "type": "CASE_CLOSED", "createdTimestamp": 1}).encode()
    assert post(port, body).status == 200


def check_thread_count(pid):
    """Threads that have checked a large body (each names itself hookd-check then)."""
    n = 0
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, task)) as f:
            n += f.read().strip() == "hookd-check"
    return n


def large_event(i, pad=12000):
    return json.dumps({"id": "big-%d" % i, "type": "CASE_CLOSED", "createdTimestamp": 1,
                       "data": {"note": "\u00e9x" * (pad // 3), "seq": i}}).encode()


def test_large_bodies_are_checked_on_the_check_threads(make_hookd):
    d = make_hookd(base_config(check_threads=3))
    small = json.dumps({"id": "small", "type": "CASE_CLOSED", "createdTimestamp": 1}).encode()
    assert post(d.port, small).status == 200
    assert check_thread_count(d.proc.pid) == 0  # small bodies are checked on the loop

    c = Client(d.port)  # pipelined large events: answered in order, each with its own id
    c.send(b"".join(signed_post(large_event(i)) for i in range(12)))
    for i in range(12):
        r = c.read_response()
        assert (r.status, r.json()) == (200, {"status": "accepted", "id": "big-%d" % i})
    assert 1 <= check_thread_count(d.proc.pid) <= 3

    body = large_event(100)
    forged = request("POST", "/webhooks/flagright", body,
                     {"Content-Type": "application/json",
                      "x-flagright-signature": flagright_sig(body, "not-the-secret")})
    r = c.exchange(forged)
    assert r.status == 401 and r.json() == {"status": "rejected", "error": "unauthorized"}
    truncated = large_event(101)[:-1]  # genuine, but not JSON: accepted and kept as invalid
    r = c.exchange(signed_post(truncated))
    assert r.status == 200 and r.json() == {"status": "accepted"}
    assert c.exchange(signed_post(large_event(0))).json() == {"status": "duplicate",
                                                             "id": "big-0"}
    c.close()
    d.wait_log(re.escape('msg="invalid event accepted" source=flagright '
                         'reason="body is not valid JSON'))
    d.stop()
    log = d.log()
    for i in range(12):
        assert "id=big-%d type=CASE_CLOSED" % i in log
    assert log.count('msg="signature rejected"') == 1
    assert "id=big-100" not in log
