"""Connection floods against the real daemon (issue #15): the open-file limit caps
max_connections, idle connections are evicted (oldest first) to let a genuine sender in, the
refusals are logged at most once a second, and max_connections_per_ip caps one address."""
import os
import re
import resource
import socket
import time
import urllib.request

from harness import Client, base_config, event_body, signed_post, wait_for

LIMIT = 1024  # the common default soft limit (systemd's too)


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def idle_connections(port, n):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        conns.append(s)
    return conns


def closed_by_hookd(s, timeout=10):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def test_flood_of_idle_connections_does_not_shut_senders_out(make_hookd):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # 20,000 idle connections, or as many as this process may hold (some descriptors spare).
    n = min(20000, hard - 256)
    d = make_hookd(base_config(log={"level": "info", "access": False}), start=False)
    d.preexec = low_nofile
    d.start()
    # max_connections (10,000 by default) cannot fit in 1024 descriptors: capped, and said.
    m = re.search(r'msg="max_connections is more than the open-file limit allows: capped" '
                  r'max_connections=10000 capped_at=(\d+)', d.log())
    assert m, d.log()
    cap = int(m.group(1))
    assert cap == LIMIT - 256
    started = time.time()
    assert n > 3 * cap, "raise the hard open-file limit of the test to hold the flood"
    flood = idle_connections(d.port, n)  # many times what fits, all idle
    for i in range(20):  # genuine senders get through: the oldest idle ones make room
        r = Client(d.port).exchange(signed_post(event_body("flood-%d" % i)))
        assert r.status == 200, r.body
    health = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % d.admin_port, timeout=10)
    assert health.status == 200  # the admin API is not counted against the cap
    assert closed_by_hookd(flood[0])  # the oldest were closed
    elapsed = time.time() - started
    for s in flood:
        s.close()
    d.stop()
    log = d.log()
    assert "accept failed" not in log  # the cap keeps hookd from running out of descriptors
    lines = log.count('msg="max_connections reached: closing the oldest idle connection')
    loops = d.config["io_threads"]
    assert 1 <= lines <= loops * (elapsed + 2), (lines, elapsed)  # a line a second per loop
    assert int(re.findall(r"not_logged_since_last=(\d+)", log)[-1]) >= 0


def accepted(port, eid):
    try:
        return Client(port).exchange(signed_post(event_body(eid))).status == 200
    except (OSError, ValueError):
        return False


def test_max_connections_per_ip(make_hookd):
    d = make_hookd(base_config(limits={"max_connections_per_ip": 5}))
    held = idle_connections(d.port, 5)
    sixth = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    assert closed_by_hookd(sixth)
    d.wait_log(r'msg="connection refused: its address holds max_connections_per_ip" '
               r'peer=127.0.0.1 max_connections_per_ip=5')
    held.pop().close()  # hookd notices the close a moment later: until then, still refused
    wait_for(lambda: accepted(d.port, "per-ip-1"), what="a connection once one was closed")
    for s in held:
        s.close()


def test_trusted_proxies_are_exempt_from_the_per_ip_cap(make_hookd):
    d = make_hookd(base_config(limits={"max_connections_per_ip": 2},
                               trusted_proxies=["127.0.0.1"]))
    held = idle_connections(d.port, 4)
    r = Client(d.port).exchange(signed_post(event_body("proxy-1")))
    assert r.status == 200
    for s in held:
        s.close()


def test_out_of_descriptors_the_loops_keep_serving_and_recover(make_hookd):
    """When hookd does run out of descriptors (its limit lowered under it), a listener stops
    accepting for a moment instead of spinning in the accept loop: connections already open
    on every loop are still answered, the line is not repeated, and once descriptors are
    free again new connections are accepted."""
    d = make_hookd(base_config(log={"level": "info", "access": False}))
    held = [Client(d.port) for _ in range(8)]  # spread over both loops
    for i, c in enumerate(held):
        assert c.exchange(signed_post(event_body("before-%d" % i))).status == 200
    before = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
    nfd = len(os.listdir("/proc/%d/fd" % d.proc.pid))
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (nfd + 4, before[1]))
    flood = idle_connections(d.port, 60)
    # Out of descriptors now. (libuv first tries its own reserve descriptor, which accepts
    # and closes what waits; when another thread took the descriptor it freed, every accept
    # comes back EMFILE and the listener pauses: which of the two happens varies.)
    wait_for(lambda: len(os.listdir("/proc/%d/fd" % d.proc.pid)) >= nfd + 3, 30,
             "hookd to reach its lowered open-file limit")
    for i, c in enumerate(held):  # a loop spinning on accept would answer none of these
        assert c.exchange(signed_post(event_body("during-%d" % i))).status == 200
    for s in flood:
        s.close()
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, before)
    wait_for(lambda: accepted(d.port, "after-1"), what="a new connection accepted again")
