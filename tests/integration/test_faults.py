"""Faults together, under signed load: SIGHUP reloads (some changing an instance's settings),
pairs of reloads a few milliseconds apart, kill -9 and restart, a kill -9 just after a SIGHUP,
and a SIGHUP just after a start, in an order drawn from a seed. Afterwards, a clean start: every
event answered 2xx is stored and was delivered at least once to every instance subscribed to
its type, no delivery is left dead, running or waiting, and the last configuration of every
reload pair was the one in effect.

The seed is printed; HOOKD_FAULT_SEED=N replays it. Redeliveries are reported, never a failure:
at-least-once is the contract."""
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.request

from harness import (HOOKD, Client, Hookd, base_config, connect_at_once, db_rows, fixture, free_port,
                     signed_post, wait_for)

FAULTS = 14  # each kind once, the rest drawn from the seed
KINDS = ("reload", "pair", "kill9", "kill9_after_hup", "hup_after_start")
CLIENTS = 4
TYPES = ("CASE_CLOSED", "USER_STATE_CHANGED")
SUBSCRIBED = {"all": {"CASE_CLOSED", "USER_STATE_CHANGED"}, "cases": {"CASE_CLOSED"}}


class Configs:
    """Variants of plugins.d that differ in each instance's file and concurrency. Files are
    replaced by rename, never removed, so a reload that reads them mid-change still sees both
    instances (a removed instance's deliveries become dead letters: that is not this test)."""

    def __init__(self, d, tmp_path, n=4):
        self.d = d
        self.variants = []
        for v in range(n):
            self.variants.append({
                "10-all.json": {"plugin": fixture("recorder"), "name": "all",
                                "concurrency": 1 + v % 3,
                                "config": {"path": str(tmp_path / ("all-%d.txt" % (v % 2)))}},
                "20-cases.json": {"plugin": fixture("recorder"), "name": "cases",
                                  "events": ["CASE_*"], "concurrency": 2 + v % 2,
                                  "config": {"path": str(tmp_path / ("cases-%d.txt" % v))}},
            })
        self.hashes = [self._hash(v) for v in range(n)]
        self.current = None

    def write(self, v):
        pd = self.d.dir / "plugins.d"
        for name, conf in self.variants[v].items():
            tmp = pd / ("." + name + ".tmp")  # not *.json: hookd ignores it
            tmp.write_text(json.dumps(conf))
            os.replace(tmp, pd / name)
        self.current = v

    def _hash(self, v):
        self.write(v)
        p = subprocess.run([HOOKD, "-t", "-c", str(self.d.dir)], env=self.d.env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout.split("(hash ")[1].split(")")[0]


class Load:
    """Keep-alive clients posting distinct signed events, reconnecting while hookd restarts."""

    def __init__(self, port, prefix):
        self.port, self.prefix = port, prefix
        self.answered = {}  # id -> type, for every 2xx
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(k,)) for k in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def _client(self, k):
        i, c = 0, None
        while not self.stop.is_set() and i < 200000:
            if c is None:
                try:
                    c = Client(self.port, timeout=10)
                except OSError:
                    time.sleep(0.02)  # hookd is restarting
                    continue
            eid, etype = "%s-%d-%d" % (self.prefix, k, i), TYPES[i % 2]
            body = json.dumps({"id": eid, "type": etype, "data": {"n": i},
                               "createdTimestamp": 1}).encode()
            i += 1
            try:
                r = c.exchange(signed_post(body))
            except (OSError, ConnectionError, IndexError, ValueError):
                c.close()
                c = None
                continue
            if 200 <= r.status < 300:
                self.answered[eid] = etype

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def reload_status(d):
    url = "http://127.0.0.1:%d/reload" % d.admin_port
    return json.loads(urllib.request.urlopen(url, timeout=10).read())


def wait_in_effect(d, configs, v):
    """Until no reload is running and the configuration in effect is variant v."""
    want = configs.hashes[v]
    wait_for(lambda: (lambda st: st["hash"] == want and not st["in_progress"])(reload_status(d)),
             60, "configuration %d (hash %s) to be in effect" % (v, want))


