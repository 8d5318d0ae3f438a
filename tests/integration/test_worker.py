"""`hookd worker`: one plugin instance in a process of its own, driven over a socketpair the
way hookd drives it (plugin/wire.h): INIT, HELLO, EVENT, RESULT. A real .so runs in it with
the host API (config, headers, counters); a broken INIT is answered with the reason; a
crash ends the worker alone, with its crash line, and the socket says so."""
import os
import re
import signal
import socket
import struct
import subprocess

from harness import HOOKD, fixture

INIT, HELLO, EVENT, RESULT = 1, 2, 3, 4


def s(v):
    b = v if isinstance(v, bytes) else v.encode()
    return struct.pack("<I", len(b)) + b


def frame(kind, payload):
    body = bytes([kind]) + payload
    return struct.pack("<I", len(body)) + body


class Reader:
    def __init__(self, data):
        self.d, self.at = data, 0

    def u(self, fmt):
        v = struct.unpack_from("<" + fmt, self.d, self.at)[0]
        self.at += struct.calcsize("<" + fmt)
        return v

    def s(self):
        n = self.u("I")
        v = self.d[self.at:self.at + n].decode()
        self.at += n
        return v


class Worker:
    def __init__(self, tmp_path):
        ours, theirs = socket.socketpair()
        self.sock = ours
        self.err_path = tmp_path / "worker.log"
        self.err = open(self.err_path, "wb")
        fd = theirs.fileno()
        self.proc = subprocess.Popen([HOOKD, "worker"], stderr=self.err, close_fds=False,
                                     preexec_fn=lambda: os.dup2(fd, 3))
        theirs.close()
        self.sock.settimeout(30)

    def read_frame(self):
        head = self._exactly(4)
        if head is None:
            return None
        n = struct.unpack("<I", head)[0]
        body = self._exactly(n)
        return body[0], Reader(body[1:])

    def _exactly(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def init(self, name, so, config):
        self.sock.sendall(frame(INIT, s(name) + s(so) + s(config) +
                                 struct.pack("<QIBII", 0, 0, 0, 0, 0)))
        kind, r = self.read_frame()
        assert kind == HELLO
        ok, flags = r.u("B"), r.u("I")
        plugin, version, error = r.s(), r.s(), r.s()
        subs = [r.s() for _ in range(r.u("I"))]
        return ok, plugin, version, error, subs

    def event(self, delivery, eid, etype, body=b"{}", headers=""):
        self.sock.sendall(frame(EVENT, struct.pack("<qIqqq", delivery, 1, 1, 2, 30000) + s(eid) +
                                s(etype) + s("flagright") + s(headers) + s(body)))

    def result(self):
        got = self.read_frame()
        if got is None:
            return None
        kind, r = got
        assert kind == RESULT
        delivery, result, error = r.u("q"), r.u("i"), r.s()
        metrics = {}
        for _ in range(r.u("I")):
            name, gauge, value = r.s(), r.u("B"), r.u("q")
            metrics[name] = value
        return delivery, result, error, metrics

    def log(self):
        return self.err_path.read_text(errors="replace")

    def close(self):
        self.sock.close()
        code = self.proc.wait(30)
        self.err.close()
        return code


def test_not_a_command_for_people():
    p = subprocess.run([HOOKD, "worker"], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 2
    assert "hookd starts this mode itself" in p.stderr


def test_a_plugin_runs_in_its_worker(tmp_path):
    out = tmp_path / "seen.txt"
    w = Worker(tmp_path)
    ok, plugin, version, error, subs = w.init(
        "rec", fixture("recorder"), '{"path": "%s", "header": "x-trace"}' % out)
    assert (ok, plugin, version, error, subs) == (1, "recorder", "1.0", "", ["*"])
    for i in range(1, 4):
        w.event(i, "e%d" % i, "CASE_CLOSED", headers="x-trace: t%d\n" % i)
        delivery, result, error, metrics = w.result()
        assert (delivery, result, error) == (i, 0, "")
        assert metrics["recorded"] == i  # the instance's counter, as it is after the call
    assert out.read_text().splitlines() == ["rec e%d CASE_CLOSED 1 x-trace=t%d" % (i, i)
                                           for i in range(1, 4)]
    assert w.close() == 0  # hookd closed the socket: fini() and a clean exit
    assert "recorder fini" in w.log()


def test_a_broken_init_is_answered_with_the_reason(tmp_path):
    w = Worker(tmp_path)
    ok, _, _, error, _ = w.init("gone", str(tmp_path / "missing.so"), "")
    assert ok == 0
    assert "missing.so" in error
    assert w.close() == 1
    w = Worker(tmp_path)
    ok, _, _, error, _ = w.init("rec", fixture("recorder"), '{"nope": 1}')
    assert ok == 0 and '"nope"' in error  # unknown config keys fail the load, as in hookd


def test_a_crash_ends_the_worker_alone(tmp_path):
    w = Worker(tmp_path)
    assert w.init("p", fixture("poison"), "{}")[0] == 1
    w.event(7, "fine-1", "CASE_CLOSED")
    assert w.result()[1] == 0
    w.event(8, "poison-1", "POISON")
    assert w.result() is None  # the socket closed: the worker is gone, hookd is not
    assert w.close() == -signal.SIGSEGV
    m = re.search(r'msg="hookd crashed" signal=SIGSEGV culprit=plugin instance="p" '
                  r'plugin="[^"]*poison.so" event="poison-1" delivery=8', w.log())
    assert m, w.log()
