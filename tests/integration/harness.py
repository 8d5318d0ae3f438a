"""harness.py -- start the real hookd on loopback, sign events, speak raw HTTP.

Every test gets its own configuration directory (pytest's tmp_path) and its own daemon,
listening on a port the kernel picks (address ":0" style) that is read back from hookd's
"listening" log line, so tests can run in parallel without port clashes.
"""
import fcntl
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

HOOKD = os.environ.get("HOOKD_BIN", "hookd")
DATA = os.environ.get("HOOKD_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
PLUGIN_DIR = os.environ.get("HOOKD_PLUGIN_DIR", "")
FIXTURE_DIR = os.environ.get("HOOKD_FIXTURE_DIR", "")
SOURCE_DIR = os.environ.get("HOOKD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("HOOKD_BUILD_DIR", "")
SANITIZED = bool(os.environ.get("HOOKD_SANITIZE"))

SECRET = "MOCK_SECRET_KEY"
OLD_SECRET = "00000000-0000-4000-8000-000000000000"


def fixture(name):
    """The path of a fixture plugin built from tests/fixtures/NAME.c."""
    return os.path.join(FIXTURE_DIR, name + ".so")


def wait_for(cond, limit=30, what="condition"):
    deadline = time.time() + limit  # a bound on waiting, not a speed requirement
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def free_port():
    """A port nobody listens on now, for a listener whose port a test must know before hookd
    logs it (or that must stay the same across restarts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect_at_once(port, proc=None, limit=30):
    """Connects to port in a tight loop; returns as soon as a connection succeeds. Fails at
    once if proc (a hookd that is starting) exits first."""
    deadline = time.time() + limit  # a bound on waiting, not a speed requirement
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc is None or proc.poll() is None, "hookd exited before it listened"
    raise AssertionError("nothing accepted a connection on port %d" % port)


def db_rows(db, sql, *args):
    """Rows of a query on a store file, opened read-only (hookd may be writing it)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def events():
    """Every event of the shared Flagright file, as (bytes, parsed) pairs."""
    with open(os.path.join(DATA, "flagright-events.jsonl"), "rb") as f:
        return [(line.rstrip(b"\n"), json.loads(line)) for line in f if line.strip()]


def flagright_sig(body: bytes, *secrets: str) -> str:
    """The x-flagright-signature value: one hex HMAC per secret, comma-separated."""
    return ",".join(hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)


def event_body(eid, etype="CASE_CLOSED"):
    """A compact Flagright event with id eid and type etype."""
    return json.dumps({"id": eid, "type": etype, "data": {}, "createdTimestamp": 1}).encode()


def quiet_config(**overrides):
    """base_config with info-level logs and no access lines (long-running tests)."""
    return base_config(log={"level": "info", "access": False}, **overrides)


def base_config(**overrides):
    conf = {
        "listen": [{"address": "127.0.0.1:0"}],
        "io_threads": 2,
        "check_threads": 2,
        "log": {"level": "debug", "access": True},
        "sources": [{
            "name": "flagright", "path": "/webhooks/flagright",
            "verify": {"scheme": "flagright",
                       "secrets": [{"env": "HK_FLAGRIGHT_SECRET"}, {"file": "secrets/old"}]},
        }],
        "plugin_dir": PLUGIN_DIR or "plugins",
        "admin": {"address": "127.0.0.1:0"},
    }
    conf.update(overrides)
    return conf


class Hookd:
    """One hookd process with its own configuration directory."""

    def __init__(self, tmp_path, config=None, plugins=None, env=None):
        self.dir = tmp_path / "conf"
        self.dir.mkdir(exist_ok=True)
        (self.dir / "secrets").mkdir(exist_ok=True)
        (self.dir / "secrets" / "old").write_text(OLD_SECRET + "\n")
        (self.dir / "secrets" / "old").chmod(0o600)  # as a secret file should be
        (self.dir / "plugins.d").mkdir(exist_ok=True)
        self.config = config if config is not None else base_config()
        self.plugins = plugins or {}
        self.env = dict(os.environ, HK_FLAGRIGHT_SECRET=SECRET, **(env or {}))
        self.proc = None
        self.preexec = None  # run in the child before exec (e.g. to set a resource limit)
        self.binary = HOOKD  # the program started (a copy, for an upgrade test)
        self.listen_fds = []  # sockets passed as systemd does (LISTEN_FDS), at 3, 4, ...
        self.port = None
        self.ports = []
        self.admin_port = None
        self.log_path = tmp_path / "hookd.log"
        self._log_offset = 0
        self.write_config()

    def write_config(self, config=None, plugins=None):
        if config is not None:
            self.config = config
        if plugins is not None:
            self.plugins = plugins
        (self.dir / "hookd.json").write_text(json.dumps(self.config, indent=2))
        pd = self.dir / "plugins.d"
        for f in pd.iterdir():
            f.unlink()
        for name, conf in self.plugins.items():
            (pd / name).write_text(conf if isinstance(conf, str) else json.dumps(conf, indent=2))

    def check(self):
        """hookd -t: (exit status, output)."""
        p = subprocess.run([HOOKD, "-t", "-c", str(self.dir)], env=self.env,
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def start(self, wait=True, timeout=20):
        # A restart appends to the same log: only what this process writes tells its ports.
        self._start_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log = open(self.log_path, "ab")
        argv, keep = [self.binary, "-c", str(self.dir)], ()
        if self.listen_fds:  # LISTEN_PID must be hookd's own: a shell sets it, then execs
            n = len(self.listen_fds)
            argv = ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=%d exec "$0" -c "$1"' % n] + argv[::2]
            keep = tuple(range(3, 3 + n))
        self.proc = subprocess.Popen(argv, env=self.env, stdout=self._log, stderr=self._log,
                                     preexec_fn=self._child_setup, pass_fds=keep)
        if wait:
            self.wait_ready(timeout)
        return self

    def _child_setup(self):
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in self.listen_fds]  # above 3, 4...
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i)
        if self.preexec:
            self.preexec()

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log_path.read_bytes()[self._start_offset:].decode(errors="replace")
            if "hookd started" in text:
                self.ports = [int(m) for m in re.findall(r'msg=listening address=\S+:(\d+)', text)]
                self.port = self.ports[0] if self.ports else None
                m = re.search(r'msg="admin listening" address=\S+:(\d+)', text)
                self.admin_port = int(m.group(1)) if m else None
                return
            if self.proc.poll() is not None:
                raise RuntimeError("hookd exited with %s:\n%s" % (self.proc.returncode, text))
            time.sleep(0.02)
        raise RuntimeError("hookd did not start:\n" + self.log())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, pattern, timeout=10, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(re.findall(pattern, self.log())) >= count:
                return
            time.sleep(0.02)
        raise AssertionError("log never matched %r:\n%s" % (pattern, self.log()[-4000:]))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    SANITIZER_MARKS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                       "ERROR: LeakSanitizer", "runtime error:")

    def assert_no_sanitizer_report(self):
        """Fails when a sanitizer build of the daemon reported anything in its log. hookd's own
        lines (ts=...) may quote a report, e.g. a reload probe's crash: those do not count."""
        raw = [l for l in self.log().splitlines() if not l.startswith("ts=")]
        for i, line in enumerate(raw):
            if any(mark in line for mark in self.SANITIZER_MARKS):
                raise AssertionError("sanitizer report in hookd's log:\n" + "\n".join(raw[i:i + 40]))

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        if self.proc:
            self._log.close()
        self.assert_no_sanitizer_report()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self._log.close()
        self.assert_no_sanitizer_report()


def request(method, path, body=b"", headers=None, http="HTTP/1.1"):
    """Raw request bytes with Host and Content-Length."""
    h = {"Host": "127.0.0.1", "Content-Length": str(len(body))}
    if headers:
        h.update(headers)
    lines = ["%s %s %s" % (method, path, http)] + ["%s: %s" % kv for kv in h.items() if kv[1] is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def signed_post(body, path="/webhooks/flagright", secrets=(SECRET,), header="x-flagright-signature",
                extra=None):
    h = {"Content-Type": "application/json", header: flagright_sig(body, *secrets)}
    h.update(extra or {})
    return request("POST", path, body, h)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Client:
    """A raw HTTP/1.1 client on one TCP connection, reading answers strictly in order."""

    def __init__(self, port, timeout=10, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by hookd")
        self.buf += chunk

    def read_response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Response(status, headers, body)

    def exchange(self, data):
        self.send(data)
        return self.read_response()

    def closed_by_peer(self, timeout=5):
        """True if hookd closes the connection (EOF or reset) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def post(port, body, **kw):
    c = Client(port)
    try:
        return c.exchange(signed_post(body, **kw))
    finally:
        c.close()
