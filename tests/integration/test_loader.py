"""The plugin loader through `hookd -t`: every refusal names the file, the cause and the fix;
good plugins are listed one line per instance; init() and fini() both run."""
import json
import os
import re
import shutil
import subprocess

import pytest

from harness import HOOKD, PLUGIN_DIR, Hookd, base_config, fixture


def check(tmp_path, plugins, env=None):
    d = Hookd(tmp_path, plugins=plugins, env=env)
    return d.check()


REFUSALS = [
    ("wrong_major", ["was built for ABI 2.3, this hookd is 1.0",
                     "rebuild it against hookd-sdk 1.x"]),
    ("newer_minor", ["was built for ABI 1.1, this hookd is 1.0",
                     "rebuild it against hookd-sdk 1.0 or upgrade hookd"]),
    ("short_struct", ["has a short descriptor (struct_size",
                      "define it with HOOKD_PLUGIN_DEFINE and rebuild it against hookd-sdk 1.x"]),
    ("missing_symbol", ["cannot be loaded: undefined symbol: hookd_fixture_undefined_function",
                        "link what defines the symbol"]),
    ("not_plugin", ["is not a hookd plugin: it exports no hookd_plugin_v1",
                    "define one with HOOKD_PLUGIN_DEFINE"]),
    ("bad_pattern", ['subscribes to an invalid pattern "CASE_*_CLOSED"',
                     "use an event type, \"PREFIX*\" or \"*\""]),
    ("bad_name", ['has an invalid name "Bad-Name"', "use [a-z][a-z0-9_]*"]),
    ("no_version", ["has no version", "set .version"]),
    ("no_handle", ["has no handle function", "set .handle"]),
    ("no_subscribe", ["subscribes to no event", "set .subscribe"]),
    ("bad_conf_key", ['declares an invalid config key "has space"', "in .conf_keys"]),
    ("unknown_flags", ["sets flags 0x80 unknown to ABI 1.0",
                       "use only HOOKD_PLUGIN_SERIAL and HOOKD_PLUGIN_NO_UNLOAD"]),
]


