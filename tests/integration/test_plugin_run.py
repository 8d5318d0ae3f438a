"""hookd-plugin-run: one line per event, exit status, the same loader checks as hookd."""
import json
import os
import subprocess

from harness import BUILD_DIR, DATA, fixture

RUNNER = os.path.join(BUILD_DIR, "sdk", "hookd-plugin-run")
EVENTS = os.path.join(DATA, "flagright-events.jsonl")


def run(*args, stdin=None):
    p = subprocess.run([RUNNER, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def flagright_events():
    with open(EVENTS) as f:
        return [json.loads(l) for l in f if l.strip()]


def test_recorder_sees_every_event(tmp_path):
    rec = tmp_path / "rec.txt"
    inst = tmp_path / "rec.json"
    inst.write_text(json.dumps({"name": "rec", "config": {"path": str(rec)}}))
    rc, out, err = run("--plugin", fixture("recorder"), "--config", str(inst), "--events", EVENTS)
    assert rc == 0, err
    evs = flagright_events()
    assert out.splitlines() == ["%s %s OK" % (e["id"], e["type"]) for e in evs]
    assert rec.read_text().splitlines() == ["rec %s %s 1" % (e["id"], e["type"]) for e in evs]
    assert "recorder init" in err and "recorder fini" in err


def test_source_and_headers(tmp_path):
    rec = tmp_path / "rec.txt"
    inst = tmp_path / "rec.json"
    inst.write_text(json.dumps({"plugin": fixture("recorder"), "name": "rec",
                                "sources": ["stripe"],
                                "config": {"path": str(rec), "header": "x-request-id"}}))
    events = tmp_path / "e.jsonl"
    events.write_text('{"id":"a","type":"T"}\n\n{"id":"b","type":"U"}\n')
    rc, out, err = run("--config", str(inst), "--events", str(events), "--source", "stripe",
                       "--header", "X-Request-Id: r-42", "--header", "Authorization: secret")
    assert rc == 0, err
    assert out.splitlines() == ["a T OK", "b U OK"]
    assert rec.read_text().splitlines() == ["rec a T 1 x-request-id=r-42",
                                            "rec b U 1 x-request-id=r-42"]
    rc, out, err = run("--config", str(inst), "--events", str(events))  # source flagright
    assert rc == 2  # "sources": ["stripe"] names a source the runner does not have
    assert 'sources[0]: not the name of a source of hookd.json' in err


def test_skipped_when_not_subscribed(tmp_path):
    rc, out, err = run("--plugin", fixture("case_only"), "--events", EVENTS)
    assert rc == 0, err
    want = ["%s %s %s" % (e["id"], e["type"], "OK" if e["type"].startswith("CASE_") else "SKIPPED")
            for e in flagright_events()]
    assert out.splitlines() == want and "OK" in out and "SKIPPED" in out


def test_retry_and_attempts(tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text('{"id":"a","type":"T"}\n')
    rc, out, _ = run("--plugin", fixture("retry_twice"), "--events", str(events))
    assert (rc, out) == (0, "a T RETRY\n")  # RETRY alone is not a failure
    rc, out, err = run("--plugin", fixture("retry_twice"), "--events", str(events),
                       "--attempts", "3")
    assert (rc, out) == (0, "a T OK\n")
    assert "delivery 3 of a (attempt 3)" in err


def test_permanent_exits_1():
    rc, out, _ = run("--plugin", fixture("permanent"), "--events", EVENTS)
    assert rc == 1
    assert all(l.endswith(" PERMANENT") for l in out.splitlines())


def test_refused_plugin_exits_2():
    rc, out, err = run("--plugin", fixture("wrong_major"), "--events", EVENTS)
    assert rc == 2 and out == ""
    assert "was built for ABI 2.3, this hookd is 1.0: rebuild it against hookd-sdk 1.x" in err
    rc, _, err = run("--plugin", fixture("init_fail"), "--events", EVENTS)
    assert rc == 2
    assert 'plugin "init_fail" failed to start: cannot connect to the audit database' in err


def test_unknown_key_in_instance_file(tmp_path):
    inst = tmp_path / "k.json"
    inst.write_text(json.dumps({"config": {"pathh": "x"}}))
    rc, _, err = run("--plugin", fixture("keyed"), "--config", str(inst), "--events", EVENTS)
    assert rc == 2
    assert 'k.json:1:22: config.pathh: plugin "keyed" accepts no key "pathh": use one of path' in err


def test_bad_lines_exit_2(tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text('{"id":"a","type":"T"}\nnot json\n{"type":"T"}\n')
    rc, out, err = run("--plugin", fixture("recorder"), "--events", str(events))
    assert rc == 2
    assert out == "a T OK\n"
    assert "e.jsonl:2: not a JSON object" in err
    assert 'e.jsonl:3: no string "id" and "type" members' in err


def test_events_from_stdin_and_other_fields():
    rc, out, err = run("--plugin", fixture("recorder"), "--events", "-", "--id-field", "eid",
                       "--type-field", "kind", stdin='{"eid":"x1","kind":"K"}\n')
    assert (rc, out) == (0, "x1 K OK\n"), err


def test_usage():
    rc, _, err = run("--events", EVENTS)
    assert rc == 2 and "usage: hookd-plugin-run" in err
    rc, out, _ = run("--help")
    assert rc == 0 and "Exit status: 0 when no event ended PERMANENT" in out


def test_isolation_shows_a_crash_contained(tmp_path):
    """--isolation process: the plugin runs in a worker; an event that crashes it prints
    CRASHED, and the next event gets a new worker."""
    events = "\n".join(json.dumps({"id": i, "type": t}) for i, t in
                       [("a-1", "CASE_CLOSED"), ("p-1", "POISON"), ("a-2", "CASE_CLOSED")])
    rc, out, err = run("--plugin", fixture("poison"), "--events", "-", "--isolation", "process",
                       stdin=events + "\n")
    assert rc == 1
    assert out.splitlines() == ["a-1 CASE_CLOSED OK", "p-1 POISON CRASHED", "a-2 CASE_CLOSED OK"]
    assert "the worker was killed by signal 11 while it handled this event" in err
    assert 'msg="hookd crashed" signal=SIGSEGV culprit=plugin instance="poison"' in err
    rc, _, err = run("--plugin", fixture("poison"), "--events", "-", "--isolation", "bogus",
                     stdin=events)
    assert rc == 2 and "--isolation bogus: use thread or process" in err
