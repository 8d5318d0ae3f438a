"""The admin API's access control against the real daemon (issue #15): admin.token as a
Bearer token on TCP, admin.socket (mode 0600) needing none, hookd -t refusing an open address
without a token, the CLI finding both from the configuration."""
import json
import os
import re
import stat
import subprocess
import urllib.error
import urllib.request

from harness import HOOKD, Hookd, base_config

TOKEN = "tok-3f9a1c5e77d24b0c9e1f"


def admin_get(d, path, token=None, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (d.admin_port, path), method=method)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def cli(*args, env=None):
    p = subprocess.run([HOOKD, *args], capture_output=True, text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def with_token(make_hookd, **admin):
    conf = base_config(admin=dict({"address": "127.0.0.1:0",
                                   "token": {"file": "secrets/admin-token"}}, **admin))
    d = make_hookd(conf, start=False)
    token = d.dir / "secrets" / "admin-token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    return d.start()


def test_token_required_on_tcp_except_healthz(make_hookd):
    d = with_token(make_hookd)
    assert admin_get(d, "/healthz")[0] == 200  # liveness probes need no secret
    for path, method in (("/metrics", "GET"), ("/reload", "GET"), ("/dlq/purge", "POST")):
        status, headers, body = admin_get(d, path, method=method)
        assert (status, json.loads(body)) == (401, {"error": "unauthorized"}), path
        assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = admin_get(d, "/metrics", token=TOKEN[:-1] + "x")
    assert status == 401 and TOKEN not in body
    status, _, body = admin_get(d, "/metrics", token=TOKEN)
    assert status == 200
    assert re.search(r"^hookd_admin_auth_failures_total 4$", body, re.M), body
    d.stop()
    log = d.log()
    assert TOKEN not in log
    assert 'msg="admin request refused: no valid token"' in log
    assert 'reason="no Authorization header"' in log


def test_cli_reads_the_token_from_the_configuration_or_a_file(make_hookd, tmp_path):
    d = with_token(make_hookd)
    address = "127.0.0.1:%d" % d.admin_port
    rc, out, err = cli("status", "--admin", address)
    assert rc == 1 and "401" in err and "--token-file" in err, (rc, out, err)
    tf = tmp_path / "token"
    tf.write_text(TOKEN + "\n")
    rc, out, err = cli("status", "--admin", address, "--token-file", str(tf))
    assert rc == 0 and "ready" in out, err
    conf = json.loads((d.dir / "hookd.json").read_text())
    conf["admin"]["address"] = address  # the CLI reads what hookd.json says
    (d.dir / "hookd.json").write_text(json.dumps(conf))
    rc, out, err = cli("status", "-c", str(d.dir))
    assert rc == 0 and "ready" in out, err
    assert TOKEN not in out + err


def test_check_refuses_an_open_admin_address_without_a_token(tmp_path):
    d = Hookd(tmp_path, base_config(admin={"address": "0.0.0.0:9999"}))
    rc, out = d.check()
    assert rc == 1
    assert re.search(r'hookd.json:\d+:\d+: admin.address: "0.0.0.0:9999" can be reached from '
                     r'other machines.*set "token"', out), out
    conf = base_config(admin={"address": "0.0.0.0:9999", "token": {"file": "secrets/admin-token"}})
    d.write_config(conf)
    (d.dir / "secrets" / "admin-token").write_text(TOKEN)
    (d.dir / "secrets" / "admin-token").chmod(0o600)
    rc, out = d.check()
    assert rc == 0, out
    (d.dir / "secrets" / "admin-token").write_text("short")
    rc, out = d.check()
    assert rc == 1 and "use at least 16 random bytes" in out and "short" not in out


def test_socket_needs_no_token_and_is_only_for_hookds_user(make_hookd):
    d = with_token(make_hookd, socket="admin.sock")
    sock = d.dir / "admin.sock"
    mode = os.stat(sock).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    rc, out, err = cli("status", "--admin", str(sock))  # no token over the socket
    assert rc == 0 and out.startswith("hookd at %s: ready" % sock), err
    rc, out, err = cli("dlq", "list", "-c", str(d.dir))  # -c prefers the socket
    assert rc == 0 and "(0)" in out, err
    assert admin_get(d, "/metrics")[0] == 401  # TCP still wants the token
    d.kill9()  # a socket file left behind by a hookd that did not stop cleanly
    assert sock.exists()
    d.start()
    assert cli("status", "--admin", str(sock))[0] == 0
    d.stop()
    assert not sock.exists()  # a clean stop removes it
