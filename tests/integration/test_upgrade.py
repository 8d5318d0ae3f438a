"""Taking over listening sockets (issue #15): hookd started with sockets passed as systemd's
socket activation passes them (LISTEN_FDS) serves on them, including the connections that
waited in their backlog before it ran, and closes a passed socket no listener wants."""
import os
import shutil
import signal
import socket
import threading

from harness import (HOOKD, Client, Hookd, base_config, db_rows, event_body, free_port,
                     signed_post, wait_for)


def listening(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    return s


def test_socket_activation_serves_what_waited_in_the_backlog(tmp_path):
    port, stray_port = free_port(), free_port()
    sock, stray = listening(port), listening(stray_port)
    # A sender connects and sends before hookd even runs: the kernel holds it in the backlog.
    early = Client(port)
    early.send(signed_post(event_body("early-1")))
    d = Hookd(tmp_path, base_config(listen=[{"address": "127.0.0.1:%d" % port}]))
    d.listen_fds = [sock.fileno(), stray.fileno()]
    d.start()
    sock.close()  # hookd has its own descriptors now
    stray.close()
    try:
        r = early.read_response()
        assert (r.status, r.json()["status"]) == (200, "accepted")
        assert Client(port).exchange(signed_post(event_body("later-1"))).status == 200
        log = d.log()
        assert 'msg="listening sockets passed in" count=2' in log
        assert "address=127.0.0.1:%d threads=2 tls=no passed_in=yes" % port in log
        assert 'msg="a passed listening socket matches no listener of the configuration: ' \
               'closed" address=127.0.0.1' in log
    finally:
        d.stop()


def install_binary(path):
    """Puts a copy of the built hookd at path by rename, as a package upgrade does: a new
    file under the same name, while the running process keeps the old one."""
    tmp = str(path) + ".new"
    shutil.copy(HOOKD, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def test_sigusr2_hands_the_listeners_to_the_new_binary_under_load(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    binary = bindir / "hookd"
    install_binary(binary)
    port, admin = free_port(), free_port()
    conf = base_config(listen=[{"address": "127.0.0.1:%d" % port}],
                       admin={"address": "127.0.0.1:%d" % admin},
                       log={"level": "info", "access": False})
    d = Hookd(tmp_path, conf)
    d.binary = str(binary)
    d.start()
    pid, old_exe = d.proc.pid, os.stat("/proc/%d/exe" % d.proc.pid).st_ino
    acked, failed, stop = [], [], threading.Event()

    def fresh(eid):  # a new connection per request: it must never be refused or dropped
        try:
            r = Client(port).exchange(signed_post(event_body(eid)))
            (acked if r.status == 200 else failed).append((eid, r.status))
        except OSError as e:
            failed.append((eid, repr(e)))

    def keepalive(prefix):  # one connection reused; as HTTP clients do, a request on a
        c, i = Client(port), 0  # reused connection the server closed unanswered is resent
        while not stop.is_set() and i < 3000:
            eid = "%s-%d" % (prefix, i)
            try:
                r = c.exchange(signed_post(event_body(eid)))
            except (OSError, ValueError):
                c = Client(port)  # a fresh one: from here on, a failure counts
                fresh(eid)
            else:
                (acked if r.status == 200 else failed).append((eid, r.status))
                if r.headers.get("connection") == "close":
                    c = Client(port)
            i += 1

    def news(prefix):
        i = 0
        while not stop.is_set() and i < 3000:  # bounded in count and time
            fresh("%s-%d" % (prefix, i))
            i += 1

    threads = [threading.Thread(target=keepalive, args=("ka",)),
               threading.Thread(target=news, args=("new",))]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 200, 60, "load before the upgrade")
    install_binary(binary)
    os.kill(pid, signal.SIGUSR2)
    d.wait_log(r'msg="upgraded: this binary took over the listeners"', 60)
    n = len(acked)
    wait_for(lambda: len(acked) >= n + 200, 60, "load after the upgrade")
    stop.set()
    for t in threads:
        t.join(60)
    assert failed == [], failed[:10]
    assert d.proc.pid == pid and d.proc.poll() is None  # the same process, still serving
    assert os.stat("/proc/%d/exe" % pid).st_ino != old_exe  # now the new file
    log = d.log()
    assert log.count('msg="hookd started"') == 2
    assert d.stop() == 0
    stored = {r[0] for r in db_rows(d.dir / "var" / "hookd.db", "SELECT event_id FROM events")}
    assert {eid for eid, _ in acked} <= stored  # nothing acknowledged was lost


def test_an_upgrade_to_a_broken_binary_keeps_the_old_one_serving(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    binary = bindir / "hookd"
    install_binary(binary)
    port = free_port()
    d = Hookd(tmp_path, base_config(listen=[{"address": "127.0.0.1:%d" % port}]))
    d.binary = str(binary)
    d.start()
    tmp = str(binary) + ".new"
    with open(tmp, "w") as f:
        f.write("#!/bin/sh\necho 'broken build: missing symbol' >&2\nexit 1\n")
    os.chmod(tmp, 0o755)
    os.replace(tmp, binary)
    os.kill(d.proc.pid, signal.SIGUSR2)
    d.wait_log(r'msg="upgrade refused: the new binary.s check failed; this hookd keeps serving"'
               r'.*broken build: missing symbol')
    assert Client(port).exchange(signed_post(event_body("still-1"))).status == 200
    assert d.proc.poll() is None
    assert d.stop() == 0