@pytest.mark.parametrize("name,needles", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_fixture(tmp_path, name, needles):
    rc, out = check(tmp_path, {"20-x.json": {"plugin": fixture(name), "name": "x"}})
    assert rc == 1, out
    line = next((l for l in out.splitlines() if re.match(r"plugins.d/20-x.json:\d+:\d+: ", l)),
                None)
    assert line, out
    assert fixture(name) in line  # the object
    for n in needles:             # the cause and the fix
        assert n in line, line
    assert "is valid" not in out


def test_missing_file(tmp_path):
    rc, out = check(tmp_path, {"20-gone.json": {"plugin": "gone"}})
    assert rc == 1
    assert ("plugins.d/20-gone.json:2:13: plugin file %s/gone.so does not exist: install the plugin "
            "there, or correct \"plugin\"" % PLUGIN_DIR) in out


def test_group_writable_refused(tmp_path):
    so = tmp_path / "shared.so"
    shutil.copy(fixture("recorder"), so)
    os.chmod(so, 0o664)
    rc, out = check(tmp_path, {"20-gw.json": {"plugin": str(so), "name": "gw"}})
    assert rc == 1
    assert ("plugins.d/20-gw.json:2:13: plugin file %s is writable by its group or by others, who "
            "could change the code hookd runs: chmod go-w %s" % (so, so)) in out
    os.chmod(so, 0o644)
    rc, out = check(tmp_path, {"20-gw.json": {"plugin": str(so), "name": "gw"}})
    assert rc == 0, out


def test_unknown_config_key(tmp_path):
    rc, out = check(tmp_path, {"20-x.json": {"plugin": fixture("keyed"), "name": "x",
                                             "config": {"pathh": "/tmp/x"}}})
    assert rc == 1
    assert ('plugins.d/20-x.json:5:14: config.pathh: plugin "keyed" accepts no key "pathh": '
            'use one of path') in out


def test_events_may_only_narrow(tmp_path):
    rc, out = check(tmp_path, {"20-c.json": {"plugin": fixture("case_only"), "name": "c",
                                             "events": ["CASE_CLOSED", "USER_*"]}})
    assert rc == 1
    assert re.search(r'plugins.d/20-c.json:\d+:\d+: events\[1\]: "USER_\*" is not among the '
                     r'events plugin "case_only" subscribes to \(CASE_\*\): remove it or narrow '
                     r'it', out), out


def test_init_failure_reports_plugin_message(tmp_path):
    rc, out = check(tmp_path, {"30-y.json": {"plugin": fixture("init_fail"), "name": "y"}})
    assert rc == 1
    assert re.search(r'plugins.d/30-y.json:\d+:\d+: plugin "init_fail" failed to start: cannot '
                     r'connect to the audit database \(init returned -5: Input/output error\)',
                     out), out


def test_every_problem_listed_and_good_ones_finalised(tmp_path):
    rc, out = check(tmp_path, {
        "10-rec.json": {"plugin": fixture("recorder"), "name": "rec"},
        "20-a.json": {"plugin": fixture("wrong_major"), "name": "a"},
        "30-b.json": {"plugin": fixture("init_fail"), "name": "b"},
    })
    assert rc == 1
    assert re.search(r"plugins.d/20-a.json:\d+:\d+: plugin", out), out
    assert re.search(r"plugins.d/30-b.json:\d+:\d+: plugin", out), out
    assert 'msg="recorder fini" instance=rec' in out  # all or nothing: undone
    assert "instance rec:" not in out


def test_good_plugins_listed(tmp_path):
    rc, out = check(tmp_path, {
        "10-rec.json": {"plugin": fixture("recorder"), "name": "rec"},
        "20-cases.json": {"plugin": fixture("case_only"), "name": "cases",
                          "events": ["CASE_OPENED", "CASE_CLOSED"], "sources": ["flagright"]},
        "30-cxx.json": {"plugin": fixture("cxx_plugin"), "name": "cxx"},
        "40-ser.json": {"plugin": fixture("serial"), "name": "ser", "concurrency": 4},
    })
    assert rc == 0, out
    lines = out.splitlines()
    assert "instance rec: plugin recorder 1.0 (%s), events *, sources *" % fixture(
        "recorder") in lines
    assert ("instance cases: plugin case_only 1.0 (%s), events CASE_OPENED,CASE_CLOSED, sources "
            "flagright" % fixture("case_only")) in lines
    assert "instance cxx: plugin cxx_plugin 1.0-c++20 (%s), events *, sources *" % fixture(
        "cxx_plugin") in lines
    assert "concurrency lowered to 1" in out
    assert "4 plugin instance(s)" in out


def test_check_runs_init_and_fini(tmp_path):
    rec = tmp_path / "rec.txt"
    d = Hookd(tmp_path, plugins={"10-rec.json": {"plugin": fixture("recorder"), "name": "rec",
                                                 "config": {"path": str(rec)}}})
    p = subprocess.run([HOOKD, "-t", "-c", str(d.dir)], env=d.env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)  # one stream: order
    rc, out = p.returncode, p.stdout
    assert rc == 0, out
    init = out.index('msg="recorder init" instance=rec plugin=recorder')
    fini = out.index('msg="recorder fini" instance=rec plugin=recorder')
    listed = out.index("instance rec: plugin recorder 1.0")
    assert init < listed < fini
    assert rec.exists()  # init() really ran: it opened its file


def test_runtime_directory_removed(tmp_path):
    rt = tmp_path / "rt"
    rt.mkdir()
    rc, out = check(tmp_path, {"10-rec.json": {"plugin": fixture("recorder"), "name": "rec"}},
                    env={"TMPDIR": str(rt)})
    assert rc == 0, out
    assert list(rt.iterdir()) == []
    rc, out = check(tmp_path, {"10-rec.json": {"plugin": fixture("not_plugin"), "name": "rec"}},
                    env={"TMPDIR": str(rt)})
    assert rc == 1
    assert list(rt.iterdir()) == []  # also after a failed check


def test_without_plugin_dir_the_plugins_beside_the_binary_are_found(tmp_path):
    """A configuration without "plugin_dir" (the sample conf/, or a copy of it anywhere) uses
    the plugin directory that belongs to the binary: build/plugins for build/core/hookd,
    PREFIX/lib/hookd/plugins once installed; hookd-plugin-run finds "--plugin log.so" there."""
    conf = base_config()
    del conf["plugin_dir"]
    log = tmp_path / "events.log"
    d = Hookd(tmp_path, conf, {"10-log.json": {"plugin": "log", "name": "events",
                                               "config": {"path": str(log)}}})
    rc, out = d.check()
    assert rc == 0, out
    beside = os.path.realpath(os.path.join(os.path.dirname(HOOKD), "..", "plugins", "log.so"))
    assert "(%s)" % beside in out, out
    runner = os.path.join(os.path.dirname(os.path.dirname(HOOKD)), "sdk", "hookd-plugin-run")
    events = tmp_path / "e.jsonl"
    events.write_text('{"id":"a","type":"T"}\n')
    inst = tmp_path / "log.json"
    inst.write_text(json.dumps({"config": {"path": str(log)}}))
    p = subprocess.run([runner, "--plugin", "log.so", "--config", str(inst), "--events",
                        str(events)], capture_output=True, text=True, cwd=str(tmp_path),
                       timeout=60)
    assert p.returncode == 0 and p.stdout.splitlines() == ["a T OK"], p.stderr
