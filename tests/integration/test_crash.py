"""A plugin that crashes never takes hookd down for good. In-process, a delivery that hookd
ended in the middle of (a crash, a kill -9) counts one interrupted attempt; after the
instance's crash_limit it is a dead letter that says why and never runs again on its own,
while hookd comes back up and delivers everything else. The crash line names the culprit."""
import json
import re
import struct
import urllib.request

from harness import db_rows, event_body, fixture, post, quiet_config, wait_for

CRASHED = re.compile(r'msg="hookd crashed" signal=(SIG\w+) culprit=plugin instance="(\w+)" '
                     r'plugin="([^"]+)" event="([^"]+)" delivery=(\d+)')


def seen(path):
    return {l.split()[1] for l in path.read_text().splitlines()} if path.exists() else set()


def post_poison(d, eid):
    """Sends the poison. It is committed before anyone sees it, but the crash may come before
    the 200 is written: the sender then retries (a duplicate), nothing is lost."""
    try:
        assert post(d.port, event_body(eid, "POISON")).status == 200
    except ConnectionError:
        pass


def dead(d, eid, inst):
    """The state and last_error of the delivery of event eid to inst, (None, None) if none."""
    db = d.dir / "var" / "hookd.db"
    rows = db_rows(db, "SELECT d.state, d.last_error FROM deliveries d JOIN events e ON "
                       "e.id = d.event WHERE e.event_id = ?1 AND d.instance = ?2", eid, inst)
    return rows[0] if rows else (None, None)


def in_handle(d):
    """The row ids of the deliveries inside a handle() now, from the record that outlives
    the process (deliver/inflight.h: one int64 per worker slot)."""
    data = (d.dir / "var" / "hookd.db.inflight").read_bytes()
    return {r for r in struct.unpack("<%dq" % (len(data) // 8), data) if r > 0}


def restart_until_contained(d, eid, inst, limit):
    """Starts hookd again (as systemd would) each time the poison kills it, until the poison
    is a dead letter and hookd stays up; returns how many times it died. More than limit
    deaths fails the test."""
    crashes = 0
    while True:
        code = d.proc.wait(60)
        assert code < 0, "hookd ended with %s, not by a signal:\n%s" % (code, d.log()[-3000:])
        d._log.close()
        crashes += 1
        assert crashes <= limit, "hookd died %d times: the poison is not contained" % crashes
        d.start(wait=False)
        wait_for(lambda: d.proc.poll() is not None or dead(d, eid, inst)[0] == "dead", 60,
                 "hookd to die again or to contain the poison")
        if d.proc.poll() is None:
            d.wait_ready(60)
            return crashes


def test_poison_is_dead_lettered_after_crash_limit(make_hookd, tmp_path):
    out, other = tmp_path / "p.txt", tmp_path / "other.txt"
    d = make_hookd(quiet_config(), {
        "10-p.json": {"plugin": fixture("poison"), "name": "p", "config": {"path": str(out)}},
        "20-other.json": {"plugin": fixture("recorder"), "name": "other", "events": ["CASE_*"],
                          "config": {"path": str(other)}},
    })
    for i in range(3):
        assert post(d.port, event_body("before-%d" % i)).status == 200
    wait_for(lambda: {"before-0", "before-1", "before-2"} <= seen(out), 30, "the first events")
    post_poison(d, "poison-1")
    crashes = restart_until_contained(d, "poison-1", "p", 2)
    assert crashes == 2  # crash_limit's default: two ends, then contained
    log = d.log()
    lines = CRASHED.findall(log)
    assert len(lines) == 2, log[-4000:]
    for sig, inst, plugin, eid, delivery in lines:
        assert (sig, inst, eid) == ("SIGSEGV", "p", "poison-1")
        assert plugin.endswith("poison.so")
        assert int(delivery) > 0
    db = d.dir / "var" / "hookd.db"
    state, interrupted, why = db_rows(
        db, "SELECT d.state, d.interrupted, d.last_error FROM deliveries d JOIN events e ON "
            "e.id = d.event WHERE e.event_id = 'poison-1' AND d.instance = 'p'")[0]
    assert (state, interrupted) == ("dead", 2)
    assert why.startswith('hookd ended 2 times while instance "p" handled this event: the '
                          'plugin may crash on it; fix the plugin, then `hookd dlq replay`')
    # hookd stays up and delivers everything else, to both instances.
    for i in range(3):
        assert post(d.port, event_body("after-%d" % i)).status == 200
    want = {"before-0", "before-1", "before-2", "after-0", "after-1", "after-2"}
    wait_for(lambda: want <= seen(out) and want <= seen(other), 30, "everything else")
    assert d.proc.poll() is None
    assert d.stop() == 0


def test_abort_and_kill_9_count_as_interrupted(make_hookd, tmp_path):
    """crash_limit 1: one abort() in handle() is enough; and a kill -9 while a handler runs
    counts as well (the record of calls in progress outlives the process). A replay runs the
    delivery again."""
    out = tmp_path / "p.txt"
    d = make_hookd(quiet_config(shutdown_timeout_ms=500), {
        "10-p.json": {"plugin": fixture("poison"), "name": "p", "crash_limit": 1,
                      "config": {"path": str(out), "crash": "abort"}},
        "20-slow.json": {"plugin": fixture("slow"), "name": "slow", "crash_limit": 1,
                         "events": ["SLOW"], "config": {"sleep_ms": 60000}},
    })
    post_poison(d, "poison-a")
    assert restart_until_contained(d, "poison-a", "p", 1) == 1
    assert CRASHED.search(d.log()).group(1) == "SIGABRT"
    assert dead(d, "poison-a", "p")[1].startswith('hookd ended 1 time while instance "p"')
    # A handler is inside its 60 s call when hookd is killed.
    assert post(d.port, event_body("slow-1", "SLOW")).status == 200
    wait_for(lambda: dead(d, "slow-1", "slow")[0] == "running", 30, "the slow call to start")
    # 'running' is committed just before the call: kill only once the call is recorded.
    wait_for(lambda: in_handle(d), 30, "the slow call to be recorded")
    d.kill9()
    d.start()
    wait_for(lambda: dead(d, "slow-1", "slow")[0] == "dead", 30, "the interrupted call")
    assert 'while instance "slow" handled this event' in dead(d, "slow-1", "slow")[1]
    # After the fix, a replay runs it again: its interrupted attempts are forgotten.
    req = urllib.request.Request("http://127.0.0.1:%d/dlq/replay?instance=slow" % d.admin_port,
                                 method="POST")
    assert json.loads(urllib.request.urlopen(req, timeout=10).read())["count"] == 1
    wait_for(lambda: dead(d, "slow-1", "slow")[0] == "running", 30, "the replayed call")
    assert d.stop() == 0  # the call is abandoned at the shutdown timeout, not a crash
