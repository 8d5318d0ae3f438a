"""Plugins and routing against the real daemon: every event reaches exactly the instances that
subscribe to it, and a stuck plugin delays neither other plugins nor the HTTP answers."""
import json
import time

from harness import Client, base_config, db_rows, events, fixture, signed_post


def recorder(name, path, **kw):
    conf = {"plugin": fixture("recorder"), "name": name, "config": {"path": str(path)}}
    conf.update(kw)
    return conf


def wait_lines(path, count, limit=30):
    deadline = time.time() + limit  # a bound on waiting, not a speed requirement
    while time.time() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return path.read_text().splitlines()
        time.sleep(0.05)
    raise AssertionError("%s: fewer than %d lines:\n%s" % (path, count,
                         path.read_text() if path.exists() else "(missing)"))


def test_every_event_reaches_exactly_its_subscribers(make_hookd, tmp_path):
    rec = tmp_path / "rec.txt"
    conf = base_config()
    conf["sources"].append({"name": "other", "path": "/other",
                            "verify": {"scheme": "flagright", "secrets": [{"value": "o"}]}})
    plugins = {
        "10-all.json": recorder("all", rec),
        "20-cases.json": {"plugin": fixture("case_only"), "name": "cases"},
        "30-closed.json": recorder("closed", rec, events=["CASE_CLOSED"]),
        "40-users.json": recorder("users", rec, events=["USER_*"], sources=["flagright"]),
        "50-other.json": recorder("other_only", rec, sources=["other"]),
    }
    d = make_hookd(conf, plugins)
    evs = events()
    c = Client(d.port)
    for body, _ in evs:
        assert c.exchange(signed_post(body)).status == 200
    expected = {}
    for _, ev in evs:
        t = ev["type"]
        want = {"all"}
        if t.startswith("CASE_"):
            want.add("cases")
        if t == "CASE_CLOSED":
            want.add("closed")
        if t.startswith("USER_"):
            want.add("users")
        expected[ev["id"]] = want
    total = sum(len(w) for w in expected.values())
    recorded = sum(len(w - {"cases"}) for w in expected.values())
    lines = wait_lines(rec, recorded)
    got = {}
    for line in lines:
        inst, eid, _typ, attempt = line.split()[:4]
        got.setdefault(eid, set()).add(inst)
        assert attempt == "1"
    for eid, want in expected.items():
        assert got.get(eid, set()) == want - {"cases"}, eid
    rows = db_rows(d.dir / "var" / "hookd.db", "SELECT e.event_id, d.instance FROM deliveries d JOIN events e "
                      "ON e.id = d.event")
    by_event = {}
    for eid, inst in rows:
        by_event.setdefault(eid, set()).add(inst)
    assert by_event == {k: v for k, v in expected.items()}
    assert len(rows) == total
    # the unknown type reached only the "*" subscriber
    unknown = [ev["id"] for _, ev in evs if ev["type"] == "SOME_FUTURE_EVENT_TYPE"]
    assert unknown and expected[unknown[0]] == {"all"}


def test_stuck_plugin_delays_no_one(make_hookd, tmp_path):
    rec = tmp_path / "rec.txt"
    plugins = {
        "10-stuck.json": {"plugin": fixture("slow"), "name": "stuck", "concurrency": 1,
                          "queue_max": 2, "timeout_ms": 500, "config": {"sleep_ms": 4000}},
        "20-rec.json": recorder("rec", rec),
    }
    conf = base_config(shutdown_timeout_ms=1000)
    d = make_hookd(conf, plugins)
    c = Client(d.port)
    n = 40
    for i in range(n):
        body = json.dumps({"id": "s%d" % i, "type": "CASE_CLOSED", "data": {},
                           "createdTimestamp": 1}).encode()
        r = c.exchange(signed_post(body))
        assert r.status == 200 and r.json()["status"] == "accepted"
    # Every event reaches the recorder while the stuck plugin is still in its first call.
    lines = wait_lines(rec, n)
    assert sorted(l.split()[1] for l in lines) == sorted("s%d" % i for i in range(n))
    states = dict(db_rows(d.dir / "var" / "hookd.db", "SELECT state, count(*) FROM deliveries WHERE instance = 'stuck' "
                             "GROUP BY state"))
    assert states.get("done", 0) == 0  # still stuck in its first call
    assert states.get("ready", 0) >= n - 3  # the rest waits in the store, not in memory
    d.wait_log(r'msg="handler overran its timeout_ms; its worker stays busy until it returns" '
               r'instance=stuck')
    assert d.stop() == 0  # bounded: the stuck call is abandoned at shutdown_timeout_ms
    assert "a handler is still running after the shutdown timeout" in d.log()


def test_metrics_count_handler_results(make_hookd, tmp_path):
    import urllib.request
    rec = tmp_path / "rec.txt"
    d = make_hookd(base_config(), {"10-rec.json": recorder("rec", rec)})
    body, _ = events()[0]
    Client(d.port).exchange(signed_post(body))
    wait_lines(rec, 1)
    # The handler's counter moves when its call returns; the delivery turns "done" only
    # when the store has committed that, a moment later. Wait for every line together.
    expected = ['hookd_handler_calls_total{instance="rec",result="ok"} 1',
                'hookd_events_total{source="flagright",outcome="routed"} 1',
                'hookd_plugin_recorded_total{instance="rec"} 1',
                'hookd_deliveries{state="done"} 1']
    deadline = time.time() + 10
    text = ""
    while time.time() < deadline:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port).read().decode()
        if all(line in text for line in expected):
            break
        time.sleep(0.05)
    for line in expected:
        assert line in text
