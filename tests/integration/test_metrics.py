"""/metrics against the real daemon: it passes promtool's check (Debian's prometheus package,
installed by scripts/setup.sh), and a plugin's counters keep counting through a reload that
keeps its instance (issue #16, item 9)."""
import shutil
import signal
import subprocess
import time
import urllib.request

from harness import Client, base_config, event_body, fixture, signed_post


def recorder(name, path, **kw):
    conf = {"plugin": fixture("recorder"), "name": name, "config": {"path": str(path)}}
    conf.update(kw)
    return conf


def scrape(d):
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port).read().decode()


def wait_metric(d, line, limit=20):
    deadline = time.time() + limit  # a bound on waiting, not a speed requirement
    text = ""
    while time.time() < deadline:
        text = scrape(d)
        if line in text.splitlines():
            return text
        time.sleep(0.05)
    raise AssertionError("no %r in /metrics:\n%s" % (line, text))


def promtool_check(text):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    r = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                       timeout=60)
    assert r.returncode == 0, "promtool check metrics:\n%s%s" % (r.stdout.decode(),
                                                               r.stderr.decode())


def send(d, eid, etype="CASE_CLOSED"):
    r = Client(d.port).exchange(signed_post(event_body(eid, etype)))
    assert r.status == 200, r.body


def test_metrics_pass_promtool_and_plugin_counters_survive_a_reload(make_hookd, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    d = make_hookd(base_config(), {"10-a.json": recorder("a", a),
                                   "20-b.json": recorder("b", b)})
    for i in range(3):
        send(d, "before-%d" % i)
    wait_metric(d, 'hookd_plugin_recorded_total{instance="b"} 3')
    text = wait_metric(d, 'hookd_plugin_recorded_total{instance="a"} 3')
    promtool_check(text)
    # One family, one HELP and TYPE, however many instances report it.
    assert text.count("# TYPE hookd_plugin_recorded_total counter") == 1
    assert text.count("# TYPE hookd_lane_running gauge") == 1

    # A reload that keeps "a" (new settings) and replaces "b" by "c" (a new name).
    c = tmp_path / "c.txt"
    d.write_config(plugins={"10-a.json": recorder("a", a, concurrency=2),
                            "20-c.json": recorder("c", c)})
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"msg=reloaded generation=2")
    send(d, "after-0")
    wait_metric(d, 'hookd_plugin_recorded_total{instance="c"} 1')
    text = wait_metric(d, 'hookd_plugin_recorded_total{instance="a"} 4')
    assert 'hookd_plugin_recorded_total{instance="b"}' not in text  # b is gone
    promtool_check(text)
