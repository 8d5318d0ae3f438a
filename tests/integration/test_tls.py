"""TLS listeners against the real daemon, with clients hookd does not control: Python's ssl,
curl and openssl s_client. Every certificate is made with the openssl command line at test
time, in a temporary directory (no key is ever committed)."""
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
import warnings

import pytest

from harness import (SANITIZED, Client, Hookd, Response, base_config, events, flagright_sig,
                     request, signed_post)

HANDSHAKE_TIMEOUT_MS = 1000
TIMEOUT_SLACK_S = 4 if SANITIZED else 2
CLIENT_SUBJECT = "CN=sender.example, O=Sender"

CA_CNF = """[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
"""


def openssl(*args, cwd, stdin=None):
    p = subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def make_ca(d, name, cn):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-sha256", "-days", "30", "-subj", "/CN=" + cn, "-keyout", name + ".key",
            "-out", name + ".crt", cwd=d)


def make_cert(d, name, subj, ca, san=None, rsa=False, client=False):
    """A key and a certificate signed by the CA pair named ca."""
    newkey = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt",
                                                  "ec_paramgen_curve:P-256"]
    openssl("req", "-new", *newkey, "-nodes", "-subj", subj, "-keyout", name + ".key",
            "-out", name + ".csr", cwd=d)
    ext = ["extendedKeyUsage=" + ("clientAuth" if client else "serverAuth")]
    if san:
        ext.append("subjectAltName=" + san)
    (d / (name + ".ext")).write_text("\n".join(ext) + "\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "30", "-sha256", "-extfile", name + ".ext",
            "-out", name + ".crt", cwd=d)


def make_expired(d):
    """A self-signed certificate valid in 2000 only (openssl ca takes explicit dates)."""
    (d / "ca.cnf").write_text(CA_CNF)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=expired.example", "-keyout", "expired.key", "-out", "expired.csr",
            cwd=d)
    openssl("ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "expired.key",
            "-in", "expired.csr", "-out", "expired.crt", "-startdate", "20000101000000Z",
            "-enddate", "20010101000000Z", cwd=d)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca", "Test Server CA")
    make_cert(d, "server", "/CN=localhost", "ca", san="DNS:localhost,IP:127.0.0.1")
    make_cert(d, "a", "/CN=a.example", "ca", san="DNS:a.example")
    make_cert(d, "b", "/CN=b.example", "ca", san="DNS:b.example", rsa=True)
    make_ca(d, "clients-ca", "Test Clients CA")
    make_cert(d, "client", "/CN=sender.example/O=Sender", "clients-ca", client=True)
    make_ca(d, "other-ca", "Other CA")
    make_cert(d, "stranger", "/CN=stranger.example", "other-ca", client=True)
    make_expired(d)
    openssl("ec", "-in", "server.key", "-aes256", "-passout", "pass:s3cret", "-out",
            "server-enc.key", cwd=d)
    openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:s3cret", "-out",
            "server-pkcs8.key", cwd=d)
    (d / "garbage.crt").write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                                   "-----END CERTIFICATE-----\n")
    return d


def tls_conf(pki, **extra):
    t = {"cert": str(pki / "server.crt"), "key": str(pki / "server.key")}
    t.update(extra)
    return t


@pytest.fixture(scope="module")
def d(pki, tmp_path_factory):
    """A TLS listener (certificates relative to the config dir, SNI, a short handshake
    timeout), a plain one, and a TLS one behind the PROXY protocol."""
    tmp = tmp_path_factory.mktemp("tls")
    (tmp / "conf" / "tls").mkdir(parents=True)
    for f in ("server.crt", "server.key", "a.crt", "a.key", "b.crt", "b.key"):
        shutil.copy(pki / f, tmp / "conf" / "tls" / f)
    tls = {"cert": "tls/server.crt", "key": "tls/server.key",
           "handshake_timeout_ms": HANDSHAKE_TIMEOUT_MS,
           "sni": [{"names": ["a.example"], "cert": "tls/a.crt", "key": "tls/a.key"},
                   {"names": ["b.example"], "cert": "tls/b.crt", "key": "tls/b.key"}]}
    conf = base_config(listen=[{"address": "127.0.0.1:0", "tls": tls},
                               {"address": "127.0.0.1:0"},
                               {"address": "127.0.0.1:0", "tls": tls, "proxy_protocol": True}])
    h = Hookd(tmp, conf).start()
    assert len(h.ports) == 3
    yield h
    h.stop()


