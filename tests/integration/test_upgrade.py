"""Taking over listening sockets (issue #15): hookd started with sockets passed as systemd's
socket activation passes them (LISTEN_FDS) serves on them, including the connections that
waited in their backlog before it ran, and closes a passed socket no listener wants."""
import socket

from harness import Client, Hookd, base_config, event_body, free_port, signed_post


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