class Faults:
    def __init__(self, d, configs, port, rng):
        self.d, self.configs, self.port, self.rng = d, configs, port, rng
        self.counts = dict.fromkeys(KINDS, 0)
        self.reloads = self.kills = self.pairs_checked = 0

    def other(self):
        return self.rng.choice([v for v in range(len(self.configs.variants))
                                if v != self.configs.current])

    def restart(self, wait=True):
        self.d.start(wait=wait)

    def reload(self):
        v = self.other()
        self.configs.write(v)
        self.d.send_signal(signal.SIGHUP)
        self.reloads += 1
        wait_in_effect(self.d, self.configs, v)

    def pair(self):
        self.configs.write(self.other())
        self.d.send_signal(signal.SIGHUP)
        time.sleep(self.rng.uniform(0.005, 0.04))
        last = self.other()
        self.configs.write(last)
        self.d.send_signal(signal.SIGHUP)
        self.reloads += 2
        wait_in_effect(self.d, self.configs, last)  # the second of the pair took effect
        self.pairs_checked += 1

    def kill9(self):
        self.d.kill9()
        self.kills += 1
        self.restart()

    def kill9_after_hup(self):
        self.configs.write(self.other())
        self.d.send_signal(signal.SIGHUP)
        self.reloads += 1
        time.sleep(self.rng.uniform(0, 0.05))
        self.kill9()

    def hup_after_start(self):
        if self.rng.random() < 0.5:
            self.d.kill9()
            self.kills += 1
        else:
            assert self.d.stop() == 0
        self.restart(wait=False)
        connect_at_once(self.port, self.d.proc)
        self.d.send_signal(signal.SIGHUP)
        self.reloads += 1
        self.d.wait_ready(60)
        # The SIGHUP is a reload once hookd serves, not a death nor a signal forgotten.
        wait_for(lambda: self.d.proc.poll() is not None or "msg=reloaded " in self.since_start(),
                 60, "the reload asked for at start")
        assert self.d.proc.poll() is None, "hookd ended after a SIGHUP at start:\n" + self.d.log()
        wait_in_effect(self.d, self.configs, self.configs.current)

    def since_start(self):
        return self.d.log_path.read_bytes()[self.d._start_offset:].decode(errors="replace")

    def run(self, kind):
        self.counts[kind] += 1
        getattr(self, kind)()
        assert self.d.proc.poll() is None, "hookd ended after %s:\n%s" % (kind, self.d.log())


def recorded(tmp_path):
    """(instance, id) -> how many times a recorder file holds it."""
    seen = {}
    for f in tmp_path.glob("*-[0-9].txt"):
        for line in f.read_text().splitlines():
            inst, eid = line.split()[:2]
            seen[(inst, eid)] = seen.get((inst, eid), 0) + 1
    return seen


def test_faults_lose_nothing_answered(tmp_path):
    seed = int(os.environ.get("HOOKD_FAULT_SEED") or random.SystemRandom().randrange(1 << 31))
    print("fault seed %d (HOOKD_FAULT_SEED=%d replays it)" % (seed, seed))
    rng = random.Random(seed)
    port = free_port()
    (tmp_path / "h").mkdir()
    d = Hookd(tmp_path / "h", base_config(listen=[{"address": "127.0.0.1:%d" % port}],
                                          log={"level": "info", "access": False}))
    configs = Configs(d, tmp_path)
    configs.write(0)
    d.start()
    schedule = list(KINDS) + [rng.choice(KINDS) for _ in range(FAULTS - len(KINDS))]
    rng.shuffle(schedule)
    print("schedule: " + " ".join(schedule))
    load = Load(port, "f%d" % seed)
    faults = Faults(d, configs, port, rng)
    try:
        for kind in schedule:
            before = len(load.answered)
            wait_for(lambda: len(load.answered) > before, 60, "events answered before " + kind)
            time.sleep(rng.uniform(0.2, 0.8))
            faults.run(kind)
        load.finish()
        # A clean stop and a clean start, then everything must be finished.
        assert d.stop() == 0
        d.start()
        db = d.dir / "var" / "hookd.db"
        answered = load.answered
        assert len(answered) > 100, len(answered)
        stored = {r[0] for r in db_rows(db, "SELECT event_id FROM events")} if db.exists() else set()
        lost = sorted(set(answered) - stored)
        assert not lost, "%d answered 2xx but not stored: %s" % (len(lost), lost[:10])
        wait_for(lambda: db_rows(db, "SELECT count(*) FROM deliveries WHERE state NOT IN "
                                     "('done', 'dead')")[0][0] == 0, 120, "every delivery to end")
        dead = db_rows(db, "SELECT instance, last_error, count(*) FROM deliveries "
                           "WHERE state = 'dead' GROUP BY 1, 2")
        assert not dead, "dead letters: %s" % dead
        seen = recorded(tmp_path)
        missed = [(inst, eid) for eid, etype in answered.items()
                  for inst, types in SUBSCRIBED.items() if etype in types and (inst, eid) not in seen]
        assert not missed, "answered but never delivered: %s" % missed[:10]
        states = db_rows(db, "SELECT state, count(*) FROM deliveries GROUP BY state")
        assert dict(states).keys() == {"done"}, states
        health = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % d.admin_port, timeout=10)
        assert health.status == 200
        wait_in_effect(d, configs, configs.current)
        redelivered = sum(n - 1 for n in seen.values())
        print("seed %d: %d answered, %d deliveries, %d redelivered, %d kill -9, %d SIGHUPs "
              "(%d pairs checked)" % (seed, len(answered), len(seen), redelivered, faults.kills,
                                      faults.reloads, faults.pairs_checked))
    finally:
        load.stop.set()
        if d.proc and d.proc.poll() is None:
            d.stop()