def client_ctx(pki, cert=None):
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if cert:
        ctx.load_cert_chain(str(pki / (cert + ".crt")), str(pki / (cert + ".key")))
    return ctx


class TLSClient(Client):
    """harness.Client over TLS."""

    def __init__(self, port, ctx, server_hostname="localhost", timeout=10):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname)
        self.buf = b""


def s_client(port, *args, stdin="", timeout=30):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, *args],
                       input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


# ---- handshakes and requests ----

def test_python_ssl_posts_signed_events(d, pki):
    c = TLSClient(d.ports[0], client_ctx(pki))
    try:
        assert c.sock.version() == "TLSv1.2"
        assert c.sock.cipher()[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"
        for raw, ev in events()[:5]:  # several requests on one keep-alive connection
            r = c.exchange(signed_post(raw))
            assert r.status == 200, r.body
            assert r.json()["id"] == ev["id"]
            assert r.headers["strict-transport-security"] == "max-age=31536000"
            assert r.headers["x-content-type-options"] == "nosniff"
    finally:
        c.close()


def test_curl_posts_signed_event(d, pki, tmp_path):
    raw, ev = events()[5]
    body = tmp_path / "body.json"
    body.write_bytes(raw)
    port = d.ports[0]
    p = subprocess.run(
        ["curl", "-sS", "-v", "--cacert", str(pki / "ca.crt"),
         "--resolve", "localhost:%d:127.0.0.1" % port,
         "-H", "Content-Type: application/json",
         "-H", "x-flagright-signature: " + flagright_sig(raw, "MOCK_SECRET_KEY"),
         "--data-binary", "@" + str(body), "-w", "\n%{http_code} %{http_version}",
         "https://localhost:%d/webhooks/flagright" % port],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip().endswith("200 1.1"), p.stdout
    assert json.loads(p.stdout.splitlines()[0])["id"] == ev["id"]
    assert "ALPN: server accepted http/1.1" in p.stderr


def test_plain_listener_still_plain(d):
    raw, _ = events()[6]
    c = Client(d.ports[1])
    try:
        r = c.exchange(signed_post(raw))
        assert r.status == 200
        assert "strict-transport-security" not in r.headers  # meaningless without TLS
    finally:
        c.close()


def test_alpn_is_http11(d, pki):
    ctx = client_ctx(pki)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    c = TLSClient(d.ports[0], ctx)
    try:
        assert c.sock.selected_alpn_protocol() == "http/1.1"
    finally:
        c.close()


def test_plain_http_to_tls_port_is_closed(d):
    c = Client(d.ports[0])
    try:
        c.send(request("GET", "/"))
        assert c.closed_by_peer()
    finally:
        c.close()
    d.wait_log(r'msg="TLS handshake failed" peer=127\.0\.0\.1')


class BIOClient:
    """TLS over a socket through memory BIOs, so the first flight can follow a PROXY header
    in the very same segment."""

    def __init__(self, port, ctx, prefix=b""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(prefix + self.out.read())
                prefix = b""
                self._fill()
        self.sock.sendall(self.out.read())

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by hookd")
        self.inc.write(chunk)

    def exchange(self, data):
        self.tls.write(data)
        self.sock.sendall(self.out.read())
        buf = b""
        while True:
            try:
                buf += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._fill()
                continue
            head, sep, body = buf.partition(b"\r\n\r\n")
            n = re.search(rb"(?i)content-length: *(\d+)", head) if sep else None
            if n and len(body) >= int(n.group(1)):
                return Response(int(head.split()[1]), {}, body)

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("same_segment", [False, True])
def test_proxy_header_before_tls(d, pki, same_segment):
    header = b"PROXY TCP4 203.0.113.%d 127.0.0.1 5555 443\r\n" % (7 + same_segment)
    if same_segment:  # the ClientHello follows the header in one write
        c = BIOClient(d.ports[2], client_ctx(pki), prefix=header)
    else:
        s = socket.create_connection(("127.0.0.1", d.ports[2]), timeout=10)
        s.sendall(header)
        time.sleep(0.05)
        c = TLSClient.__new__(TLSClient)
        c.sock, c.buf = client_ctx(pki).wrap_socket(s, server_hostname="localhost"), b""
    try:
        raw, _ = events()[9 + same_segment]
        r = c.exchange(signed_post(raw))
        assert r.status == 200
    finally:
        c.close()
    d.wait_log(r"msg=access peer=203\.0\.113\.%d method=POST" % (7 + same_segment))


# ---- the policy, seen by other clients ----

@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_protocols_refused_by_the_server(d, version):
    # SECLEVEL=0 lets Debian's OpenSSL offer them at all: the refusal must come from hookd.
    rc, out = s_client(d.ports[0], version, "-cipher", "DEFAULT:@SECLEVEL=0")
    assert rc != 0
    assert "alert protocol version" in out, out


def test_python_tls11_refused_by_the_server(d):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError, match="TLSV1_ALERT_PROTOCOL_VERSION"):
        TLSClient(d.ports[0], ctx)


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA",
                                    "ECDHE-RSA-AES128-SHA256", "AES128-GCM-SHA256"])
