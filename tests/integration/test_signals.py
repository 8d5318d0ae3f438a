"""Signals at the earliest moment: a SIGHUP or SIGTERM sent the moment hookd's port first
accepts a connection (as a `systemctl reload` or a log rotation's `kill -HUP` right after a
start would) keeps its meaning -- the SIGHUP reloads once hookd serves, the SIGTERM stops it
cleanly -- and never kills hookd by the signal's default action."""
import signal

from harness import base_config, connect_at_once, free_port, wait_for

ROUNDS = 15


def early_hookd(make_hookd, n):
    port = free_port()
    conf = base_config(listen=[{"address": "127.0.0.1:%d" % port}],
                       log={"level": "info", "access": False})
    d = make_hookd(conf, start=False, sub="r%d" % n)
    d.start(wait=False)
    connect_at_once(port, d.proc)
    return d


def test_sighup_at_the_first_connection_reloads_once_hookd_serves(make_hookd):
    for n in range(ROUNDS):
        d = early_hookd(make_hookd, n)
        d.send_signal(signal.SIGHUP)
        # Wait for hookd to serve, then for the reload the SIGHUP asked for: exactly one.
        wait_for(lambda: d.proc.poll() is not None or "msg=reloaded generation=2 " in d.log(),
                 60, "the reload")
        assert d.proc.poll() is None, "hookd ended with %s:\n%s" % (d.proc.returncode, d.log())
        assert d.log().count("msg=reloading") == 1
        assert d.stop() == 0


def test_sigterm_at_the_first_connection_stops_cleanly(make_hookd):
    for n in range(ROUNDS):
        d = early_hookd(make_hookd, n)
        d.send_signal(signal.SIGTERM)
        d.proc.wait(60)
        assert d.stop() == 0, "hookd ended with %s:\n%s" % (d.proc.returncode, d.log())
        assert "hookd stopped" in d.log()
