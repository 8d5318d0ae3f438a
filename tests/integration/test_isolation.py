"""Instances with "isolation": "process": handle() runs in worker processes of hookd's own
binary, so a plugin that crashes or hangs ends its worker, never hookd. The poison becomes a
dead letter after crash_limit worker crashes while every other event is delivered; a handler
past timeout_ms is killed with its worker and retried; a plugin whose init() crashes is
reported; a kill -9 of hookd leaves no worker behind."""
import os
import pwd
import re
import signal
import subprocess
import urllib.request

import pytest

from harness import SANITIZED, db_rows, event_body, fixture, post, quiet_config, wait_for

FAST_RETRY = {"initial_ms": 20, "max_ms": 50, "max_attempts": 10}


def seen(path):
    return {l.split()[1] for l in path.read_text().splitlines()} if path.exists() else set()


def delivery(d, eid, inst):
    rows = db_rows(d.dir / "var" / "hookd.db",
                   "SELECT d.state, d.interrupted, d.last_error FROM deliveries d JOIN events e "
                   "ON e.id = d.event WHERE e.event_id = ?1 AND d.instance = ?2", eid, inst)
    return rows[0] if rows else (None, None, None)


def metric(d, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port, timeout=10)
    m = re.search(r"^%s (\d+)$" % re.escape(name), text.read().decode(), re.M)
    return int(m.group(1)) if m else None


def workers_of(pid):
    p = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return {int(x) for x in p.stdout.split()}