def test_weak_suites_refused(d, cipher):
    rc, out = s_client(d.ports[0], "-tls1_2", "-cipher", cipher)
    assert rc != 0
    assert "alert handshake failure" in out, out


def test_session_resumption_with_tickets(d, pki):
    rc, out = s_client(d.ports[0], "-reconnect", "-CAfile", str(pki / "ca.crt"),
                       "-servername", "localhost")
    assert rc == 0, out
    assert re.search(r"^New, TLSv1\.2", out, re.M), out
    assert len(re.findall(r"^Reused, TLSv1\.2", out, re.M)) >= 4, out
    assert "TLS session ticket lifetime hint" in out


def test_client_renegotiation_refused(d):
    rc, out = s_client(d.ports[0], "-tls1_2", stdin="R\n")  # "R": renegotiate
    assert "Secure Renegotiation IS supported" in out, out  # the RFC 5746 indication
    assert "RENEGOTIATING" in out and "no renegotiation" in out, out  # hookd's alert


# ---- the handshake timeout ----

def closed_after(sock, limit):
    """Seconds until the peer closed sock, or None if it stayed open for limit seconds."""
    start = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def test_silent_client_closed_by_handshake_timeout(d):
    s = socket.create_connection(("127.0.0.1", d.ports[0]))
    try:
        took = closed_after(s, HANDSHAKE_TIMEOUT_MS / 1000 + TIMEOUT_SLACK_S)
        assert took is not None, "a client that sends nothing was not closed"
        assert took >= HANDSHAKE_TIMEOUT_MS / 1000 * 0.8
    finally:
        s.close()


