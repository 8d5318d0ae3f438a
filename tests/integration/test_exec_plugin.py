"""The bundled exec plugin through hookd-plugin-run: stdin, exit statuses, timeouts that
leave no process behind."""
import json
import os
import subprocess
import time

import pytest

from harness import BUILD_DIR, DATA, PLUGIN_DIR, Hookd

RUNNER = os.path.join(BUILD_DIR, "sdk", "hookd-plugin-run")
EXEC_SO = os.path.join(PLUGIN_DIR, "exec.so")
EVENTS = os.path.join(DATA, "flagright-events.jsonl")

pytestmark = pytest.mark.skipif(not os.path.exists(EXEC_SO),
                                reason="built with -DHOOKD_PLUGIN_EXEC=OFF")


def run(tmp_path, config, events=EVENTS):
    inst = tmp_path / "exec.json"
    inst.write_text(json.dumps({"plugin": "exec", "name": "ex", "config": config}))
    p = subprocess.run([RUNNER, "--plugin-dir", PLUGIN_DIR, "--config", str(inst),
                        "--events", str(events)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout.splitlines(), p.stderr


def lines():
    with open(EVENTS, "rb") as f:
        return [l.rstrip(b"\n") for l in f if l.strip()]


def test_check_lists_exec(tmp_path):
    d = Hookd(tmp_path, plugins={"10-ex.json": {"plugin": "exec", "name": "ex",
                                                "config": {"command": ["true"]}}})
    rc, out = d.check()
    assert rc == 0, out
    assert "instance ex: plugin exec 1.0 (%s), events *, sources *" % EXEC_SO in out.splitlines()


def test_body_on_stdin(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    rc, got, err = run(tmp_path, {"shell": 'cat > "$OUT/$HOOKD_EVENT_ID.$HOOKD_ATTEMPT"',
                                  "env": ["OUT=%s" % out]})
    assert rc == 0, err
    for body in lines():
        e = json.loads(body)
        assert "%s %s OK" % (e["id"], e["type"]) in got
        assert (out / (e["id"] + ".1")).read_bytes() == body  # byte for byte


def test_command_without_shell(tmp_path):
    joined = tmp_path / "all"
    rc, got, err = run(tmp_path, {"command": ["tee", "-a", str(joined)]})
    assert rc == 0, err
    assert joined.read_bytes() == b"".join(lines())


def test_exit_75_retries_exit_1_is_permanent(tmp_path):
    rc, got, err = run(tmp_path, {"shell": "exit 75"})
    assert rc == 0 and got and all(l.endswith(" RETRY") for l in got)
    assert "exited with status 75 (EX_TEMPFAIL: will retry)" in err
    rc, got, err = run(tmp_path, {"shell": "echo broken pipe to the CRM >&2; exit 1"})
    assert rc == 1 and all(l.endswith(" PERMANENT") for l in got)
    assert "exited with status 1 (failed for good); output: broken pipe to the CRM" in err


def gone(pid):
    """True if pid no longer runs (absent, or a zombie waiting for init)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_timeout_kills_process_group(tmp_path):
    pids = tmp_path / "pids"
    events = tmp_path / "one.jsonl"
    events.write_text('{"id":"slow-1","type":"CASE_OPENED"}\n')
    rc, got, err = run(tmp_path, {"shell": 'sleep 60 & echo $$ $! > "%s"; sleep 60' % pids,
                                  "timeout_ms": 300}, events)
    assert rc == 0 and got == ["slow-1 CASE_OPENED RETRY"], err
    assert "still ran after 300 ms: its process group was killed, will retry" in err
    deadline = time.time() + 10
    procs = [int(p) for p in pids.read_text().split()]
    while time.time() < deadline and not all(gone(p) for p in procs):
        time.sleep(0.05)
    assert all(gone(p) for p in procs), procs


def test_bad_command_refused(tmp_path):
    rc, got, err = run(tmp_path, {"command": ["no-such-program-hookd"]})
    assert rc == 2 and got == []
    assert ('plugin "exec" failed to start: config.command[0] "no-such-program-hookd" is not an '
            'executable file in the command\'s PATH: install it, or give its absolute path') in err