def alive(pid):
    """True while pid runs (a zombie waiting for its parent does not count)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "zombie" not in f.read().lower()
    except OSError:
        return False


def test_a_poison_ends_workers_not_hookd(make_hookd, tmp_path):
    out, other = tmp_path / "p.txt", tmp_path / "other.txt"
    d = make_hookd(quiet_config(), {
        "10-p.json": {"plugin": fixture("poison"), "name": "p", "isolation": "process",
                      "concurrency": 2, "retry": FAST_RETRY, "config": {"path": str(out)}},
        "20-other.json": {"plugin": fixture("recorder"), "name": "other", "events": ["CASE_*"],
                          "config": {"path": str(other)}},
    })
    for i in range(3):
        assert post(d.port, event_body("before-%d" % i)).status == 200
    assert post(d.port, event_body("poison-1", "POISON")).status == 200
    for i in range(3):
        assert post(d.port, event_body("after-%d" % i)).status == 200
    wait_for(lambda: delivery(d, "poison-1", "p")[0] == "dead", 60, "the poison to be dead")
    state, interrupted, why = delivery(d, "poison-1", "p")
    assert interrupted == 2  # crash_limit's default
    assert why.startswith('the worker of instance "p" ended 2 times while it handled this '
                          'event: the plugin may crash on it; fix the plugin, then')
    want = {"before-0", "before-1", "before-2", "after-0", "after-1", "after-2"}
    wait_for(lambda: want <= seen(out) and want <= seen(other), 30, "every other event")
    assert d.proc.poll() is None  # hookd never noticed
    log = d.log()
    assert len(re.findall(r'msg="hookd crashed" signal=SIGSEGV culprit=plugin instance="p" '
                          r'plugin="[^"]*poison.so" event="poison-1"', log)) == 2
    assert metric(d, 'hookd_worker_crashes_total{instance="p"}') == 2
    assert d.stop() == 0


def test_a_handler_past_its_timeout_is_killed_and_retried(make_hookd):
    d = make_hookd(quiet_config(), {
        "10-slow.json": {"plugin": fixture("slow"), "name": "slow", "isolation": "process",
                         "timeout_ms": 300, "retry": dict(FAST_RETRY, max_attempts=2),
                         "config": {"sleep_ms": 60000}},
    })
    assert post(d.port, event_body("stuck-1")).status == 200
    wait_for(lambda: delivery(d, "stuck-1", "slow")[0] == "dead", 60, "both attempts")
    why = delivery(d, "stuck-1", "slow")[2]
    assert why == ("gave up after 2 attempts (max_attempts): handle() ran past timeout_ms "
                   "(300 ms): its worker was killed")
    assert d.log().count('msg="handler killed at its timeout with its worker; the event is '
                         'retried" instance=slow') == 2
    assert metric(d, 'hookd_worker_kills_total{instance="slow"}') == 2
    assert d.stop() == 0


def test_init_crash_is_reported_and_nothing_is_left_behind(make_hookd, tmp_path):
    d = make_hookd(quiet_config(), {
        "10-bad.json": {"plugin": fixture("crash_init"), "name": "bad", "isolation": "process"},
    }, start=False)
    code, text = d.check()
    assert code == 1
    assert ('plugins.d/10-bad.json: the worker of instance "bad" did not start: the worker was '
            'killed by signal 11 before it answered') in text
    # A plugin that logs why and then aborts in init(): its message comes with the report.
    d.write_config(plugins={"10-bad.json": {"plugin": fixture("crash_init"), "name": "bad",
                                            "isolation": "process",
                                            "config": {"message": "cannot reach the CRM"}}})
    code, text = d.check()
    assert code == 1
    assert ('msg="hookd crashed" signal=SIGABRT culprit=plugin phase=init instance="bad" '
            'plugin="%s" last_error="cannot reach the CRM"' % fixture("crash_init")) in text
    assert "killed by signal 6 before it answered" in text
    # A kill -9 of hookd: its workers see their socket close and end by themselves.
    out = tmp_path / "rec.txt"
    d.write_config(plugins={"10-rec.json": {"plugin": fixture("recorder"), "name": "rec",
                                            "isolation": "process", "concurrency": 3,
                                            "config": {"path": str(out)}}})
    d.start()
    for i in range(6):
        assert post(d.port, event_body("e-%d" % i)).status == 200
    wait_for(lambda: len(seen(out)) == 6, 30, "the events")
    workers = workers_of(d.proc.pid)
    assert workers  # the lane's threads each started their worker
    d.kill9()
    wait_for(lambda: not any(alive(w) for w in workers), 30, "the workers to end")


@pytest.mark.skipif(SANITIZED, reason="a sanitizer's own memory map does not fit RLIMIT_AS")
def test_a_worker_over_memory_max_is_contained(make_hookd, tmp_path):
    out = tmp_path / "p.txt"
    d = make_hookd(quiet_config(), {
        "10-p.json": {"plugin": fixture("poison"), "name": "p", "isolation": "process",
                      "memory_max": 128 << 20, "retry": FAST_RETRY,
                      "config": {"path": str(out)}},
    })
    assert post(d.port, event_body("hog-1", "HOG")).status == 200  # wants 1 GiB
    assert post(d.port, event_body("fine-1")).status == 200
    wait_for(lambda: delivery(d, "hog-1", "p")[0] == "dead", 60, "the hog to be dead")
    assert "ended 2 times" in delivery(d, "hog-1", "p")[2]
    wait_for(lambda: "fine-1" in seen(out), 30, "the other event")
    assert d.proc.poll() is None
    assert d.stop() == 0


def test_a_reload_swaps_workers_and_leaves_none_behind(make_hookd, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    d = make_hookd(quiet_config(), {
        "10-rec.json": {"plugin": fixture("recorder"), "name": "rec", "isolation": "process",
                        "concurrency": 2, "config": {"path": str(a)}},
    })
    for i in range(4):
        assert post(d.port, event_body("a-%d" % i)).status == 200
    wait_for(lambda: len(seen(a)) == 4, 30, "the first events")
    # The plugin's own counter, counted in two workers, reads as one instance's.
    wait_for(lambda: metric(d, 'hookd_plugin_recorded_total{instance="rec"}') == 4, 30,
             "the workers' counters in /metrics")
    before = workers_of(d.proc.pid)
    assert before
    # The instance is renamed: its lanes end, and with them its workers; the new one starts
    # its own.
    d.write_config(plugins={"10-rec.json": {"plugin": fixture("recorder"), "name": "rec2",
                                            "isolation": "process", "config": {"path": str(b)}}})
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"msg=reloaded generation=2 ", 60)
    for i in range(4):
        assert post(d.port, event_body("b-%d" % i)).status == 200
    wait_for(lambda: len(seen(b)) == 4, 30, "the events after the reload")
    wait_for(lambda: not (before & workers_of(d.proc.pid)), 30, "the old workers to end")
    now = workers_of(d.proc.pid)
    assert now  # rec2's
    assert d.stop() == 0  # a clean stop ends them too (fini() in each)
    assert not any(alive(w) for w in now)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run workers as another user")
def test_workers_run_as_the_named_user(make_hookd):
    nobody = pwd.getpwnam("nobody")
    d = make_hookd(quiet_config(), {
        "10-g.json": {"plugin": fixture("getters"), "name": "g", "isolation": "process",
                      "user": "nobody"},
    })
    assert post(d.port, event_body("e-1")).status == 200
    wait_for(lambda: delivery(d, "e-1", "g")[0] == "done", 30, "the delivery")
    workers = workers_of(d.proc.pid)
    assert workers
    for w in workers:
        with open("/proc/%d/status" % w) as f:
            ids = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        assert ids["Uid"].split()[:2] == [str(nobody.pw_uid)] * 2
        assert ids["Gid"].split()[:2] == [str(nobody.pw_gid)] * 2
        assert ids["Groups"].strip() == ""
    assert d.stop() == 0


def test_an_unknown_user_is_a_configuration_error(make_hookd):
    d = make_hookd(quiet_config(), {
        "10-g.json": {"plugin": fixture("getters"), "name": "g", "isolation": "process",
                      "user": "no-such-user-here"},
    }, start=False)
    code, text = d.check()
    assert code == 1
    assert 'no user "no-such-user-here" on this machine: create it or name another' in text


def test_kill_9_with_isolated_instances_loses_nothing_answered(make_hookd, tmp_path):
    """Signed load into an isolated instance, kill -9 of hookd in the middle, a restart:
    every event answered 2xx is delivered (at least once) and no worker is left."""
    out = tmp_path / "rec.txt"
    d = make_hookd(quiet_config(), {
        "10-rec.json": {"plugin": fixture("recorder"), "name": "rec", "isolation": "process",
                        "concurrency": 2, "config": {"path": str(out)}},
    })
    answered = []
    for i in range(200):
        if post(d.port, event_body("k-%d" % i)).status == 200:
            answered.append("k-%d" % i)
        if i == 150:
            workers = workers_of(d.proc.pid)
            d.kill9()  # deliveries still queued and running in workers
            break
    wait_for(lambda: not any(alive(w) for w in workers), 30, "the workers to end")
    d.start()
    wait_for(lambda: set(answered) <= seen(out), 60, "every answered event")
    assert len(answered) == 151
    assert d.stop() == 0