def test_stalled_handshake_closed_by_handshake_timeout(d):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = out.read()
    s = socket.create_connection(("127.0.0.1", d.ports[0]))
    try:
        s.sendall(hello[:len(hello) // 2])  # half a ClientHello, then nothing
        took = closed_after(s, HANDSHAKE_TIMEOUT_MS / 1000 + TIMEOUT_SLACK_S)
        assert took is not None, "a stalled handshake was not closed"
    finally:
        s.close()


# ---- SNI ----

def peer_cn(port, ctx, name):
    c = TLSClient(port, ctx, server_hostname=name)
    try:
        subject = dict(x[0] for x in c.sock.getpeercert()["subject"])
        return subject["commonName"], c.sock.cipher()[0]
    finally:
        c.close()


def test_sni_picks_the_certificate(d, pki):
    ctx = client_ctx(pki)
    assert peer_cn(d.ports[0], ctx, "a.example") == ("a.example", "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert peer_cn(d.ports[0], ctx, "b.example") == ("b.example", "ECDHE-RSA-AES256-GCM-SHA384")
    assert peer_cn(d.ports[0], ctx, "localhost")[0] == "localhost"
    ctx.check_hostname = False
    assert peer_cn(d.ports[0], ctx, "unknown.example")[0] == "localhost"  # the default


# ---- client certificates ----

@pytest.fixture(scope="module")
def m(pki, tmp_path_factory):
    """Listeners: [0] asks for a client certificate, [1] requires one, [2] plain HTTP."""
    conf = base_config(listen=[
        {"address": "127.0.0.1:0", "tls": tls_conf(pki, client_ca=str(pki / "clients-ca.crt"))},
        {"address": "127.0.0.1:0", "tls": tls_conf(pki, client_ca=str(pki / "clients-ca.crt"),
                                                   require_client_cert=True)},
        {"address": "127.0.0.1:0"}])
    conf["sources"] += [
        {"name": "mtls", "path": "/wh/mtls", "verify": {"scheme": "none"},
         "require_client_cert": True, "event": {"id": "/id", "type": "/type"}},
        {"name": "mtls-listed", "path": "/wh/listed", "verify": {"scheme": "none"},
         "require_client_cert": True, "client_subjects": ["CN = sender.example,O = Sender"],
         "event": {"id": "/id", "type": "/type"}},
        {"name": "mtls-other", "path": "/wh/other", "verify": {"scheme": "none"},
         "require_client_cert": True, "client_subjects": ["CN=someone.else"],
         "event": {"id": "/id", "type": "/type"}},
    ]
    h = Hookd(tmp_path_factory.mktemp("mtls"), conf).start()
    assert len(h.ports) == 3
    yield h
    h.stop()


def post_json(c, path, n):
    body = json.dumps({"id": "mtls-%d" % n, "type": "PING"}).encode()
    return c.exchange(request("POST", path, body, {"Content-Type": "application/json"}))


def test_client_cert_signed_by_the_ca_accepted(m, pki):
    for port in m.ports[:2]:
        c = TLSClient(port, client_ctx(pki, "client"))
        try:
            assert post_json(c, "/wh/mtls", port).status == 200
            assert post_json(c, "/wh/listed", port).status == 200
            raw, _ = events()[7]
            assert c.exchange(signed_post(raw)).status == 200  # sources without the need
            assert post_json(c, "/wh/other", port).status == 403  # not in client_subjects
        finally:
            c.close()
    m.wait_log(r'msg=access .*path=/wh/mtls status=200 .*client_cert="%s"' % CLIENT_SUBJECT)
    m.wait_log(r'msg="client certificate not allowed for this source" source=mtls-other')


def test_required_client_cert_missing_or_foreign_refused(m, pki):
    for cert in (None, "stranger"):
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            c = TLSClient(m.ports[1], client_ctx(pki, cert))
            # TLS 1.2: the client learns of the refusal on its first read at the latest
            post_json(c, "/wh/mtls", 0)
    m.wait_log(r'msg="TLS handshake failed" .*reason=', count=2)


def test_source_requiring_client_cert_refuses_without_one(m, pki):
    for cert in (None, "stranger"):  # asked, not required: the connection is accepted
        c = TLSClient(m.ports[0], client_ctx(pki, cert))
        try:
            assert post_json(c, "/wh/mtls", 1).status == 403
        finally:
            c.close()
    c = Client(m.ports[2])  # plain HTTP can never carry one
    try:
        assert post_json(c, "/wh/mtls", 2).status == 403
    finally:
        c.close()
    m.wait_log(r'msg="request without a verified client certificate refused" source=mtls',
               count=3)


# ---- configuration messages (hookd -t) ----

def check(tmp_path, pki, tls):
    conf = base_config(listen=[{"address": "127.0.0.1:0", "tls": tls}])
    return Hookd(tmp_path, conf).check()


def test_check_valid_tls(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki))
    assert rc == 0, out
    assert "warning" not in out


def test_check_bad_pem(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki, cert=str(pki / "garbage.crt")))
    assert rc == 1
    assert re.search(r"hookd\.json:\d+:\d+: listen\[0\]\.tls\.cert: cannot parse the PEM "
                     r"certificate\(s\) in \S+garbage\.crt: .*: the file must hold", out), out
    rc, out = check(tmp_path, pki, tls_conf(pki, cert=str(pki / "server.csr")))
    assert rc == 1 and "cannot parse the PEM certificate(s)" in out, out


def test_check_unreadable_file(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki, key="nope.key"))
    assert rc == 1
    assert "listen[0].tls.key: cannot read private key file " in out
    assert "nope.key: no such file or entry: fix the path" in out


def test_check_key_not_matching(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki, key=str(pki / "a.key")))
    assert rc == 1
    assert re.search(r"listen\[0\]\.tls\.key: private key \S+/a\.key does not belong to "
                     r"certificate \S+/server\.crt: give the key the certificate was issued "
                     r"for", out), out


