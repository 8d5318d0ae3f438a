"""systemd's notify protocol against the real daemon (issue #15): READY once it serves,
RELOADING then READY around a reload, STOPPING at SIGTERM, and the watchdog's keep-alive, all
read from a real NOTIFY_SOCKET datagram socket as systemd would."""
import signal
import socket
import time

from harness import base_config


class NotifySocket:
    def __init__(self, path):
        self.path = str(path)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.s.settimeout(0.2)
        self.messages = []

    def wait(self, what, limit=30):
        deadline = time.time() + limit  # a bound on waiting, not a speed requirement
        while time.time() < deadline:
            if any(what in m for m in self.messages):
                return [m for m in self.messages if what in m]
            try:
                self.messages.append(self.s.recv(4096).decode())
            except socket.timeout:
                pass
        raise AssertionError("no %r from hookd; got %r" % (what, self.messages))


def test_ready_reloading_stopping_and_watchdog(make_hookd, tmp_path):
    n = NotifySocket(tmp_path / "notify.sock")
    d = make_hookd(base_config(), env={"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "400000"})
    ready = n.wait("READY=1")[0]
    assert "STATUS=serving, configuration generation 1" in ready
    assert len(n.wait("WATCHDOG=1")) >= 1
    d.send_signal(signal.SIGHUP)
    reloading = n.wait("RELOADING=1")[0]
    assert "MONOTONIC_USEC=" in reloading
    n.wait("generation 2")  # READY=1 again, with the new generation in STATUS
    assert [m for m in n.messages if "READY=1" in m][-1].find("generation 2") > 0
    before = len(n.messages)
    n.wait("WATCHDOG=1")
    assert d.stop() == 0
    assert "STOPPING=1" in "".join(n.wait("STOPPING=1"))
    assert len(n.messages) > before
