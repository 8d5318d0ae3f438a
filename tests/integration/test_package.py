"""The Debian package (issue #15): scripts/package.sh builds it, dpkg installs it, the sample
configuration in /etc/hookd checks, the systemd unit passes systemd-analyze verify, and the
daemon runs from the installed files as the hookd user and accepts a signed event; dpkg
--purge takes it away. Runs as root (CI does), alone: it uses the sample's fixed ports."""
import os
import pwd
import re
import signal
import subprocess
import time

import pytest

from harness import Client, event_body, signed_post, flagright_sig, request, wait_for

SOURCE = os.environ.get("HOOKD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")


def run(*cmd, **kw):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=900, **kw)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i needs root (CI runs as root)")
def test_package_installs_checks_runs_as_hookd_and_purges(tmp_path):
    rc, out = run(os.path.join(SOURCE, "scripts", "package.sh"), cwd=SOURCE)
    assert rc == 0, out
    deb = os.path.join(SOURCE, out.strip().splitlines()[-1])
    assert re.search(r"hookd_\d+\.\d+\.\d+_\w+\.deb$", deb), out
    rc, out = run("dpkg", "-i", deb)
    assert rc == 0, out
    try:
        hookd = pwd.getpwnam("hookd")
        assert os.stat("/var/lib/hookd").st_uid == hookd.pw_uid
        secret_file = "/etc/hookd/secrets/flagright"
        assert oct(os.stat(secret_file).st_mode & 0o777) == "0o640"
        # As the unit's ExecStartPre does: as hookd (a check as root would leave the log
        # plugin's file owned by root).
        rc, out = run("runuser", "-u", "hookd", "--", "/usr/bin/hookd", "-t")  # /etc/hookd
        assert rc == 0 and "configuration /etc/hookd is valid" in out, out
        rc, out = run("systemd-analyze", "verify", "/lib/systemd/system/hookd.service")
        assert rc == 0, out
        log = open(tmp_path / "hookd.log", "wb")
        pid = None
        proc = subprocess.Popen(["runuser", "-u", "hookd", "--", "/usr/bin/hookd", "-c",
                                 "/etc/hookd"], stdout=log, stderr=log, cwd="/")
        try:
            wait_for(lambda: b"hookd started" in (tmp_path / "hookd.log").read_bytes() or
                     proc.poll() is not None, 60, "the installed hookd to start")
            assert proc.poll() is None, (tmp_path / "hookd.log").read_text()
            rc, out = run("pgrep", "-P", str(proc.pid), "-x", "hookd")  # runuser's child
            pid = int(out.split()[0]) if rc == 0 else proc.pid
            uid = [l for l in open("/proc/%d/status" % pid) if l.startswith("Uid:")][0]
            assert int(uid.split()[1]) == hookd.pw_uid  # runs as hookd, not root
            secret = open(secret_file).read().strip()
            eid = "packaged-%d" % time.time_ns()  # the store outlives a purge: a new id
            body = event_body(eid)
            raw = request("POST", "/webhooks/flagright", body,
                          {"Content-Type": "application/json",
                           "x-flagright-signature": flagright_sig(body, secret)})
            r = Client(8080).exchange(raw)
            assert (r.status, r.json()["status"]) == (200, "accepted"), r.body
            wait_for(lambda: os.path.exists("/var/log/hookd/events.log") and
                     eid in open("/var/log/hookd/events.log").read(), 30,
                     "the log plugin's line")
            rc, out = run("/usr/bin/hookd", "status")  # /etc/hookd's admin socket by default
            assert rc == 0 and out.startswith("hookd at /run/hookd/admin.sock: ready"), out
            os.kill(pid, signal.SIGTERM)  # hookd's PID, the one systemd would signal
            assert proc.wait(60) == 0, (tmp_path / "hookd.log").read_text()
        finally:
            for p in filter(None, (pid, proc.pid)):  # nothing this test started outlives it
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
    finally:
        rc, out = run("dpkg", "--purge", "hookd")
    assert rc == 0, out
    assert not os.path.exists("/usr/bin/hookd")
    assert not os.path.exists("/etc/hookd/hookd.json")