def test_check_expired_certificate_warns(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki, cert=str(pki / "expired.crt"),
                                            key=str(pki / "expired.key")))
    assert rc == 0, out
    assert re.search(r"hookd: warning: hookd\.json:\d+:\d+: listen\[0\]\.tls\.cert: "
                     r"certificate \S+expired\.crt \(CN=expired\.example\) expired on "
                     r"2001-01-01 00:00:00 UTC: clients will refuse it; renew it", out), out


def test_check_key_passwords(tmp_path, pki):
    enc = str(pki / "server-enc.key")
    rc, out = check(tmp_path, pki, tls_conf(pki, key=enc))
    assert rc == 1
    assert "private key %s is encrypted: give its password in \"key_password\"" % enc in out
    rc, out = check(tmp_path, pki, tls_conf(pki, key=enc, key_password={"value": "wrong"}))
    assert rc == 1
    assert re.search(r"listen\[0\]\.tls\.key_password: wrong password for private key \S+ "
                     r"\(from inline value #1\)", out), out
    (tmp_path / "conf" / "key-pass").write_text("s3cret\n")
    rc, out = check(tmp_path, pki, tls_conf(pki, key=enc, key_password={"file": "key-pass"}))
    assert rc == 0, out
    rc, out = check(tmp_path, pki, tls_conf(pki, key=str(pki / "server-pkcs8.key"),
                                            key_password={"file": "key-pass"}))
    assert rc == 1
    assert "mbedTLS 2.28 cannot read (PKCS#8 with AES): re-encrypt it" in out, out


def test_check_client_cert_settings(tmp_path, pki):
    rc, out = check(tmp_path, pki, tls_conf(pki, require_client_cert=True))
    assert rc == 1 and "listen[0].tls.require_client_cert: needs \"client_ca\"" in out, out


def test_encrypted_key_serves(make_hookd, pki):
    tls = tls_conf(pki, key=str(pki / "server-enc.key"), key_password={"env": "HK_TLS_KEY_PW"})
    h = make_hookd(base_config(listen=[{"address": "127.0.0.1:0", "tls": tls}]),
                   env={"HK_TLS_KEY_PW": "s3cret"})
    raw, _ = events()[8]
    c = TLSClient(h.port, client_ctx(pki))
    try:
        assert c.exchange(signed_post(raw)).status == 200
    finally:
        c.close()
    assert "s3cret" not in h.log()


# ---- certificates on reload ----

def test_certificates_reload_all_or_nothing(pki, tmp_path):
    """SIGHUP swaps the certificate for new connections on the same socket; a certificate
    whose key does not match leaves the previous one serving."""
    import signal
    import json as _json
    import urllib.request
    conf_dir = tmp_path / "d"
    conf_dir.mkdir()
    (conf_dir / "conf" / "tls").mkdir(parents=True)
    for f in ("server.crt", "server.key", "a.crt", "a.key"):
        shutil.copy(pki / f, conf_dir / "conf" / "tls" / f)
    conf = base_config(listen=[{"address": "127.0.0.1:0",
                                "tls": {"cert": "tls/server.crt", "key": "tls/server.key"}}])
    h = Hookd(conf_dir, conf).start()
    try:
        ctx = client_ctx(pki)
        ctx.check_hostname = False
        assert peer_cn(h.port, ctx, "localhost")[0] == "localhost"
        conf["listen"][0]["tls"] = {"cert": "tls/a.crt", "key": "tls/a.key"}
        h.write_config(conf)
        h.send_signal(signal.SIGHUP)
        h.wait_log(r"msg=reloaded generation=2")
        assert peer_cn(h.port, ctx, "localhost")[0] == "a.example"  # same port, new cert
        conf["listen"][0]["tls"] = {"cert": "tls/server.crt", "key": "tls/a.key"}  # mismatch
        h.write_config(conf)
        h.send_signal(signal.SIGHUP)
        h.wait_log(r"reload failed: the previous configuration keeps serving")
        st = _json.loads(urllib.request.urlopen("http://127.0.0.1:%d/reload" % h.admin_port)
                         .read())
        assert st["result"] == "failed" and st["generation"] == 2
        assert "does not belong to certificate" in st["message"]
        assert peer_cn(h.port, ctx, "localhost")[0] == "a.example"  # still the good pair
    finally:
        h.stop()
