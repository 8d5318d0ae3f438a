"""A reload that removes an instance lets it finish what it holds (issue #15): queued and
retrying deliveries are delivered by the instance that had them, within
reload.drain_timeout_ms; only what is left after that becomes dead letters, and those can be
handed to another instance (dlq replay --to) or routed again (--reroute)."""
import json
import re
import signal
import subprocess

from harness import HOOKD, Client, base_config, db_rows, event_body, fixture, signed_post, wait_for


def slow(name, ms, **kw):
    return dict({"plugin": fixture("slow"), "name": name, "concurrency": 1,
                 "config": {"sleep_ms": ms}}, **kw)


def recorder(name, path):
    return {"plugin": fixture("recorder"), "name": name, "config": {"path": str(path)}}


def states(d):
    db = d.dir / "var" / "hookd.db"
    return dict(db_rows(db, "SELECT instance || ':' || state, count(*) FROM deliveries "
                            "GROUP BY instance, state"))


def cli(d, *args):
    p = subprocess.run([HOOKD, *args, "--admin", "127.0.0.1:%d" % d.admin_port],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def send(d, n, prefix):
    c = Client(d.port)
    for i in range(n):
        assert c.exchange(signed_post(event_body("%s-%d" % (prefix, i)))).status == 200
    c.close()


def test_a_removed_instance_finishes_what_it_holds(make_hookd, tmp_path):
    conf = base_config(reload={"drain_timeout_ms": "10m"})
    d = make_hookd(conf, {"10-old.json": slow("old", 100),
                          "20-flaky.json": {"plugin": fixture("retry_twice"), "name": "flaky",
                                            "retry": {"initial_ms": 200, "max_ms": 400}}})
    send(d, 8, "held")  # "old" works through them one at a time; "flaky" retries each twice
    d.write_config(plugins={"30-new.json": recorder("new", tmp_path / "new.txt")})
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"msg=reloaded generation=2 ")
    d.wait_log(r'msg="instance removed: it finishes what it holds first" instance=old queued=')
    # Both finish everything they had, retries included, and then leave early: nothing left.
    wait_for(lambda: states(d).get("old:done") == 8 and states(d).get("flaky:done") == 8, 60,
             "the removed instances to deliver what they held")
    d.wait_log(r'msg="removed instance drained" instance=old dead_lettered_from_memory=0', 30)
    d.wait_log(r'msg="removed instance drained" instance=flaky dead_lettered_from_memory=0', 30)
    assert not any(k.endswith(":dead") for k in states(d)), states(d)


def test_what_is_left_after_the_drain_is_dead_lettered_then_replayed_elsewhere(make_hookd,
                                                                               tmp_path):
    conf = base_config(reload={"drain_timeout_ms": 300})
    d = make_hookd(conf, {"10-old.json": slow("old", 1500)})
    send(d, 5, "left")
    wait_for(lambda: states(d).get("old:running", 0) >= 1, 30, "the first call")
    rec = tmp_path / "new.txt"
    d.write_config(plugins={"30-new.json": recorder("new", rec)})
    d.send_signal(signal.SIGHUP)
    d.wait_log(r'msg="removed instance drained" instance=old', 30)
    wait_for(lambda: states(d).get("old:dead", 0) >= 3, 30, "the rest dead-lettered")
    why = db_rows(d.dir / "var" / "hookd.db",
                  "SELECT DISTINCT last_error FROM deliveries WHERE state = 'dead'")
    assert why == [('instance "old" was removed from the configuration',)]
    dead = states(d)["old:dead"]
    # An instance that is not there is refused with the names that are.
    rc, out = cli(d, "dlq", "replay", "--to", "nope")
    assert rc == 1 and 'no instance "nope" in the configuration: name one of: new' in out, out
    rc, out = cli(d, "dlq", "replay", "--to", "new", "--dry-run")
    assert rc == 0 and '"count": %d' % dead in out and '"dry_run": true' in out, out
    rc, out = cli(d, "dlq", "replay", "--to", "new")
    assert rc == 0 and '"count": %d' % dead in out, out
    wait_for(lambda: rec.exists() and len(rec.read_text().splitlines()) == dead, 30,
             "the dead letters delivered by new")
    assert "old:dead" not in states(d)


def test_reroute_sends_dead_letters_where_the_configuration_routes_them(make_hookd, tmp_path):
    conf = base_config(reload={"drain_timeout_ms": 100})
    d = make_hookd(conf, {"10-gone.json": {"plugin": fixture("permanent"), "name": "gone"}})
    send(d, 3, "rr")
    wait_for(lambda: states(d).get("gone:dead") == 3, 30, "three dead letters")
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    d.write_config(plugins={"20-a.json": recorder("a", a), "30-b.json": recorder("b", b)})
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"msg=reloaded generation=2 ")
    rc, out = cli(d, "dlq", "replay", "--reroute")
    assert rc == 0 and '"count": 3' in out, out
    for f in (a, b):  # each event to every instance that subscribes to it now
        wait_for(lambda: f.exists() and len(f.read_text().splitlines()) == 3, 30, str(f))
    assert "gone:dead" not in states(d)


def test_swapping_instances_under_load_loses_no_delivery(make_hookd, tmp_path):
    """One slow instance swapped for another on every reload while signed events keep coming
    faster than it handles them, so each reload finds deliveries queued: every acknowledged
    event is delivered, by the instance that had it; none is a dead letter."""
    import threading
    import time
    conf = base_config(log={"level": "info", "access": False})
    d = make_hookd(conf, {"10-a.json": slow("a", 5)})
    acked, stop = [], threading.Event()

    def load():
        c = Client(d.port)
        i = 0
        while not stop.is_set() and i < 5000:  # bounded in count and time
            eid = "swap-%d" % i
            if c.exchange(signed_post(event_body(eid))).status == 200:
                acked.append(eid)
            i += 1
        c.close()

    t = threading.Thread(target=load)
    t.start()
    queued_at_swap = 0
    for r in range(10):
        name = "b" if r % 2 == 0 else "a"
        wait_for(lambda: len(acked) >= 100 * (r + 1) or not t.is_alive(), 60, "load")
        d.write_config(plugins={"10-%s.json" % name: slow(name, 5)})
        d.send_signal(signal.SIGHUP)
        d.wait_log(r"msg=reloaded generation=%d " % (r + 2), 30)
    stop.set()
    t.join(60)
    for m in re.finditer(r'msg="instance removed: it finishes what it holds first" '
                         r'instance=\w+ queued=(\d+)', d.log()):
        queued_at_swap += int(m.group(1))
    assert queued_at_swap > 0, "no reload found deliveries queued: the test proves nothing"
    db = d.dir / "var" / "hookd.db"
    wait_for(lambda: not any(k.endswith((":ready", ":running", ":retry")) for k in states(d)),
             120, "nothing left pending")
    assert not any(k.endswith(":dead") for k in states(d)), states(d)
    done = {r[0] for r in db_rows(db, "SELECT e.event_id FROM deliveries d JOIN events e ON "
                                      "e.id = d.event WHERE d.state = 'done'")}
    assert set(acked) <= done
