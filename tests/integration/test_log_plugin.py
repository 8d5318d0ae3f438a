"""The bundled log plugin, loaded as hookd loads it: through hookd -t and hookd-plugin-run."""
import json
import os
import signal
import subprocess
import time

import pytest

from harness import BUILD_DIR, DATA, PLUGIN_DIR, Hookd

RUNNER = os.path.join(BUILD_DIR, "sdk", "hookd-plugin-run")
LOG_SO = os.path.join(PLUGIN_DIR, "log.so")
EVENTS = os.path.join(DATA, "flagright-events.jsonl")

pytestmark = pytest.mark.skipif(not os.path.exists(LOG_SO),
                                reason="built with -DHOOKD_PLUGIN_LOG=OFF")


def instance(tmp_path, **config):
    p = tmp_path / "log.json"
    p.write_text(json.dumps({"plugin": "log", "name": "audit", "config": config}))
    return str(p)


def test_check_lists_log_by_name(tmp_path):
    d = Hookd(tmp_path, plugins={"10-audit.json": {"plugin": "log", "name": "audit",
                                                   "config": {"path": "-"}}})
    rc, out = d.check()
    assert rc == 0, out
    assert "instance audit: plugin log 1.0 (%s), events *, sources *" % LOG_SO in out.splitlines()


def test_every_flagright_event_logged(tmp_path):
    out_file = tmp_path / "events.jsonl"
    before = int(time.time() * 1000)
    p = subprocess.run([RUNNER, "--plugin", LOG_SO, "--events", EVENTS,
                        "--config", instance(tmp_path, path=str(out_file), fsync=True)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with open(EVENTS) as f:
        sent = [json.loads(l) for l in f if l.strip()]
    assert p.stdout.splitlines() == ["%s %s OK" % (e["id"], e["type"]) for e in sent]
    lines = out_file.read_text().splitlines()
    assert len(lines) == len(sent)
    for line, e in zip(lines, sent):
        got = json.loads(line)
        assert list(got) == ["id", "type", "source", "received_ms", "created_ms", "attempt",
                             "data"]
        assert (got["id"], got["type"], got["source"]) == (e["id"], e["type"], "flagright")
        assert got["created_ms"] == e["createdTimestamp"] and got["attempt"] == 1
        assert before <= got["received_ms"] <= int(time.time() * 1000)
        assert got["data"] == e["data"]
    assert (out_file.stat().st_mode & 0o777) == 0o640 & ~current_umask()


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_bad_config_refused(tmp_path):
    p = subprocess.run([RUNNER, "--plugin", LOG_SO, "--events", EVENTS,
                        "--config", instance(tmp_path, path="/x.jsonl", rotate=True)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert 'config.rotate: plugin "log" accepts no key "rotate": use one of path, fsync' in p.stderr
    p = subprocess.run([RUNNER, "--plugin", LOG_SO, "--events", EVENTS,
                        "--config", instance(tmp_path, fsync=True)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert ('plugin "log" failed to start: config.path is missing or not a string: set it to an '
            'absolute file path, or "-" for standard output (init returned -22') in p.stderr


def test_reopen_on_sigusr1(tmp_path):
    """logrotate: rename the file, SIGUSR1, and the next line starts a new file."""
    out_file = tmp_path / "events.jsonl"
    rotated = tmp_path / "events.jsonl.1"
    proc = subprocess.Popen([RUNNER, "--plugin", LOG_SO, "--events", "-",
                             "--config", instance(tmp_path, path=str(out_file))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write('{"id":"before","type":"T"}\n')
        proc.stdin.flush()
        assert proc.stdout.readline() == "before T OK\n"
        os.rename(out_file, rotated)
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        proc.stdin.write('{"id":"after","type":"T"}\n')
        proc.stdin.flush()
        assert proc.stdout.readline() == "after T OK\n"
        proc.stdin.close()
        assert proc.wait(30) == 0  # the signal did not end the process
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(rotated.read_text())["id"] == "before"
    assert json.loads(out_file.read_text())["id"] == "after"
