"""The command line: --version, -t with every problem listed, exit statuses."""
import json
import re
import subprocess

from harness import HOOKD, Hookd, base_config, fixture


def test_version():
    out = subprocess.run([HOOKD, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("hookd ")


def test_check_ok(tmp_path):
    d = Hookd(tmp_path)
    rc, out = d.check()
    assert rc == 0, out
    assert "is valid" in out


def test_check_lists_every_problem(tmp_path):
    conf = base_config()
    conf["listen"] = [{"address": "localhost:99999"}]
    conf["limitz"] = {}
    conf["sources"][0]["verify"]["scheme"] = "flagrite"
    conf["sources"].append({"name": "b", "path": "/b", "verify": {
        "scheme": "flagright", "secrets": [{"env": "HK_NOT_SET_ANYWHERE"}]}})
    d = Hookd(tmp_path, conf)
    rc, out = d.check()
    assert rc == 1
    lines = out.strip().splitlines()
    assert any('hookd.json:' in l and 'limitz: unknown key: did you mean "limits"?' in l for l in lines)
    assert any('listen[0].address: "localhost:99999" is not an address' in l for l in lines)
    assert any('sources[0].verify.scheme: unknown scheme "flagrite": use one of' in l for l in lines)
    assert any("sources[1].verify.secrets[0]: environment variable HK_NOT_SET_ANYWHERE is not set"
               in l for l in lines)
    # file:line:col: on every line
    assert all(l.split(":")[0] == "hookd.json" and l.split(":")[1].isdigit() for l in lines), lines


def test_check_syntax_error_has_position(tmp_path):
    d = Hookd(tmp_path)
    (d.dir / "hookd.json").write_text('{\n  "listen": [\n    {"address": "127.0.0.1:0",}\n  ]\n}\n')
    rc, out = d.check()
    assert rc == 1
    assert "hookd.json:3:" in out and "invalid JSON" in out


def test_start_with_broken_config_exits_1(tmp_path):
    d = Hookd(tmp_path, {"listen": []})
    d.start(wait=False)
    assert d.proc.wait(20) == 1
    assert "configuration error" in d.log()


def test_missing_directory(tmp_path):
    p = subprocess.run([HOOKD, "-t", "-c", str(tmp_path / "nope")], capture_output=True, text=True)
    assert p.returncode == 1
    assert "cannot open the configuration directory" in p.stderr


def test_port_in_use_is_refused(tmp_path, make_hookd):
    a = make_hookd()
    conf = base_config(listen=[{"address": "127.0.0.1:%d" % a.port}])
    b = make_hookd(conf, start=False)
    b.start(wait=False)
    assert b.proc.wait(20) == 1
    assert "cannot listen" in b.log() and "another process uses this address" in b.log()


def test_inline_secret_warned(tmp_path, make_hookd):
    conf = base_config()
    conf["sources"][0]["verify"]["secrets"] = [{"value": "inline-secret-value"}]
    d = make_hookd(conf)
    d.stop()
    assert "secrets are written inline" in d.log()
    assert "inline-secret-value" not in d.log()
    json.dumps(conf)


OPERATOR_COMMANDS = [["status"], ["reload"], ["dlq"], ["dlq", "list"], ["dlq", "show"],
                     ["dlq", "replay"], ["dlq", "purge"]]


def test_every_operator_command_answers_help_and_bad_flags():
    """--help and -h print the usage on standard output and exit 0; an unknown flag prints it
    on standard error and exits 2; nothing reaches the admin API, nothing crashes."""
    for cmd in OPERATOR_COMMANDS:
        for flag in ("--help", "-h"):
            p = subprocess.run([HOOKD, *cmd, flag], capture_output=True, text=True, timeout=30)
            assert (p.returncode, p.stderr) == (0, ""), (cmd, flag, p.returncode, p.stderr)
            assert p.stdout.startswith("usage: hookd dlq list"), (cmd, flag)
        p = subprocess.run([HOOKD, *cmd, "--bogus"], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (cmd, p.returncode, p.stderr)
        assert "usage: hookd" in p.stderr and p.stdout == "", cmd


def test_a_secret_file_everyone_can_read_is_warned_about(tmp_path):
    d = Hookd(tmp_path)
    rc, out = d.check()
    assert rc == 0 and "readable by every user" not in out  # 0600: nothing to say
    (d.dir / "secrets" / "old").chmod(0o644)
    rc, out = d.check()
    assert rc == 0, out
    assert ('hookd: warning: source "flagright": secret file secrets/old is readable by every '
            'user (mode 0644): chmod 600 it, owned by the user hookd runs as') in out
    assert "00000000-0000" not in out  # never the secret itself


def test_a_source_with_a_problem_gives_one_error_not_a_follow_up(tmp_path):
    """An unset secret is one error: the plugin naming that source is not wrong as well
    (issue #16, item 6)."""
    conf = base_config()
    conf["sources"][0]["verify"]["secrets"] = [{"env": "HK_SECRET_NOT_SET_HERE"}]
    d = Hookd(tmp_path, conf, {"20-hello.json": {"plugin": fixture("recorder"), "name": "hello",
                                                 "sources": ["flagright", "nope"],
                                                 "config": {"path": str(tmp_path / "r")}}})
    rc, out = d.check()
    assert rc == 1
    assert "environment variable HK_SECRET_NOT_SET_HERE is not set" in out
    assert "sources[0]: not the name of a source" not in out
    assert re.search(r"plugins.d/20-hello.json:\d+:\d+: sources\[1\]: not the name of a source",
                     out), out


def test_plugin_config_errors_name_file_line_and_column(tmp_path):
    """Problems only the plugin's own checks find (a key it does not take, an init() that
    fails) point at FILE:LINE:COL like every other configuration error."""
    d = Hookd(tmp_path, base_config(), {
        "20-keys.json": {"plugin": fixture("recorder"), "name": "keys",
                         "config": {"path": str(tmp_path / "r"), "colour": "red"}},
        "30-init.json": {"plugin": fixture("init_fail"), "name": "init"}})
    rc, out = d.check()
    assert rc == 1
    assert re.search(r'plugins.d/20-keys.json:\d+:\d+: config.colour: plugin "recorder" accepts '
                     r'no key "colour"', out), out
    assert re.search(r'plugins.d/30-init.json:\d+:\d+: plugin "init_fail" failed to start', out), out


def test_operator_commands_read_admin_as_hookd_does(tmp_path):
    """The commands read "admin" with hookd's own parser: with the API off they say so, and a
    section hookd would refuse is refused with hookd's message, not tried."""
    d = Hookd(tmp_path)
    d.write_config(base_config(admin=False))
    p = subprocess.run([HOOKD, "status", "-c", str(d.dir)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2 and "the admin API is off" in p.stderr, p.stderr
    d.write_config(base_config(admin={"address": "0.0.0.0:9091"}))
    p = subprocess.run([HOOKD, "status", "-c", str(d.dir)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2 and "can be reached from other machines" in p.stderr, p.stderr
